import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { CatalogueResolver } from "../resolvers/catalogue.resolver";
import { ContactConnectionResolver, ContactResolver } from "../resolvers/contact.resolver";
import { CustomerResolver } from "../resolvers/customer.resolver";

/** The gateway's one schema, code first. Emitted to schema/schema.graphql by `npm run schema`. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [CustomerResolver, CatalogueResolver, ContactConnectionResolver, ContactResolver],
    validate: false,
  });
}
