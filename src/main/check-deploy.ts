import { checkDeployFiles, REQUIRED_LINTERS } from "./deploy-checks";

/**
 * `npm run check:deploy [-- --write] [-- --require]`: the deployment files through the linters
 * installed here (./deploy-checks.ts says which and why). `--write` re-emits ops/docker/haproxy.cfg
 * first; `--require` fails when a linter is missing instead of skipping it (CI).
 */
const argv = process.argv.slice(2);
const results = checkDeployFiles({ write: argv.includes("--write") });
for (const r of results) {
  const output = r.output ? `\n${r.output.split("\n").map((line) => `         ${line}`).join("\n")}` : "";
  console.log(`${r.outcome === "ok" ? "ok      " : r.outcome === "failed" ? "FAILED  " : "skipped "} ${r.name}${r.outcome === "skipped" ? " (not installed)" : ""}${output}`);
}
const failed = results.filter((r) => r.outcome === "failed" || (argv.includes("--require") && r.outcome === "skipped" && REQUIRED_LINTERS.includes(r.name)));
if (failed.length > 0) {
  console.error(`check:deploy: ${failed.map((r) => `${r.name} ${r.outcome}`).join(", ")}`);
  process.exitCode = 1;
}
