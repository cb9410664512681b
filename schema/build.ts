import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { CatalogueResolver } from "../resolvers/catalogue.resolver";
import { ContactConnectionResolver, ContactResolver } from "../resolvers/contact.resolver";
import { ContactPolicyResolver } from "../resolvers/contact-policy.resolver";
import { CustomerResolver } from "../resolvers/customer.resolver";
import { ContactDecisionResolver, CustomerDecisionResolver, DecisionResolver } from "../resolvers/decision.resolver";
import { OfferResolver, SegmentResolver, StrategyResolver } from "../resolvers/marketing.resolver";
import { PlanAdviceResolver } from "../resolvers/plan-advice.resolver";

/** The gateway's one schema, code first. Emitted to schema/schema.graphql by `npm run schema`. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [CustomerResolver, CatalogueResolver, ContactConnectionResolver, ContactResolver, PlanAdviceResolver, ContactPolicyResolver,
      DecisionResolver, CustomerDecisionResolver, ContactDecisionResolver, StrategyResolver, OfferResolver, SegmentResolver],
    validate: false,
  });
}
