import type { GraphSession } from "../platform/neo4j";
import type { ResponseOutcome } from "../domain/vocabulary";

/** One answer to an offer in the seeded trajectory (history before the gateway decided). */
export interface HistoricalResponse {
  /** The response contact's id: what makes learning from it idempotent. */
  id: string;
  customerId: string;
  productId: string;
  outcome: ResponseOutcome;
}

/**
 * The trajectory's answers to offers that no gateway decision made (those carry a decisionId, and
 * the model learned from them when they were answered) by customers who do not hold the product now, oldest first. `only`: these customers'
 * alone; `exclude`: all but these (an evaluation's held-out customers).
 */
export async function historicalResponses(graph: GraphSession, opts: { only?: readonly string[]; exclude?: readonly string[] } = {}): Promise<HistoricalResponse[]> {
  return graph.read<HistoricalResponse>(
    `MATCH (k:Contact {kind: 'OFFER_RESPONSE'})
     WHERE k.decisionId IS NULL AND k.productId IS NOT NULL AND k.outcome IS NOT NULL
       AND ($only IS NULL OR k.customerId IN $only) AND NOT k.customerId IN $exclude
       // An answer that made the customer hold the product changed what the features see now (its
       // quota, its holdings): learning it would teach the model the consequence as the cause.
       AND NOT EXISTS { MATCH (:Customer {id: k.customerId})-[:SUBSCRIBES]->(:Product {id: k.productId}) }
     RETURN k.id AS id, k.customerId AS customerId, k.productId AS productId, k.outcome AS outcome
     ORDER BY k.at, k.id`,
    { only: opts.only ?? null, exclude: opts.exclude ?? [] },
  );
}
