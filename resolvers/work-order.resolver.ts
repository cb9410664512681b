import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Contact } from "../schema/contact.type";
import { Customer } from "../schema/customer.type";
import { Decision } from "../schema/decision.type";
import { Offer } from "../schema/marketing.type";
import { DateTimeScalar } from "../schema/scalars";
import { InteractionInput, WorkOrder, WorkOrderConnection, WorkOrderFeedbackEnum, WorkOrderKindEnum, WorkOrderStatusEnum } from "../schema/work-order.type";
import type { GatewayContext } from "../src/server/context";
import type { WorkOrderConnectionRoot, WorkOrderRecord } from "../src/campaigns/work-orders";
import { viewOfRecord, type DecisionView } from "../src/decisioning/view";
import type { ContactRecord } from "../src/graph/contact";
import type { OfferRecord } from "../src/graph/marketing";
import type { CustomerRecord } from "../src/graph/records";
import type { WorkOrderFeedback, WorkOrderKind, WorkOrderStatus } from "../src/domain/campaigns";

@Resolver(() => WorkOrder)
export class WorkOrderResolver {
  @Query(() => WorkOrderConnection, {
    description:
      "The work-order pool, earliest due first. An AGENT sees the OPEN orders of its teams (`teams` claim) in its regions and the orders it claimed; a MARKETER or ADMIN every order of its regions (all without regions); a SERVICE those of its regions. A claim past its due time reads OPEN. `mine`: only the asking agent's; `overdue`: only (or never) those past their due time.",
  })
  workOrders(
    @Ctx() ctx: GatewayContext,
    @Arg("status", () => WorkOrderStatusEnum, { nullable: true }) status?: WorkOrderStatus | null,
    @Arg("kind", () => WorkOrderKindEnum, { nullable: true }) kind?: WorkOrderKind | null,
    @Arg("mine", () => Boolean, { nullable: true }) mine?: boolean | null,
    @Arg("overdue", () => Boolean, { nullable: true }) overdue?: boolean | null,
    @Arg("first", () => Int, { defaultValue: 20 }) first = 20,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<WorkOrderConnectionRoot> {
    return ctx.workOrders.list(ctx, { status: status ?? null, kind: kind ?? null, mine: mine ?? null, overdue: overdue ?? null, first, after: after ?? null });
  }

  @Query(() => WorkOrder, { nullable: true, description: "One work order with its script, customer, decision and offer; null when unknown, FORBIDDEN when not the asker's to see." })
  workOrder(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<WorkOrderRecord | null> {
    return ctx.workOrders.get(ctx, id);
  }

  @Mutation(() => WorkOrder, {
    description:
      "Dispatches a work order for a decision made on OUTBOUND_CALL (kind OUTBOUND_CALL or ACCOUNT_MANAGER) or STORE (STORE_VISIT or ACCOUNT_MANAGER), presented and not yet answered, due at `dueAt` (within 90 days). Idempotent: one order per decision, a second dispatch returns it.",
  })
  dispatchWorkOrder(
    @Arg("decisionId", () => ID) decisionId: string,
    @Arg("kind", () => WorkOrderKindEnum) kind: WorkOrderKind,
    @Arg("dueAt", () => DateTimeScalar) dueAt: Date,
    @Ctx() ctx: GatewayContext,
    @Arg("note", () => String, { nullable: true }) note?: string | null,
  ): Promise<WorkOrderRecord> {
    return ctx.workOrders.dispatch(ctx, { decisionId, kind, dueAt, note: note ?? null });
  }

  @Mutation(() => WorkOrder, {
    description:
      "Claims an OPEN order (or one whose claim lapsed) for the asking agent, until its due time (an overdue order: two hours from now). Of two agents at once one wins; the other gets CONFLICT. Only an order of the agent's teams in its regions (else FORBIDDEN).",
  })
  claimWorkOrder(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<WorkOrderRecord> {
    return ctx.workOrders.claim(ctx, id);
  }

  @Mutation(() => WorkOrder, {
    description:
      "The claimer's report. ACCEPTED/DECLINED answer the decision exactly as respondToOffer does (outcome, holding, cool-downs, model, trajectory) and close the order; REACHED notes the contact in the trajectory and keeps the order; NOT_REACHED returns it to the pool; CALL_BACK (with `callBackAt`, within 30 days) keeps it, due then.",
  })
  reportWorkOrder(
    @Arg("id", () => ID) id: string,
    @Arg("feedback", () => WorkOrderFeedbackEnum) feedback: WorkOrderFeedback,
    @Ctx() ctx: GatewayContext,
    @Arg("callBackAt", () => DateTimeScalar, { nullable: true }) callBackAt?: Date | null,
    @Arg("note", () => String, { nullable: true }) note?: string | null,
  ): Promise<WorkOrderRecord> {
    return ctx.workOrders.report(ctx, id, feedback, callBackAt ?? null, note ?? null);
  }

  @Mutation(() => Contact, {
    description:
      "Records a consultation, complaint or note in a customer's trajectory, at once visible in `contacts` and to segment trajectory predicates. An AGENT for a customer it is or was on a call with (24 h) or whose work order it holds or reported on (24 h); a SERVICE for customers in its regions.",
  })
  recordInteraction(@Arg("input", () => InteractionInput) input: InteractionInput, @Ctx() ctx: GatewayContext): Promise<ContactRecord> {
    return ctx.workOrders.recordInteraction(ctx, input);
  }

  @FieldResolver(() => Customer, { nullable: true, description: "The customer as the desk would see them (masked unless the asker may see them whole)." })
  customer(@Root() w: WorkOrderRecord, @Ctx() ctx: GatewayContext): Promise<CustomerRecord | null> {
    return ctx.customers.customer(ctx, w.customerId);
  }

  @FieldResolver(() => Decision, { nullable: true, description: "The decision the order works." })
  async decision(@Root() w: WorkOrderRecord, @Ctx() ctx: GatewayContext): Promise<DecisionView | null> {
    const d = await ctx.decisioning.decision(ctx, w.decisionId);
    return d ? viewOfRecord(d) : null;
  }

  @FieldResolver(() => Offer, { nullable: true, description: "The offer the script presents." })
  offer(@Root() w: WorkOrderRecord, @Ctx() ctx: GatewayContext): Promise<OfferRecord | null> {
    return ctx.marketing.offer(w.offerId);
  }
}
