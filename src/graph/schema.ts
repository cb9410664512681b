/**
 * The constraints and indexes the gateway's statements rely on: one per lookup, so every read
 * starts from an index. Written by seeding and by anything that creates a graph from scratch.
 */
import neo4j from "neo4j-driver";
import type { Graph, GraphSession } from "../platform/neo4j";
import { AUDIT_CUSTOMER_INDEX } from "./audit";
import { awaitOwnIndexes } from "./await-indexes";
import { CONTACT_TRAJECTORY_INDEX, INDICATOR_SEARCH_INDEX } from "./model";
import { EVALUATION_SCHEMA } from "./evaluation";
import { SEGMENT_SCHEMA } from "./segments";
import { WORK_ORDER_SCHEMA } from "./work-orders";

/**
 * The audit trail's (./audit.ts): written by gateways from their first request, so each gateway's
 * audit writer also makes sure of them (src/audit/writer.ts), on a graph seeded before they existed.
 */
export const AUDIT_SCHEMA: readonly string[] = [
  "CREATE CONSTRAINT audit_entry_id IF NOT EXISTS FOR (a:AuditEntry) REQUIRE a.id IS UNIQUE",
  "CREATE RANGE INDEX audit_at IF NOT EXISTS FOR (a:AuditEntry) ON (a.at)",
  "CREATE RANGE INDEX audit_customer_at IF NOT EXISTS FOR (a:AuditEntry) ON (a.customerId, a.at)",
  "CREATE RANGE INDEX audit_principal_at IF NOT EXISTS FOR (a:AuditEntry) ON (a.principalId, a.at)",
  "CREATE RANGE INDEX audit_operation_at IF NOT EXISTS FOR (a:AuditEntry) ON (a.operation, a.at)",
  "CREATE RANGE INDEX audit_kind_at IF NOT EXISTS FOR (a:AuditEntry) ON (a.kind, a.at)",
  // Entries of a maker-checker change only (others hold no changeId, and a range index skips them).
  "CREATE RANGE INDEX audit_change_at IF NOT EXISTS FOR (a:AuditEntry) ON (a.changeId, a.at)",
  // A request's reads, one node per request (./audit.ts).
  "CREATE CONSTRAINT audit_request_id IF NOT EXISTS FOR (r:AuditRequest) REQUIRE r.id IS UNIQUE",
  "CREATE RANGE INDEX audit_request_at IF NOT EXISTS FOR (r:AuditRequest) ON (r.at)",
  "CREATE RANGE INDEX audit_request_principal_at IF NOT EXISTS FOR (r:AuditRequest) ON (r.principalId, r.at)",
  "CREATE RANGE INDEX audit_request_operation_at IF NOT EXISTS FOR (r:AuditRequest) ON (r.operation, r.at)",
  // Each customer id of the list one term, kept whole and as written (keyword analyzer); updated
  // in the writer's transaction, so the customer filter finds a read as soon as it is committed.
  `CREATE FULLTEXT INDEX ${AUDIT_CUSTOMER_INDEX} IF NOT EXISTS FOR (r:AuditRequest) ON EACH [r.customerIds]
     OPTIONS {indexConfig: {\`fulltext.analyzer\`: 'keyword', \`fulltext.eventually_consistent\`: false}}`,
];

