#!/usr/bin/env node
// The npm scripts' front door: makes a fresh clone runnable (dependencies, compiled output),
// then hands over to the compiled entry point. Plain Node, no dependencies, so it runs first.
//
// Signals: npm runs us through `sh -c "exec node ops/bootstrap.mjs …"` (the `exec` in package.json
// makes us npm's direct child, so the SIGTERM npm forwards reaches us rather than a shell that would
// die and leave us running). We forward SIGTERM, SIGINT and SIGHUP to the step running (npm ci, tsc,
// the entry point) and exit only once it has: the entry point then stops its own tree in order.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entries = {
  start: "dist/src/main/start.js",
  test: "dist/test/run.js",
  seed: "dist/seeds/cli.js",
  services: "dist/src/main/services.js",
  bench: "dist/bench/run.js",
  "audit-writes": "dist/bench/audit-writes.js",
  fuzz: "dist/test/fuzz/cli.js",
  evaluate: "dist/bench/evaluate/cli.js",
  schema: "dist/src/main/emit-schema.js",
  token: "dist/src/main/token.js",
  permissions: "dist/src/main/permissions-doc.js",
  documents: "dist/src/main/documents.js",
  "check-deploy": "dist/src/main/check-deploy.js",
};

const [command, ...args] = process.argv.slice(2);
const entry = entries[command ?? ""];
if (!entry) {
  console.error(`usage: node ops/bootstrap.mjs <${Object.keys(entries).join("|")}> [args]`);
  process.exit(2);
}

/** The child running now, and the stop signal we received, if any. */
let current = null;
let stopSignal = null;
/** webIsStale()'s answer, once computed. */
let webStale = null;
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(signal, () => {
    // Ctrl-C reaches the child straight from the terminal too, and npm forwards what it gets: one
    // forward per signal is enough (the entry point ignores repeats anyway).
    if (stopSignal === signal) return;
    stopSignal = signal;
    current?.kill(signal);
  });
}

await step("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], needsInstall(), "installing dependencies (npm ci)");
if (command === "test" || command === "documents") await step("npx", ["graphql-codegen", "--config", "codegen.yml", "--silent"], true, "generating typed operations (codegen)");
dropStaleOutput(join(root, "dist"));
await step("npx", ["tsc", "-p", "tsconfig.json"], true, "compiling TypeScript");
// The pages (web/: desk, hall, console, GraphiQL), which the gateway serves and the browser tests
// drive: type-checked and bundled by Vite when a source, a generated type or the lockfile is newer
// than the last build (a few seconds; skipped when nothing changed).
if (command === "start" || command === "test" || command === "bench") await step("npx", ["tsc", "-p", "web/tsconfig.json"], webIsStale(), "type-checking the pages (web/)");
if (command === "start" || command === "test" || command === "bench") await step("npx", ["vite", "build", "--config", "web/vite.config.mts"], webIsStale(), "building the pages (Vite → web/dist)");
// The layering of DESIGN.md: no import cycles, no import upwards (.dependency-cruiser.cjs).
if (command === "test") await step("npx", ["depcruise", "src", "resolvers", "schema", "seeds", "bench", "test", "--config", ".dependency-cruiser.cjs", "--output-type", "err"], true, "checking the layering (dependency-cruiser)");

const { code, signal } = await runChild(process.execPath, ["--enable-source-maps", join(root, entry), ...args]);
process.exit(code ?? (signal ? 1 : 0));

/**
 * tsc never deletes what it emitted for a source that was since moved or deleted, and a stale
 * dist/x.js shadows a new dist/x/index.js: remove compiled files whose source is gone.
 */
function dropStaleOutput(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) dropStaleOutput(path);
    else if (/\.js(\.map)?$/.test(entry.name)) {
      const source = join(root, path.slice(join(root, "dist").length).replace(/\.js(\.map)?$/, ".ts"));
      if (!existsSync(source)) rmSync(path);
    }
  }
}

/** Whether web/dist is older than anything it is built from (computed once, before the build writes it). */
function webIsStale() {
  if (webStale !== null) return webStale;
  const built = join(root, "web/dist/desk/index.html");
  if (!existsSync(built)) return (webStale = true);
  const builtAt = statSync(built).mtimeMs;
  const newer = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name !== "dist" && entry.name !== "node_modules" && newer(path);
      return statSync(path).mtimeMs > builtAt;
    });
  const inputs = ["schema/generated/operations.ts", "package-lock.json"].map((f) => join(root, f));
  return (webStale = newer(join(root, "web")) || inputs.some((f) => existsSync(f) && statSync(f).mtimeMs > builtAt));
}

function needsInstall() {
  const marker = join(root, "node_modules/.package-lock.json");
  if (!existsSync(marker)) return true;
  return statSync(join(root, "package-lock.json")).mtimeMs > statSync(marker).mtimeMs;
}

/** Runs a preparation step; a failure ends here with one sentence, a stop signal quietly. */
async function step(cmd, cmdArgs, when, what) {
  if (stopSignal) process.exit(0);
  if (!when) return;
  console.error(`> ${what}`);
  const { code, signal } = await runChild(cmd, cmdArgs);
  if (stopSignal) process.exit(0);
  if (code !== 0) {
    console.error(`${what} failed (exit ${code ?? signal}); fix the error above and run the command again.`);
    process.exit(code || 1);
  }
}

/** Spawns a child in our terminal and resolves when it has exited; stop signals go to it meanwhile. */
function runChild(cmd, cmdArgs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: "inherit" });
    current = child;
    child.once("error", (error) => {
      console.error(`could not run ${cmd}: ${error.message}`);
      resolve({ code: 127, signal: null });
    });
    child.once("exit", (code, signal) => {
      current = null;
      resolve({ code, signal });
    });
  });
}
