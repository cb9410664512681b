/**
 * The audit writer's cost in Neo4j, isolated from the rest of the gateway: batches of unified-view
 * records (the customer and ten circle members each) written as the writer writes them now (one
 * `(:AuditRequest)` per request), the same without its full-text index (a probe label), and as it
 * wrote them before (one `(:AuditEntry)` per customer read), taking turns batch by batch on the
 * same Neo4j, so a busy machine weighs on all alike. Probe nodes are removed at the end.
 * Reports Neo4j's CPU milliseconds per request (from /proc) and the commit's wall time.
 *
 *   node ops/bootstrap.mjs audit-writes [-- --batches N --batch N]   (the bench store, .data/bench)
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { pino } from "pino";
import type { AuditRecord } from "../src/audit/entry";
import { writesOf } from "../src/audit/entry";
import { writeAudit } from "../src/graph/audit";
import { ensureAuditSchema } from "../src/graph/schema";
import { ensureServices } from "../src/main/launch/environment";
import { Graph, type GraphSession } from "../src/platform/neo4j";
import { runMain } from "../src/platform/run-main";
import { findDescendant, othersJiffies, processCpuMs, sampleCpu } from "./cpu";

/** How the writer wrote a batch before requests were written whole: a node per customer read. */
const PER_READ = `UNWIND $rows AS r
  MERGE (a:AuditEntry {id: r.id})
  ON CREATE SET a += r {.kind, .principalId, .principalRoles, .operation, .operationType, .transport, .subscription, .customerId,
                        .fields, .msisdnUnmasked, .action, .targetType, .targetId, .changeId, .proposedBy, .before, .after},
                a.at = datetime(r.at)`;

/**
 * The same node per request under a label of its own with the range indexes but no full-text
 * index: what the customer filter's Lucene document costs, by difference.
 */
const PER_REQUEST_NO_FULLTEXT = `UNWIND $requests AS r
  MERGE (q:AuditRequestProbe {id: r.id})
  ON CREATE SET q += r {.principalId, .principalRoles, .operation, .operationType, .transport, .subscription, .customerIds, .fields, .unmasked},
                q.at = datetime(r.at)`;
const PROBE_SCHEMA = [
  "CREATE CONSTRAINT audit_probe_id IF NOT EXISTS FOR (r:AuditRequestProbe) REQUIRE r.id IS UNIQUE",
  "CREATE RANGE INDEX audit_probe_at IF NOT EXISTS FOR (r:AuditRequestProbe) ON (r.at)",
  "CREATE RANGE INDEX audit_probe_principal_at IF NOT EXISTS FOR (r:AuditRequestProbe) ON (r.principalId, r.at)",
  "CREATE RANGE INDEX audit_probe_operation_at IF NOT EXISTS FOR (r:AuditRequestProbe) ON (r.operation, r.at)",
];

const OWN_FIELDS = ["arpu", "circle", "contacts", "lifecycleStage", "msisdn", "name", "segment", "subscriptions", "tags", "tenureMonths", "usage", "valueTier"];

function viewRecord(principalId: string, n: number): AuditRecord {
  const customer = (k: number): string => `C${String(1 + ((n * 11 + k * 7919) % 100_000)).padStart(7, "0")}`;
  return {
    request: randomUUID(),
    at: new Date().toISOString(),
    principalId,
    principalRoles: ["AGENT"],
    operation: "UnifiedView",
    operationType: "QUERY",
    transport: "HTTP",
    subscription: null,
    reads: [[customer(0), OWN_FIELDS, 0], ...Array.from({ length: 10 }, (_, k): [string, string[], 0] => [customer(k + 1), ["name", "valueTier"], 0])],
    changes: [],
  };
}

function perReadRows(record: AuditRecord): Array<Record<string, unknown>> {
  const { request, at, principalId, principalRoles, operation, operationType, transport, subscription } = record;
  return record.reads.map(([customerId, fields, unmasked], i) => ({
    id: `${request}:${i}`, kind: "READ", at, principalId, principalRoles, operation, operationType, transport, subscription, customerId, fields,
    msisdnUnmasked: unmasked === 1, action: null, targetType: null, targetId: null, changeId: null, proposedBy: null, before: null, after: null,
  }));
}

