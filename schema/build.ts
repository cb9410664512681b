import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema, getMetadataStorage, type PubSub } from "type-graphql";
import { CatalogueResolver } from "../resolvers/catalogue.resolver";
import { ContactConnectionResolver, ContactResolver } from "../resolvers/contact.resolver";
import { ChangeContactPolicyResolver, ContactPolicyResolver } from "../resolvers/contact-policy.resolver";
import { CustomerResolver } from "../resolvers/customer.resolver";
import { ContactDecisionResolver, CustomerDecisionResolver, DecisionResolver } from "../resolvers/decision.resolver";
import { ChangeTargetResolver, OfferResolver, SegmentResolver, StrategyResolver } from "../resolvers/marketing.resolver";
import { EvaluationResolver } from "../resolvers/evaluation.resolver";
import { PlanAdviceResolver } from "../resolvers/plan-advice.resolver";
import { DeskUpdateResolver, LiveOfferResolver, RealtimeResolver } from "../resolvers/realtime.resolver";
import { SessionResolver } from "../resolvers/session.resolver";
import { ChangeTagResolver, SegmentTagsResolver, TagLibraryResolver, TagRunResolver, TagVersionRuleResolver } from "../resolvers/tag.resolver";
import { SegmentPreviewResolver } from "../resolvers/segment.resolver";
import { SegmentSnapshotResolver, SegmentSnapshotsResolver } from "../resolvers/snapshot.resolver";
import { CampaignResolver, WaveResolver } from "../resolvers/campaign.resolver";
import { WorkOrderResolver } from "../resolvers/work-order.resolver";
// Last: type-graphql emits types in the order their classes load, so the approval types come after
// the rest, and the audit trail after the operations it records.
import { ChangeResolver } from "../resolvers/approval.resolver";
import { AuditResolver } from "../resolvers/audit.resolver";
import { asSubgraph } from "./federation";

/**
 * The gateway's one schema, as it serves it: the code-first API ({@link buildApiSchema}) as an
 * Apollo Federation 2 subgraph (./federation.ts: `@key` entities, `_entities`, `_service`).
 * Its subgraph SDL is emitted to schema/subgraph.graphql by `npm run schema`.
 */
export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  return asSubgraph(await buildApiSchema());
}

/** The API, code first: what clients see. Emitted to schema/schema.graphql by `npm run schema`. */
export function buildApiSchema(): Promise<GraphQLSchema> {
  argumentsInDeclaredOrder();
  return buildSchema({
    resolvers: [CustomerResolver, CatalogueResolver, ContactConnectionResolver, ContactResolver, PlanAdviceResolver, ContactPolicyResolver,
      DecisionResolver, CustomerDecisionResolver, ContactDecisionResolver, StrategyResolver, OfferResolver, SegmentResolver,
      SegmentTagsResolver, TagLibraryResolver, TagVersionRuleResolver, TagRunResolver, SegmentPreviewResolver, SegmentSnapshotResolver, SegmentSnapshotsResolver, CampaignResolver, WaveResolver, WorkOrderResolver, RealtimeResolver, LiveOfferResolver, DeskUpdateResolver, SessionResolver, ChangeResolver, ChangeTargetResolver, ChangeContactPolicyResolver, ChangeTagResolver,
      EvaluationResolver, AuditResolver],
    validate: false,
    pubSub: NO_TOPICS,
  });
}

/**
 * type-graphql insists on a PubSub once there are subscriptions, but ours give their own
 * `subscribe` (src/realtime/push-hub.ts routes pushes with replay and bounded buffers), so topic
 * publishing is never used; anything that tries is a bug and says so.
 */
const NO_TOPICS: PubSub = {
  publish(): never {
    throw new Error("topic pub/sub is not used: pushes go through src/realtime/event-stream.ts and push-hub.ts");
  },
  subscribe(): never {
    throw new Error("topic pub/sub is not used: subscriptions declare their own subscribe function");
  },
};

/**
 * TypeScript runs parameter decorators last to first, so type-graphql collects a method's
 * arguments in reverse and the SDL read `nextBestOffers(context, channel, limit, customerId)`.
 * Putting each method's parameters back in their declared order (type-graphql calls the method by
 * each parameter's index, so only the schema's order changes) makes the schema read as written.
 */
function argumentsInDeclaredOrder(): void {
  const params = getMetadataStorage().params;
  const groups = new Map<unknown, Map<string, typeof params>>();
  for (const p of params) {
    const byMethod = groups.get(p.target) ?? new Map<string, typeof params>();
    groups.set(p.target, byMethod);
    byMethod.set(p.methodName, [...(byMethod.get(p.methodName) ?? []), p]);
  }
  const ordered = [...groups.values()].flatMap((byMethod) => [...byMethod.values()].flatMap((group) => [...group].sort((a, b) => a.index - b.index)));
  params.splice(0, params.length, ...ordered);
}
