import { NEEDS_LIMITS } from "./generate";
import { passed, type Counts, type FuzzReport } from "./run";

/** The run's counts as text: totals, per class, per attack kind, per operation, then each failure's first example. */
export function renderReport(r: FuzzReport): string {
  const lines: string[] = [];
  const pct = (n: number): string => `${((100 * n) / Math.max(1, r.total)).toFixed(1)}%`;
  lines.push(`fuzz: ${r.total} requests, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s (${((r.total * 1000) / Math.max(1, r.durationMs)).toFixed(0)}/s)`);
  lines.push(`  OK ${r.ok} (${pct(r.ok)}), client errors ${r.clientErrors} (${pct(r.clientErrors)}), FAILURES ${r.failures}`);
  lines.push(`  gateway errors logged: ${r.gatewayErrors.count}; gateway ${r.gatewayDied ?? "alive"}; data ${r.canary ? "CHANGED" : "intact"}`);
  const growth = r.rss.peakMb - r.rss.baselineMb;
  lines.push(
    `  gateway RSS: ${r.rss.baselineMb.toFixed(0)} MB after warm-up, peak ${r.rss.peakMb.toFixed(0)} MB (+${growth.toFixed(0)} MB, bound +${r.rss.boundMb} MB${growth > r.rss.boundMb ? ": EXCEEDED" : ""}), ${r.rss.finalMb.toFixed(0)} MB at the end`,
  );
  if (r.heap) {
    const leak = r.heap.finalMb - r.heap.baselineMb;
    lines.push(`  gateway heap after a full GC: ${r.heap.baselineMb.toFixed(0)} MB after warm-up, ${r.heap.finalMb.toFixed(0)} MB at the end (${leak >= 0 ? "+" : ""}${leak.toFixed(0)} MB, bound +${r.heap.boundMb} MB${leak > r.heap.boundMb ? ": EXCEEDED" : ""})`);
  }
  if (r.skipped.length) lines.push(`  skipped attack kinds: ${r.skipped.join(", ")}`);
  lines.push("", "per class:");
  for (const [label, n] of [...r.byClass].sort((a, b) => b[1] - a[1])) lines.push(`  ${label.padEnd(34)} ${String(n).padStart(6)}`);
  lines.push("", "per attack kind:                        ok  client  FAILURE");
  for (const [attack, c] of [...r.byAttack].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(row(`${attack}${NEEDS_LIMITS.includes(attack) ? " (needs limits)" : ""}`, c));
  lines.push("", "per principal:                          ok  client  FAILURE");
  for (const [who, c] of [...r.byAuth].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(row(who, c));
  lines.push("", "per operation:                          ok  client  FAILURE");
  for (const [op, c] of [...r.byOperation].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(row(op, c));
  if (r.failureExamples.size > 0) {
    lines.push("", "failures, first examples of each (replay one with --only <case>):");
    for (const [label, { count, examples }] of r.failureExamples) {
      lines.push(`  ${label} ×${count}`);
      for (const example of examples) {
        lines.push(`    case ${example.index} (${example.attack}, ${example.operation}${NEEDS_LIMITS.includes(example.attack) ? ", needs limits" : ""})`);
        lines.push(`      sent: ${example.summary}`);
        lines.push(`      got:  ${example.detail.replace(/\s+/g, " ").slice(0, 400)}`);
      }
    }
  }
  if (r.gatewayErrors.first.length > 0) {
    lines.push("", "gateway error log, first lines:");
    for (const l of r.gatewayErrors.first) lines.push(`  ${l.slice(0, 600)}`);
  }
  if (r.canary) lines.push("", `data changed: ${r.canary}`);
  lines.push("", passed(r) ? "PASSED: no crash, no internal error, no leak, memory in bounds" : "FAILED");
  return lines.join("\n");
}

function row(name: string, c: Counts): string {
  return `  ${name.padEnd(36)} ${String(c.ok).padStart(5)} ${String(c.client).padStart(7)} ${String(c.failure).padStart(8)}`;
}