/** Constraints (each also an index) and lookup indexes, all idempotent. */
export const SCHEMA: readonly string[] = [
  "CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (c:Customer) REQUIRE c.id IS UNIQUE",
  "CREATE CONSTRAINT customer_msisdn IF NOT EXISTS FOR (c:Customer) REQUIRE c.msisdn IS UNIQUE",
  ...SEGMENT_SCHEMA,
  "CREATE CONSTRAINT product_id IF NOT EXISTS FOR (p:Product) REQUIRE p.id IS UNIQUE",
  "CREATE CONSTRAINT product_code IF NOT EXISTS FOR (p:Product) REQUIRE p.code IS UNIQUE",
  "CREATE CONSTRAINT channel_code IF NOT EXISTS FOR (c:Channel) REQUIRE c.code IS UNIQUE",
  "CREATE CONSTRAINT tag_id IF NOT EXISTS FOR (t:Tag) REQUIRE t.id IS UNIQUE",
  "CREATE CONSTRAINT tag_code IF NOT EXISTS FOR (t:Tag) REQUIRE t.code IS UNIQUE",
  "CREATE CONSTRAINT region_id IF NOT EXISTS FOR (r:Region) REQUIRE r.id IS UNIQUE",
  "CREATE CONSTRAINT group_id IF NOT EXISTS FOR (g:Group) REQUIRE g.id IS UNIQUE",
  "CREATE CONSTRAINT contact_id IF NOT EXISTS FOR (k:Contact) REQUIRE k.id IS UNIQUE",
  "CREATE CONSTRAINT hidden_preference_customer IF NOT EXISTS FOR (h:HiddenPreference) REQUIRE h.customerId IS UNIQUE",
  "CREATE CONSTRAINT seed_run_id IF NOT EXISTS FOR (s:SeedRun) REQUIRE s.id IS UNIQUE",
  "CREATE CONSTRAINT segment_id IF NOT EXISTS FOR (g:Segment) REQUIRE g.id IS UNIQUE",
  "CREATE CONSTRAINT segment_code IF NOT EXISTS FOR (g:Segment) REQUIRE g.code IS UNIQUE",
  "CREATE CONSTRAINT offer_id IF NOT EXISTS FOR (o:Offer) REQUIRE o.id IS UNIQUE",
  "CREATE CONSTRAINT offer_code IF NOT EXISTS FOR (o:Offer) REQUIRE o.code IS UNIQUE",
  "CREATE CONSTRAINT strategy_id IF NOT EXISTS FOR (s:Strategy) REQUIRE s.id IS UNIQUE",
  "CREATE CONSTRAINT strategy_code IF NOT EXISTS FOR (s:Strategy) REQUIRE s.code IS UNIQUE",
  "CREATE CONSTRAINT decision_id IF NOT EXISTS FOR (d:Decision) REQUIRE d.id IS UNIQUE",
  // Maker-checker (src/graph/approval.ts): the keys make "one pending change per target", "one
  // pending claim per code" and "a reserved id is never reused" atomic; status + id pages the queue.
  "CREATE CONSTRAINT change_id IF NOT EXISTS FOR (c:Change) REQUIRE c.id IS UNIQUE",
  "CREATE CONSTRAINT change_pending_key IF NOT EXISTS FOR (c:Change) REQUIRE c.pendingKey IS UNIQUE",
  "CREATE CONSTRAINT change_code_key IF NOT EXISTS FOR (c:Change) REQUIRE c.codeKey IS UNIQUE",
  "CREATE CONSTRAINT change_creates_key IF NOT EXISTS FOR (c:Change) REQUIRE c.createsKey IS UNIQUE",
  // The tag library (src/graph/tags.ts): versions per tag, the publish log, statistics, and the
  // indicator search's nodes; each found by its key.
  "CREATE CONSTRAINT tag_version_key IF NOT EXISTS FOR (v:TagVersion) REQUIRE (v.tagId, v.version) IS UNIQUE",
  // Strategy and offer versions (src/graph/marketing.ts): one node per applied change.
  "CREATE CONSTRAINT strategy_version_key IF NOT EXISTS FOR (v:StrategyVersion) REQUIRE (v.strategyId, v.version) IS UNIQUE",
  "CREATE CONSTRAINT offer_version_key IF NOT EXISTS FOR (v:OfferVersion) REQUIRE (v.offerId, v.version) IS UNIQUE",
  "CREATE CONSTRAINT tag_log_id IF NOT EXISTS FOR (l:TagLog) REQUIRE l.id IS UNIQUE",
  "CREATE CONSTRAINT tag_run_id IF NOT EXISTS FOR (r:TagRun) REQUIRE r.id IS UNIQUE",
  "CREATE CONSTRAINT tag_value_key IF NOT EXISTS FOR (v:TagValue) REQUIRE (v.tagId, v.value) IS UNIQUE",
  "CREATE CONSTRAINT attribute_code IF NOT EXISTS FOR (a:Attribute) REQUIRE a.code IS UNIQUE",
  "CREATE CONSTRAINT attribute_value_key IF NOT EXISTS FOR (v:AttributeValue) REQUIRE (v.attribute, v.value) IS UNIQUE",
  // A customer's trajectory page, newest first, is a backwards seek on this composite range index.
  `CREATE RANGE INDEX ${CONTACT_TRAJECTORY_INDEX} IF NOT EXISTS FOR (k:Contact) ON (k.customerId, k.at)`,
  "CREATE RANGE INDEX decision_customer_at IF NOT EXISTS FOR (d:Decision) ON (d.customerId, d.at)",
  "CREATE RANGE INDEX decision_strategy IF NOT EXISTS FOR (d:Decision) ON (d.strategyId)",
  "CREATE RANGE INDEX change_status_id IF NOT EXISTS FOR (c:Change) ON (c.status, c.id)",
  "CREATE RANGE INDEX change_target IF NOT EXISTS FOR (c:Change) ON (c.kind, c.targetId)",
  "CREATE RANGE INDEX customer_segment IF NOT EXISTS FOR (c:Customer) ON (c.segment)",
  "CREATE RANGE INDEX customer_lifecycle_stage IF NOT EXISTS FOR (c:Customer) ON (c.lifecycleStage)",
  "CREATE RANGE INDEX customer_value_tier IF NOT EXISTS FOR (c:Customer) ON (c.valueTier)",
  "CREATE RANGE INDEX customer_region IF NOT EXISTS FOR (c:Customer) ON (c.regionId)",
  "CREATE RANGE INDEX customer_arpu IF NOT EXISTS FOR (c:Customer) ON (c.arpu)",
  "CREATE RANGE INDEX tag_level1 IF NOT EXISTS FOR (t:Tag) ON (t.level1)",
  "CREATE RANGE INDEX tag_status IF NOT EXISTS FOR (t:Tag) ON (t.status)",
  "CREATE RANGE INDEX tag_level2 IF NOT EXISTS FOR (t:Tag) ON (t.level2)",
  "CREATE RANGE INDEX tag_scope IF NOT EXISTS FOR (t:Tag) ON (t.scope)",
  "CREATE RANGE INDEX tag_value_tag IF NOT EXISTS FOR (v:TagValue) ON (v.tagId)",
  // Indicator search (src/tags/search.ts): one Lucene index over tags (code, name, definition,
  // taxonomy), category values and customer attributes; the CJK analyzer indexes Chinese as
  // overlapping bigrams, so a substring of a Chinese name matches. Updated in the writing
  // transaction (not eventually consistent): a tag is searchable the moment it is published.
  `CREATE FULLTEXT INDEX ${INDICATOR_SEARCH_INDEX} IF NOT EXISTS FOR (n:Tag|TagValue|Attribute|AttributeValue)
     ON EACH [n.code, n.name, n.definition, n.level1, n.level2, n.value]
     OPTIONS {indexConfig: {\`fulltext.analyzer\`: 'cjk', \`fulltext.eventually_consistent\`: false}}`,
  "CREATE RANGE INDEX product_kind IF NOT EXISTS FOR (p:Product) ON (p.kind)",
  "CREATE RANGE INDEX group_kind IF NOT EXISTS FOR (g:Group) ON (g.kind)",
  "CREATE RANGE INDEX region_level IF NOT EXISTS FOR (r:Region) ON (r.level)",
  ...EVALUATION_SCHEMA,
  ...AUDIT_SCHEMA,
  // The work-order pool (./work-orders.ts; the pool also makes sure of them on a graph seeded before).
  ...WORK_ORDER_SCHEMA,
];

/** Creates every constraint and index the gateway relies on and waits until they are online. */
export async function ensureSchema(graph: Graph, timeoutSeconds = 300): Promise<void> {
  const session = graph.session();
  for (const statement of SCHEMA) await session.write(statement);
  await awaitOwnIndexes(session, SCHEMA, timeoutSeconds);
}

/** Creates the audit trail's constraint and indexes when missing (idempotent; a no-op when they exist). */
export async function ensureAuditSchema(session: GraphSession, timeoutSeconds = 300): Promise<void> {
  for (const statement of AUDIT_SCHEMA) await session.write(statement);
  // The trail's customer filter queries the full-text index, which answers only once it is online.
  await session.write("CALL db.awaitIndex($index, $timeout)", { index: AUDIT_CUSTOMER_INDEX, timeout: neo4j.int(timeoutSeconds) });
}