interface Side {
  name: string;
  write: (graph: GraphSession, records: AuditRecord[]) => Promise<void>;
  cpuMs: number;
  wallMs: number;
  requests: number;
  commits: number;
  nodes: number;
}

runMain(
  async (onStop) => {
    const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== "--"), options: { batches: { type: "string", default: "20" }, batch: { type: "string", default: "200" } } });
    const batches = Number(values.batches);
    const size = Number(values.batch);
    const log = pino({ name: "audit-writes", level: "warn" }, pino.destination(2));
    const services = await ensureServices({ profile: "bench", redis: false, log });
    onStop(() => services.stop());
    const graph = Graph.connect({ ...services.neo4j, readTimeoutMs: 60_000 });
    onStop(() => graph.close());
    await ensureAuditSchema(graph.session());
    for (const statement of PROBE_SCHEMA) await graph.session().write(statement);
    await graph.session().write("CALL db.awaitIndexes(300)");
    const neo4jPid = findDescendant(sampleCpu(), process.pid, "java");
    if (!neo4jPid) throw new Error("Neo4j is not a child of this process: stop the bench's Neo4j (or unset NEO4J_URI) so that its CPU can be read");

    const principal = `audit-writes-${process.pid}`;
    let n = 0;
    const sides: Side[] = [
      { name: "a node per request (now)", write: (g, rs) => writeAudit(g, { requests: rs.flatMap((r) => writesOf(r).requests), entries: [] }), cpuMs: 0, wallMs: 0, requests: 0, commits: 0, nodes: 0 },
      {
        name: "a node per request, no full-text index (probe)",
        write: (g, rs) => g.write(PER_REQUEST_NO_FULLTEXT, { requests: rs.flatMap((r) => writesOf(r).requests) }).then(() => undefined),
        cpuMs: 0,
        wallMs: 0,
        requests: 0,
        commits: 0,
        nodes: 0,
      },
      { name: "a node per customer read (before)", write: (g, rs) => g.write(PER_READ, { rows: rs.flatMap(perReadRows) }).then(() => undefined), cpuMs: 0, wallMs: 0, requests: 0, commits: 0, nodes: 0 },
    ];
    // Warm-up: both statements planned and JIT-compiled before anything counts.
    for (const side of sides) for (let i = 0; i < 3; i++) await side.write(graph.session(), Array.from({ length: size }, () => viewRecord(principal, n++)));
    const machineBefore = sampleCpu();
    for (let b = 0; b < batches; b++) {
      // Each batch in a rotated order, so no side always follows the same one.
      for (const side of [...sides.slice(b % sides.length), ...sides.slice(0, b % sides.length)]) {
        const records = Array.from({ length: size }, () => viewRecord(principal, n++));
        const cpu = processCpuMs(neo4jPid);
        const started = performance.now();
        await side.write(graph.session(), records);
        side.wallMs += performance.now() - started;
        side.cpuMs += (processCpuMs(neo4jPid) ?? 0) - (cpu ?? 0);
        side.requests += records.length;
        side.commits += 1;
        side.nodes += side === sides.at(-1) ? records.length * 11 : records.length;
      }
    }
    const others = othersJiffies(machineBefore, sampleCpu());
    for (let left = 1; left > 0; ) {
      left = (await graph.session().write<{ n: number }>("MATCH (r:AuditRequestProbe) WITH r LIMIT 5000 DELETE r RETURN count(*) AS n"))[0]?.n ?? 0;
    }
    console.log(`audit writes: ${batches} batches of ${size} unified-view records (the customer and 10 circle members) per side, alternating`);
    for (const s of sides) {
      console.log(
        `  ${s.name}: Neo4j CPU ${(s.cpuMs / s.requests).toFixed(3)} ms/request, ${(s.cpuMs / s.commits).toFixed(0)} ms/commit; commit wall ${(s.wallMs / s.commits).toFixed(0)} ms; ${(s.nodes / s.requests).toFixed(0)} nodes/request`,
      );
    }
    if (others) console.log(`  other processes ${((100 * others.others) / others.total).toFixed(0)}% of the machine's CPU meanwhile`);
  },
  { exitWhenDone: true },
);
