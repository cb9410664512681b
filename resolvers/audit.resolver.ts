import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import { AuditConnection, AuditEntry, AuditFilterInput } from "../schema/audit.type";
import { JSONScalar } from "../schema/scalars";
import type { GatewayContext } from "../src/server/context";
import type { AuditEntryRecord } from "../src/graph/audit";
import type { AuditConnectionRoot } from "../src/audit/trail";
import { MAX_AUDIT_PAGE } from "../src/audit/trail";

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditConnection, {
    description: `The audit trail (ADMIN): every read of a customer's personal data and every change, newest first, filtered; \`first\` 1 to ${MAX_AUDIT_PAGE}, \`after\` an endCursor of a previous page. Entries arrive within about a second of the request (they are written to the graph in batches).`,
  })
  auditTrail(
    @Ctx() ctx: GatewayContext,
    @Arg("filter", () => AuditFilterInput, { nullable: true }) filter?: AuditFilterInput | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<AuditConnectionRoot> {
    return ctx.auditTrail.trail(ctx.graph, filter, first ?? 50, after);
  }

  // Stored as the JSON text the change was noted as; served as JSON.
  @FieldResolver(() => JSONScalar, { nullable: true })
  before(@Root() entry: AuditEntryRecord): unknown {
    return entry.before === null ? null : JSON.parse(entry.before);
  }

  @FieldResolver(() => JSONScalar, { nullable: true })
  after(@Root() entry: AuditEntryRecord): unknown {
    return entry.after === null ? null : JSON.parse(entry.after);
  }
}
