import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema, type PubSub } from "type-graphql";
import { CatalogueResolver } from "../resolvers/catalogue.resolver";
import { ContactConnectionResolver, ContactResolver } from "../resolvers/contact.resolver";
import { ContactPolicyResolver } from "../resolvers/contact-policy.resolver";
import { CustomerResolver } from "../resolvers/customer.resolver";
import { ContactDecisionResolver, CustomerDecisionResolver, DecisionResolver } from "../resolvers/decision.resolver";
import { OfferResolver, SegmentResolver, StrategyResolver } from "../resolvers/marketing.resolver";
import { PlanAdviceResolver } from "../resolvers/plan-advice.resolver";
import { DeskUpdateResolver, LiveOfferResolver, RealtimeResolver } from "../resolvers/realtime.resolver";

/** The gateway's one schema, code first. Emitted to schema/schema.graphql by `npm run schema`. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [CustomerResolver, CatalogueResolver, ContactConnectionResolver, ContactResolver, PlanAdviceResolver, ContactPolicyResolver,
      DecisionResolver, CustomerDecisionResolver, ContactDecisionResolver, StrategyResolver, OfferResolver, SegmentResolver,
      RealtimeResolver, LiveOfferResolver, DeskUpdateResolver],
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
