import type { GraphSession } from "../../src/platform/neo4j";
import { type HiddenPreferenceNode } from "../../src/graph/model";
import { PRODUCT_KINDS, type ProductKind } from "../../src/domain/vocabulary";

/**
 * The evaluation's reads and its clean-up (`npm run evaluate`, bench/evaluate): ground truth the
 * gateway never serves, what the seeded trajectory says is popular, and putting customers the
 * training phase decided for back as the seed wrote them, so that every run starts from the same
 * graph and the same seed prints the same table.
 */

/** Hidden affinities of the given customers (the seed's ground truth); customers without one are left out. */
export async function hiddenPreferences(graph: GraphSession, customerIds: readonly string[]): Promise<Map<string, HiddenPreferenceNode>> {
  const rows = await graph.read<{ h: Record<string, unknown> }>(
    `MATCH (h:HiddenPreference) WHERE h.customerId IN $ids
     RETURN h {.*} AS h`,
    { ids: customerIds },
  );
  const out = new Map<string, HiddenPreferenceNode>();
  for (const { h } of rows) {
    const pref = { customerId: String(h.customerId) } as HiddenPreferenceNode;
    for (const kind of PRODUCT_KINDS) pref[kind as ProductKind] = Number(h[kind] ?? 0);
    out.set(pref.customerId, pref);
  }
  return out;
}

/**
 * ACCEPTED responses per product in the seeded trajectory: what a "most popular first" policy
 * would know. Contacts written by decisions (they carry a decisionId) are not the seed's and are
 * left out, so leftovers of an interrupted run change nothing.
 */
export async function seededAcceptances(graph: GraphSession): Promise<Map<string, number>> {
  const rows = await graph.read<{ productId: string; accepted: number }>(
    `MATCH (k:Contact {kind: 'OFFER_RESPONSE', outcome: 'ACCEPTED'})
     WHERE k.decisionId IS NULL AND k.productId IS NOT NULL
     RETURN k.productId AS productId, count(*) AS accepted`,
  );
  return new Map(rows.map((r) => [r.productId, r.accepted]));
}

/** A customer's holdings as the seed generated them: [product id, since (epoch ms)]. */
export interface SeededHoldings {
  customerId: string;
  holdings: Array<[string, number]>;
}

/** Customers with decisions in the graph: what an earlier, interrupted evaluation left behind. */
export async function customersWithDecisions(graph: GraphSession): Promise<string[]> {
  const rows = await graph.read<{ id: string }>(`MATCH (d:Decision) RETURN DISTINCT d.customerId AS id ORDER BY id`);
  return rows.map((r) => r.id);
}

/**
 * Puts customers back as the seed wrote them: their subscriptions become the seeded holdings again
 * (an accepted offer added one and may have dropped what it excludes), and the contacts decisions
 * wrote and the decisions go. Decisions go last, so a clean-up cut short is found again by
 * {@link customersWithDecisions}. Returns the decisions removed.
 */
export async function restoreSeededCustomers(graph: GraphSession, customers: readonly SeededHoldings[]): Promise<number> {
  if (customers.length === 0) return 0;
  const ids = customers.map((c) => c.customerId);
  await graph.write(
    `UNWIND $rows AS r
     MATCH (c:Customer {id: r.customerId})
     CALL (c, r) {
       OPTIONAL MATCH (c)-[s:SUBSCRIBES]->(p:Product)
       WHERE NOT p.id IN [h IN r.holdings | h[0]]
       DELETE s
     }
     CALL (c, r) {
       UNWIND r.holdings AS h
       MATCH (p:Product {id: h[0]})
       MERGE (c)-[s:SUBSCRIBES]->(p)
       SET s.since = datetime({epochMillis: toInteger(h[1])})
     }`,
    { rows: customers },
  );
  await graph.write(
    `UNWIND $ids AS id
     MATCH (:Customer {id: id})-[:HAD]->(k:Contact) WHERE k.decisionId IS NOT NULL
     DETACH DELETE k`,
    { ids },
  );
  const removed = await graph.write<{ decisions: number }>(
    `MATCH (d:Decision) WHERE d.customerId IN $ids
     DETACH DELETE d
     RETURN count(*) AS decisions`,
    { ids },
  );
  return removed[0]?.decisions ?? 0;
}

/**
 * Organic purchases of the simulated customers (campaign truth, ./campaign-truth.ts): each becomes
 * a SUBSCRIBES edge dated `at`, as a purchase through any channel would; a product already held
 * is left as it is. Returns the edges created.
 */
export async function writeOrganicPurchases(graph: GraphSession, purchases: ReadonlyArray<{ customerId: string; productId: string; at: Date }>): Promise<number> {
  if (purchases.length === 0) return 0;
  const rows = await graph.write<{ created: number }>(
    `UNWIND $rows AS r
     MATCH (c:Customer {id: r.customerId}), (p:Product {id: r.productId})
     WHERE NOT EXISTS { (c)-[:SUBSCRIBES]->(p) }
     CREATE (c)-[:SUBSCRIBES {since: datetime(r.at)}]->(p)
     RETURN count(*) AS created`,
    { rows: purchases.map((p) => ({ customerId: p.customerId, productId: p.productId, at: p.at.toISOString() })) },
  );
  return rows[0]?.created ?? 0;
}

/** A campaign wave's decisions as the campaign truth needs them (./campaign-truth.ts); ordered by customer. */
export async function waveDecisions(graph: GraphSession, waveId: string): Promise<Array<{ decisionId: string; customerId: string; productId: string; control: boolean; contacted: boolean }>> {
  return graph.read(
    `MATCH (d:Decision {waveId: $waveId})
     RETURN d.id AS decisionId, d.customerId AS customerId, d.productId AS productId,
       coalesce(d.controlGroup, false) AS control, coalesce(d.contacted, false) AS contacted
     ORDER BY customerId`,
    { waveId },
  );
}

/**
 * Removes what a campaign truth run left besides its customers' decisions and subscriptions (put
 * back by {@link restoreSeededCustomers}): the campaign, its waves and report, its segment and the
 * changes that approved them, so the store stays as seeded for the next run.
 */
export async function removeCampaign(graph: GraphSession, campaignId: string, segmentId: string): Promise<void> {
  await graph.write(
    `OPTIONAL MATCH (c:Campaign {id: $campaignId})
     OPTIONAL MATCH (c)-[:HAS_WAVE]->(w:Wave)
     OPTIONAL MATCH (r:EvaluationReport {campaignId: $campaignId})
     OPTIONAL MATCH (ch:Change) WHERE ch.targetId IN [$campaignId, $segmentId]
     OPTIONAL MATCH (g:Segment {id: $segmentId})
     DETACH DELETE w, r, ch, c, g`,
    { campaignId, segmentId },
  );
}

/** Campaigns an interrupted campaign truth run left (named "真值评估 …", over a TRUTH_ segment). */
export async function leftoverTruthCampaigns(graph: GraphSession): Promise<Array<{ campaignId: string; segmentId: string }>> {
  return graph.read(
    `MATCH (c:Campaign)-[:OVER]->(g:Segment) WHERE c.name STARTS WITH '真值评估 ' AND g.code STARTS WITH 'TRUTH_'
     RETURN c.id AS campaignId, g.id AS segmentId`,
  );
}
