import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Change, ChangeConnection } from "../schema/approval.type";
import { ChangeKindEnum, ChangeStatusEnum } from "../schema/enums";
import { JSONScalar } from "../schema/scalars";
import type { GatewayContext } from "../src/server/context";
import type { ChangeConnectionRoot, ChangeRecord } from "../src/approval/service";
import type { ChangeKind, ChangeStatus } from "../src/domain/vocabulary";

@Resolver(() => Change)
export class ChangeResolver {
  @Query(() => ChangeConnection, {
    description:
      "Proposed changes in submission order (the oldest waiting first): by default the PENDING ones, the approval queue. `status: null` lists every status; `author` narrows to one proposer's changes.",
  })
  pendingChanges(
    @Ctx() ctx: GatewayContext,
    @Arg("kind", () => ChangeKindEnum, { nullable: true }) kind?: ChangeKind | null,
    @Arg("status", () => ChangeStatusEnum, { nullable: true, defaultValue: "PENDING" }) status?: ChangeStatus | null,
    @Arg("author", () => String, { nullable: true }) author?: string | null,
    @Arg("first", () => Int, { defaultValue: 20, description: "1 to 100." }) first = 20,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<ChangeConnectionRoot> {
    return ctx.approvals.list(ctx, { kind: kind ?? null, status: status ?? null, author: author ?? null, first, after: after ?? null });
  }

  @Query(() => Change, { nullable: true, description: "One change, whatever its status; null when there is none." })
  change(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<ChangeRecord | null> {
    return ctx.approvals.change(ctx, id);
  }

  @Mutation(() => Change, {
    description:
      "Approves a pending change and applies it in the same transaction, checked again against the state now (BAD_USER_INPUT leaves it PENDING). Never by its author (FORBIDDEN); APPROVER for segments, offers and strategies, ADMIN for the contact policy. CONFLICT when it is no longer pending.",
  })
  approveChange(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext, @Arg("reason", () => String, { nullable: true }) reason?: string | null): Promise<ChangeRecord> {
    return ctx.approvals.approve(ctx, id, reason);
  }

  @Mutation(() => Change, { description: "Rejects a pending change: it is never applied. Same deciders as approveChange; the reason (required) is for the author." })
  rejectChange(@Arg("id", () => ID) id: string, @Arg("reason", () => String) reason: string, @Ctx() ctx: GatewayContext): Promise<ChangeRecord> {
    return ctx.approvals.reject(ctx, id, reason);
  }

  @Mutation(() => Change, { description: "Its author takes a pending change back: it is never applied, and its target (and code) may be proposed again." })
  withdrawChange(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext, @Arg("reason", () => String, { nullable: true }) reason?: string | null): Promise<ChangeRecord> {
    return ctx.approvals.withdraw(ctx, id, reason);
  }

  @FieldResolver(() => JSONScalar, { description: "The change as proposed: the mutation's input (fields left out stay as they are when it is applied); {} for a retirement." })
  payload(@Root() change: ChangeRecord): unknown {
    return JSON.parse(change.payload) as unknown;
  }
}
