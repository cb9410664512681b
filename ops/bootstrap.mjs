#!/usr/bin/env node
// The npm scripts' front door: makes a fresh clone runnable (dependencies, compiled output),
// then hands over to the compiled entry point. Plain Node, no dependencies, so it runs first.
import { spawnSync, spawn } from "node:child_process";
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
  evaluate: "dist/bench/evaluate/cli.js",
  schema: "dist/src/main/emit-schema.js",
};

const [command, ...args] = process.argv.slice(2);
const entry = entries[command ?? ""];
if (!entry) {
  console.error(`usage: node ops/bootstrap.mjs <${Object.keys(entries).join("|")}> [args]`);
  process.exit(2);
}

run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], needsInstall(), "installing dependencies (npm ci)");
if (command === "test") run("npx", ["graphql-codegen", "--config", "codegen.yml", "--silent"], true, "generating typed operations (codegen)");
dropStaleOutput(join(root, "dist"));
run("npx", ["tsc", "-p", "tsconfig.json"], true, "compiling TypeScript");
// The layering of DESIGN.md: no import cycles, no import upwards (.dependency-cruiser.cjs).
if (command === "test") run("npx", ["depcruise", "src", "resolvers", "schema", "seeds", "bench", "test", "--config", ".dependency-cruiser.cjs", "--output-type", "err"], true, "checking the layering (dependency-cruiser)");

const child = spawn(process.execPath, ["--enable-source-maps", join(root, entry), ...args], { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

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

function needsInstall() {
  const marker = join(root, "node_modules/.package-lock.json");
  if (!existsSync(marker)) return true;
  return statSync(join(root, "package-lock.json")).mtimeMs > statSync(marker).mtimeMs;
}

function run(cmd, cmdArgs, when, what) {
  if (!when) return;
  console.error(`> ${what}`);
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`${what} failed (exit ${result.status ?? result.signal}); fix the error above and run the command again.`);
    process.exit(result.status || 1);
  }
}
