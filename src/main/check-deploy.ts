import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../platform/paths";
import { COMPOSE_HAPROXY, haproxyBinary, haproxyConfig } from "./launch/haproxy";

/**
 * `npm run check:deploy`: the deployment files (ops/docker, ops/k8s) through the linters this
 * machine has, Docker being unable to run here.
 *
 * 1. ops/docker/haproxy.cfg is re-emitted from src/main/launch/haproxy.ts (`--write`; without it,
 *    a file that differs is an error) and checked by `haproxy -c` (Debian's package).
 * 2. Each of these runs when its command is found, and is reported as skipped otherwise:
 *    yamllint (compose and manifests), kubeconform (manifests against the Kubernetes schemas,
 *    strict, offline when its cache holds them), hadolint (the Dockerfile), `docker compose config`
 *    (the compose file's model; the client validates without a daemon).
 * Exits 1 when any check that ran failed; `--require LIST` also fails when a named one was skipped.
 */

const OPS = join(PROJECT_ROOT, "ops");
const HAPROXY_CFG = join(OPS, "docker/haproxy.cfg");
const K8S = join(OPS, "k8s");

interface Check {
  name: string;
  command: string;
  args: string[];
}

const CHECKS: Check[] = [
  { name: "yamllint", command: "yamllint", args: ["--strict", "-c", join(OPS, "yamllint.yaml"), join(OPS, "docker/compose.yaml"), K8S] },
  { name: "kubeconform", command: "kubeconform", args: ["-strict", "-summary", "-ignore-missing-schemas", "-skip", "HorizontalPodAutoscaler", K8S] },
  { name: "kubeconform-hpa", command: "kubeconform", args: ["-strict", "-summary", "-kubernetes-version", "1.29.0", join(K8S, "hpa.yaml")] },
  { name: "hadolint", command: "hadolint", args: [join(OPS, "docker/Dockerfile")] },
  { name: "docker compose config", command: "docker", args: ["compose", "-f", join(OPS, "docker/compose.yaml"), "config", "--quiet"] },
];

function found(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function main(): void {
  const argv = process.argv.slice(2);
  const write = argv.includes("--write");
  const requireAt = argv.indexOf("--require");
  const required = new Set(requireAt >= 0 ? (argv[requireAt + 1] ?? "").split(",").filter(Boolean) : []);
  const failed: string[] = [];
  const skipped: string[] = [];

  const expected = haproxyConfig(COMPOSE_HAPROXY);
  if (write) writeFileSync(HAPROXY_CFG, expected);
  else if (readFileSync(HAPROXY_CFG, "utf8") !== expected) failed.push("ops/docker/haproxy.cfg differs from src/main/launch/haproxy.ts: run `npm run check:deploy -- --write`");
  const haproxy = haproxyBinary();
  if (haproxy) {
    try {
      execFileSync(haproxy, ["-c", "-q", "-f", HAPROXY_CFG], { stdio: "inherit" });
      console.log("ok       haproxy -c ops/docker/haproxy.cfg");
    } catch {
      failed.push("haproxy -c");
    }
  } else skipped.push("haproxy");

  for (const check of CHECKS) {
    // The docker client without its compose plugin says so on its own: a skip, not a failure.
    if (!found(check.command) || (check.command === "docker" && spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status !== 0)) {
      skipped.push(check.name);
      console.log(`skipped  ${check.name} (not installed)`);
      continue;
    }
    const run = spawnSync(check.command, check.args, { encoding: "utf8" });
    const output = `${run.stdout ?? ""}${run.stderr ?? ""}`.trim();
    if (run.status === 0) console.log(`ok       ${check.name}${output ? `\n${indent(output)}` : ""}`);
    else {
      failed.push(check.name);
      console.log(`FAILED   ${check.name}\n${indent(output)}`);
    }
  }
  const missing = [...required].filter((name) => skipped.includes(name));
  if (missing.length) failed.push(`required but not installed: ${missing.join(", ")}`);
  if (failed.length) {
    console.error(`check:deploy failed: ${failed.join("; ")}`);
    process.exit(1);
  }
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `         ${line}`)
    .join("\n");
}

main();
