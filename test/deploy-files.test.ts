import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkDeployFiles, REQUIRED_LINTERS } from "../src/main/deploy-checks";
import { haproxyBinary, haproxyConfig, COMPOSE_HAPROXY } from "../src/main/launch/haproxy";
import { DEFAULT_SHUTDOWN, loadConfig, ConfigError } from "../src/platform/config";
import { PROJECT_ROOT } from "../src/platform/paths";

/**
 * The deployment files (Docker cannot run here): every linter installed passes them (on CI, where
 * .ci/run installs them all, none may be missing), and the settings the files repeat agree with
 * the gateway's own.
 */

test("the deployment files pass every linter (all of them on CI)", () => {
  const results = checkDeployFiles();
  const failed = results.filter((r) => r.outcome === "failed");
  assert.deepEqual(failed, [], failed.map((r) => `${r.name}:\n${r.output}`).join("\n"));
  const skipped = results.filter((r) => r.outcome === "skipped").map((r) => r.name);
  if (process.env.CI) assert.deepEqual(skipped.filter((n) => REQUIRED_LINTERS.includes(n)), [], "CI installs every linter (.ci/run)");
  else if (skipped.length > 0) console.error(`deploy files: not installed here, skipped: ${skipped.join(", ")}`);
  assert.ok(results.some((r) => r.outcome === "ok" && r.name !== "haproxy.cfg generated"), "at least one linter ran");
});

test("a manifest with a misspelt field fails the strict schema check (the linter is not a rubber stamp)", { skip: !hasCommand("kubernetes-validate") }, () => {
  const dir = mkdtempSync(join(tmpdir(), "c360-k8s-"));
  try {
    const bad = join(dir, "deployment.yaml");
    writeFileSync(bad, readFileSync(join(PROJECT_ROOT, "ops/k8s/deployment.yaml"), "utf8").replace("terminationGracePeriodSeconds", "terminationGracePeriodSecond"));
    assert.throws(() => execFileSync("kubernetes-validate", ["--strict", "--quiet", bad], { stdio: "pipe" }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("HAProxy refuses a broken configuration (haproxy -c is a real check)", { skip: !haproxyBinary() }, () => {
  const dir = mkdtempSync(join(tmpdir(), "c360-haproxy-"));
  try {
    const bad = join(dir, "haproxy.cfg");
    writeFileSync(bad, haproxyConfig(COMPOSE_HAPROXY).replace("balance roundrobin", "balance round-robin"));
    assert.throws(() => execFileSync(haproxyBinary() as string, ["-c", "-q", "-f", bad], { stdio: "pipe" }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the files' grace periods and drain delays agree with the gateway's settings", () => {
  const deployment = readFileSync(join(PROJECT_ROOT, "ops/k8s/deployment.yaml"), "utf8");
  const compose = readFileSync(join(PROJECT_ROOT, "ops/docker/compose.yaml"), "utf8");
  const k8sGrace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(deployment)?.[1]);
  const k8sStop = Number(/SHUTDOWN_GRACE_MS\n\s+value: "(\d+)"/.exec(deployment)?.[1]);
  const k8sDelay = Number(/SHUTDOWN_DRAIN_DELAY_MS\n\s+value: "(\d+)"/.exec(deployment)?.[1]);
  const k8sReadiness = /readinessProbe:[\s\S]*?periodSeconds: (\d+)[\s\S]*?failureThreshold: (\d+)/.exec(deployment);
  assert.ok(k8sGrace * 1000 > k8sStop, `Kubernetes' grace (${k8sGrace} s) outlasts the process's own stop limit (${k8sStop} ms)`);
  assert.ok(k8sDelay >= Number(k8sReadiness?.[1]) * Number(k8sReadiness?.[2]) * 1000, "the drain delay covers the readiness probe noticing");
  const composeGrace = Number(/stop_grace_period: (\d+)s/.exec(compose)?.[1]);
  const composeStop = Number(/SHUTDOWN_GRACE_MS: "(\d+)"/.exec(compose)?.[1]);
  const composeDelay = Number(/SHUTDOWN_DRAIN_DELAY_MS: "(\d+)"/.exec(compose)?.[1]);
  assert.ok(composeGrace * 1000 > composeStop, "Docker's stop grace outlasts the process's stop limit");
  assert.ok(composeDelay >= 2 * COMPOSE_HAPROXY.checkIntervalMs, "HAProxy's two failed checks fit in the drain delay");
  // Both pairs are settings the gateway accepts (a drain delay at or above the grace is refused).
  for (const [delay, grace] of [[k8sDelay, k8sStop], [composeDelay, composeStop]]) {
    assert.deepEqual(loadConfig({ SHUTDOWN_DRAIN_DELAY_MS: String(delay), SHUTDOWN_GRACE_MS: String(grace) }).shutdown, { drainDelayMs: delay, graceMs: grace });
  }
  assert.throws(() => loadConfig({ SHUTDOWN_DRAIN_DELAY_MS: "30000", SHUTDOWN_GRACE_MS: "25000" }), (e: unknown) => e instanceof ConfigError && /SHUTDOWN_DRAIN_DELAY_MS \(30000\) must be less than SHUTDOWN_GRACE_MS/.test(e.message));
  assert.deepEqual(loadConfig({}).shutdown, DEFAULT_SHUTDOWN);
});

function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
