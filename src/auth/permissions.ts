import type { Principal, Role } from "./principal";
import { inRegions } from "./regions";

/**
 * The permission matrix: for every root operation of the schema, which roles may call it and, for
 * some roles, a guard on the arguments (an APP token acts for its own customer only, an agent's
 * desk feed is the agent's own). Deny by default: an operation missing here is FORBIDDEN for
 * everyone, and test/permissions.test.ts fails when the schema gains one without a rule.
 * `npm run permissions` prints this table into docs/SECURITY.md.
 *
 * Guards see the operation's arguments as given (variables resolved); they answer null when the
 * call is allowed, or the sentence that says why not. Data scoping that depends on what is read
 * (an agent's regions, its current call, masking, who may answer a decision) is applied by the
 * services, inside the statement where they read (./scope.ts has the rules); so are
 * the maker-checker rules that depend on the change decided (src/approval/): never its author, and
 * a decider role of its kind (APPROVER for marketing changes, ADMIN for the contact policy).
 */

export type Args = Readonly<Record<string, unknown>>;
export type Guard = (principal: Principal, args: Args) => string | null;

export interface OperationRule {
  /** What the operation is for, in the security document. */
  purpose: string;
  /** The roles that may call it, each with an optional guard; a role absent here may not. */
  roles: Partial<Record<Role, Guard | true>>;
}

/** An APP token acts for one customer: the operation's customer argument must be that one. */
const ownCustomer =
  (argument: string): Guard =>
  (p, args) =>
    args[argument] === p.customerId ? null : `An APP token acts for customer ${p.customerId ?? "(none)"} only; ${argument} "${String(args[argument])}" is another customer.`;

/** An AGENT's desk feed is the agent's own. */
const ownAgent: Guard = (p, args) => (args.agentId === p.agentId ? null : `An AGENT token may subscribe to its own desk only (agentId "${p.agentId ?? "(none)"}").`);

/** Simulation inputs (a decision's `context.at`) are for SERVICE and ADMIN: everyone else decides at server time. */
const noSimulation: Guard = (_p, args) => {
  const context = args.context as { at?: unknown } | null | undefined;
  return context?.at !== undefined && context.at !== null ? "context.at (deciding at another time) is for SERVICE and ADMIN tokens; leave it out to decide now." : null;
};

/** A feed for a SERVICE token: it needs regions, and a `regionId` filter must lie within them. */
const ownRegions: Guard = (p, args) => {
  if (p.regions.length === 0) return "A SERVICE token without regions receives no customer's pushes; ask for a token that names the regions it serves.";
  const regionId = args.regionId;
  if (typeof regionId !== "string") return null;
  return inRegions(regionId, p.regions) ? null : `regionId ${regionId} is outside this token's regions (${p.regions.join(", ")}); ask for one of them or a region within one.`;
};

const both =
  (...guards: Guard[]): Guard =>
  (p, args) => {
    for (const g of guards) {
      const why = g(p, args);
      if (why) return why;
    }
    return null;
  };

const EVERYONE = { AGENT: true, APP: true, MARKETER: true, APPROVER: true, SERVICE: true, ADMIN: true } as const;

/**
 * The entities this gateway serves to a supergraph router (Apollo Federation 2), each with the
 * root field whose rule a reference to it obeys and the arguments that field would get: a router
 * forwards the end user's token, so `_entities` lets a token read exactly what `customer(id)`,
 * `products`, `channels` and `offers` would let it read (an APP token its own customer only).
 */
export const ENTITY_RULES: Readonly<Record<string, { coordinate: string; args: (reference: Readonly<Record<string, unknown>>) => Args }>> = {
  Customer: { coordinate: "Query.customer", args: (r) => ({ id: r.id }) },
  Product: { coordinate: "Query.products", args: () => ({}) },
  Channel: { coordinate: "Query.channels", args: () => ({}) },
  Offer: { coordinate: "Query.offers", args: () => ({}) },
};

/**
 * `_entities`: every representation must be one the token may read through its type's root field
 * ({@link ENTITY_RULES}), with the token's roles together (the union, as everywhere else); one
 * that may not refuses the whole operation, as a root field would.
 */
const entitiesAsTheirRootFields: Guard = (p, args) => {
  const representations = Array.isArray(args.representations) ? (args.representations as unknown[]) : [];
  const refused = new Map<string, string>();
  for (const r of representations) {
    const reference = r && typeof r === "object" ? (r as Record<string, unknown>) : {};
    const typename = typeof reference.__typename === "string" ? reference.__typename : String(reference.__typename);
    // Own keys only: "constructor" or "__proto__" is not an entity either.
    const rule = Object.hasOwn(ENTITY_RULES, typename) ? ENTITY_RULES[typename] : undefined;
    if (!rule) {
      refused.set(typename, `_entities serves ${Object.keys(ENTITY_RULES).join(", ")}; "${typename}" is not an entity of this subgraph.`);
      continue;
    }
    const why = denial(p, rule.coordinate, rule.args(reference));
    if (why) refused.set(typename, `_entities reads ${typename} as ${rule.coordinate} does: ${why}`);
  }
  return refused.size > 0 ? [...refused.values()].join(" ") : null;
};
const MARKETING_READERS = { MARKETER: true, APPROVER: true, ADMIN: true } as const;

export const PERMISSIONS: Readonly<Record<string, OperationRule>> = {
  "Query.products": { purpose: "The product catalogue.", roles: EVERYONE },
  // Apollo Federation 2 (schema/federation.ts): what a supergraph router calls with the end user's forwarded token.
  "Query._entities": {
    purpose: "Federation: Customer, Product, Channel and Offer by key for a supergraph router, each as its own root field allows (customer, products, channels, offers), scoped, masked and audited alike.",
    roles: { AGENT: entitiesAsTheirRootFields, APP: entitiesAsTheirRootFields, MARKETER: entitiesAsTheirRootFields, APPROVER: entitiesAsTheirRootFields, SERVICE: entitiesAsTheirRootFields, ADMIN: entitiesAsTheirRootFields },
  },
  "Query._service": { purpose: "Federation: the subgraph SDL (schema/subgraph.graphql), for a router composing at start-up with its own token.", roles: { SERVICE: true, ADMIN: true } },
  "Query.channels": { purpose: "The seven contact channels.", roles: EVERYONE },
  "Query.contactPolicy": { purpose: "The contact policy in force.", roles: { ...MARKETING_READERS } },
  "Query.customer": { purpose: "One customer's unified view.", roles: { AGENT: true, APP: ownCustomer("id"), MARKETER: true } },
  "Query.customers": { purpose: "Several customers' unified views.", roles: { AGENT: true, MARKETER: true } },
  "Query.customerByMsisdn": { purpose: "The caller behind a phone number (the 10086 desk).", roles: { AGENT: true } },
  "Query.nextBestOffers": {
    purpose: "Decide and present offers (writes to the trajectory).",
    roles: { AGENT: noSimulation, APP: both(ownCustomer("customerId"), noSimulation), SERVICE: true, ADMIN: true },
  },
  "Query.decision": { purpose: "A decision made earlier.", roles: { AGENT: true, APP: true, MARKETER: true, SERVICE: true, ADMIN: true } },
  "Query.strategies": { purpose: "The strategy centre's strategies.", roles: { ...MARKETING_READERS } },
  "Query.strategy": { purpose: "One strategy.", roles: { ...MARKETING_READERS } },
  "Query.offers": { purpose: "Offers and their creatives.", roles: { ...MARKETING_READERS } },
  "Query.segments": { purpose: "Segments and their expressions.", roles: { ...MARKETING_READERS } },
  "Query.parkedEvents": { purpose: "Events that could not be processed.", roles: { ADMIN: true } },
  "Query.eventPipeline": { purpose: "The event stream's backlog and consumers.", roles: { SERVICE: true, ADMIN: true } },
  "Query.pendingChanges": { purpose: "Proposed changes: the approval queue (PENDING by default) and decided ones.", roles: { ...MARKETING_READERS } },
  "Query.change": { purpose: "One proposed change.", roles: { ...MARKETING_READERS } },
  "Query.auditTrail": { purpose: "Who read whose personal data, and who changed what: proposals, decisions and what approvals applied (before and after).", roles: { ADMIN: true } },
  "Mutation.setContactPolicy": { purpose: "Propose a change to caps, quiet hours and channel priority (another ADMIN approves).", roles: { ADMIN: true } },
  "Mutation.respondToOffer": { purpose: "Record how the customer answered a decision.", roles: { AGENT: true, APP: true, SERVICE: true } },
  "Query.workOrders": {
    purpose: "The work-order pool: an AGENT its teams' open orders in its regions and its own; MARKETER, ADMIN, SERVICE every order of their regions.",
    roles: { AGENT: true, MARKETER: true, ADMIN: true, SERVICE: true },
  },
  "Query.workOrder": { purpose: "One work order with its script, masked customer, decision and offer (same visibility as workOrders).", roles: { AGENT: true, MARKETER: true, ADMIN: true, SERVICE: true } },
  "Mutation.dispatchWorkOrder": { purpose: "Dispatch a work order for a presented OUTBOUND_CALL or STORE decision (a store manager's follow-up).", roles: { MARKETER: true, ADMIN: true, SERVICE: true } },
  "Mutation.claimWorkOrder": { purpose: "Claim an open work order of one's teams in one's regions, until its due time.", roles: { AGENT: true } },
  "Mutation.reportWorkOrder": { purpose: "The claimer's feedback: ACCEPTED/DECLINED answer the decision (as respondToOffer), REACHED, NOT_REACHED, CALL_BACK.", roles: { AGENT: true } },
  "Mutation.recordInteraction": {
    purpose: "Record a consultation, complaint or note in a customer's trajectory (an AGENT for its callers and work-order customers; a SERVICE its regions').",
    roles: { AGENT: true, SERVICE: true },
  },
  "Mutation.createStrategy": { purpose: "Propose a strategy (an APPROVER approves).", roles: { MARKETER: true } },
  "Mutation.updateStrategy": { purpose: "Propose a change to a strategy.", roles: { MARKETER: true } },
  "Mutation.retireStrategy": { purpose: "Propose retiring a strategy.", roles: { MARKETER: true } },
  "Mutation.createOffer": { purpose: "Propose an offer (an APPROVER approves).", roles: { MARKETER: true } },
  "Mutation.updateOffer": { purpose: "Propose a change to an offer (creatives: what agents read out).", roles: { MARKETER: true } },
  "Mutation.retireOffer": { purpose: "Propose retiring an offer.", roles: { MARKETER: true } },
  "Mutation.createSegment": { purpose: "Propose a segment (an APPROVER approves).", roles: { MARKETER: true } },
  "Mutation.updateSegment": { purpose: "Propose a change to a segment.", roles: { MARKETER: true } },
  "Mutation.approveChange": {
    purpose: "Approve and apply a proposed change; never its author's. APPROVER: segments, offers, strategies, tags; ADMIN: the contact policy.",
    roles: { APPROVER: true, ADMIN: true },
  },
  "Mutation.rejectChange": { purpose: "Reject a proposed change, with a reason; same deciders as approveChange.", roles: { APPROVER: true, ADMIN: true } },
  "Mutation.withdrawChange": { purpose: "Withdraw a change one proposed oneself (its author only).", roles: { MARKETER: true, ADMIN: true } },
  "Query.tags": { purpose: "The tag library (标签库): tags by status, taxonomy, scope and text.", roles: { ...MARKETING_READERS } },
  "Query.tag": { purpose: "One tag with its versions, publish log and evaluation.", roles: { ...MARKETING_READERS } },
  "Query.tagRun": { purpose: "One run of a rule tag: state, progress, holders, added, removed, error.", roles: { ...MARKETING_READERS } },
  "Query.tagImpact": { purpose: "What uses a tag (segments, strategies, offers) before it goes offline.", roles: { ...MARKETING_READERS } },
  "Query.searchIndicators": { purpose: "Indicator search for segment builders: tags, values, attributes.", roles: { ...MARKETING_READERS } },
  "Query.segmentPreview": {
    purpose: "Size a segment at once (count, distributions, a masked sample of members) without saving anything.",
    roles: { ...MARKETING_READERS },
  },
  "Query.segmentSnapshot": { purpose: "One materialised segment snapshot: size, state, progress, and its members (masked unless the role may see them; within the asker's scope).", roles: { ...MARKETING_READERS } },
  "Mutation.materializeSegment": { purpose: "Take a snapshot of a segment's members now (in the background; durable, for campaigns and exports).", roles: { MARKETER: true, ADMIN: true } },
  "Query.campaign": { purpose: "One campaign, its waves, their progress and funnels.", roles: { ...MARKETING_READERS } },
  "Query.campaigns": { purpose: "Campaigns by status, newest first.", roles: { ...MARKETING_READERS } },
  "Mutation.createCampaign": { purpose: "Create a DRAFT campaign with its waves.", roles: { MARKETER: true, ADMIN: true } },
  "Mutation.updateCampaign": { purpose: "Replace a DRAFT campaign.", roles: { MARKETER: true, ADMIN: true } },
  "Mutation.submitCampaign": { purpose: "Submit a campaign for approval (an APPROVER other than the submitter approves it with approveChange).", roles: { MARKETER: true, ADMIN: true } },
  "Mutation.launchCampaign": { purpose: "Launch an APPROVED campaign: its waves are scheduled.", roles: { MARKETER: true, ADMIN: true } },
  "Mutation.pauseCampaign": { purpose: "Pause a RUNNING campaign.", roles: { MARKETER: true, ADMIN: true } },
  "Mutation.resumeCampaign": { purpose: "Resume a PAUSED campaign.", roles: { MARKETER: true, ADMIN: true } },
  "Mutation.cancelCampaign": { purpose: "Cancel a campaign that has not finished.", roles: { MARKETER: true, ADMIN: true } },
  "Mutation.setSegmentRefresh": { purpose: "Set or clear a segment's daily snapshot refresh (the hour and time zone).", roles: { MARKETER: true, ADMIN: true } },
  "Query.segmentIndex": { purpose: "The segment index previews are sized on: served, built when, a build's progress.", roles: { ...MARKETING_READERS, SERVICE: true } },
  "Mutation.rebuildSegmentIndex": { purpose: "Rebuild the segment index from the graph (in the background, one replica at a time).", roles: { SERVICE: true, ADMIN: true } },
  "Mutation.createTag": { purpose: "Create a tag as a draft (served only once approved and published).", roles: { MARKETER: true } },
  "Mutation.updateTag": { purpose: "Edit a tag's draft (a published tag gets a new draft version).", roles: { MARKETER: true } },
  "Mutation.submitTag": { purpose: "Propose a tag's draft for approval (an APPROVER who did not write it approves).", roles: { MARKETER: true } },
  "Mutation.promoteTag": { purpose: "Propose a city tag for the whole province (an APPROVER approves).", roles: { MARKETER: true } },
  "Mutation.offlineTag": { purpose: "Propose taking a tag offline everywhere (an APPROVER approves).", roles: { MARKETER: true } },
  "Mutation.publishTag": { purpose: "Publish an approved tag version (logged: who, when, which version and approval).", roles: { MARKETER: true, APPROVER: true } },
  "Mutation.runTag": { purpose: "Run a published rule tag now over every customer (a queued job; one run per tag at a time).", roles: { MARKETER: true, SERVICE: true } },
  "Mutation.importTagValues": { purpose: "Set listed customers' values of an IMPORTED tag (≤ 10,000 rows a call, all or nothing).", roles: { MARKETER: true, SERVICE: true } },
  "Mutation.removeTagValues": { purpose: "Remove listed customers' values of an IMPORTED tag.", roles: { MARKETER: true, SERVICE: true } },
  "Mutation.refreshTagStatistics": { purpose: "Recompute tags' coverage, freshness and values (the tag jobs).", roles: { SERVICE: true, ADMIN: true } },
  "Mutation.ingestEvents": { purpose: "Feed real-time events in.", roles: { SERVICE: true } },
  "Mutation.retryParkedEvents": { purpose: "Re-queue parked events.", roles: { ADMIN: true } },
  "Query.sessions": { purpose: "Users' open WebSocket sessions on every replica.", roles: { ADMIN: true } },
  "Mutation.revokeSessions": { purpose: "End a principal's sessions and void its tokens.", roles: { ADMIN: true } },
  "Subscription.liveOffers": { purpose: "Offers pushed to one customer (app, mobile hall; internal apps acting for many).", roles: { APP: ownCustomer("customerId"), SERVICE: true } },
  "Subscription.deskFeed": { purpose: "An agent's desktop: the caller's view and offers.", roles: { AGENT: ownAgent } },
  "Subscription.offerFeed": { purpose: "Every pushed offer of the token's regions, for internal apps.", roles: { SERVICE: ownRegions } },
  // The evaluation centre (src/evaluation/): figures count only the customers of a token's regions when it names some.
  "Query.evaluation": { purpose: "Funnels and uplift by campaign, strategy version, wave, offer, channel, region, tag or day (a token's regions only, when it names some).", roles: { ...MARKETING_READERS } },
  "Query.campaignRanking": { purpose: "活动排行: campaigns ranked by incremental revenue, order rate, uplift or response rate.", roles: { ...MARKETING_READERS } },
  "Query.evaluationTrend": { purpose: "An evaluation figure per day.", roles: { ...MARKETING_READERS } },
  "Query.strategyCube": { purpose: "The strategy cube: business line × scenario × lifecycle stage.", roles: { ...MARKETING_READERS } },
  "Query.campaignAlerts": { purpose: "The alerts a campaign raised.", roles: { ...MARKETING_READERS } },
  "Query.campaignReport": { purpose: "A campaign's evaluation report, once its response window has closed.", roles: { ...MARKETING_READERS } },
  "Subscription.campaignAlerts": { purpose: "A running campaign's alerts, to its owners (and ADMIN; the service refuses anyone else).", roles: { ...MARKETING_READERS } },
};

/**
 * Endpoints beside /graphql, deny by default as the matrix is (the same roles and guards; the
 * security document lists them with the operations). The export streams personal data, masked and
 * scoped exactly as `segmentSnapshot { members }` serves it.
 */
export const HTTP_PERMISSIONS: Readonly<Record<string, OperationRule>> = {
  "GET /exports/snapshots/{id}.csv": {
    purpose: "A segment snapshot's members as CSV (UTF-8 with BOM), masked by role and within the asker's scope; audited with its row count.",
    roles: { ...MARKETING_READERS },
  },
};

/**
 * Whether `principal` may call the operation at `coordinate` ("Query.customer") with `args`: null
 * when one of its roles allows it (and that role's guard passes), else why not.
 */
export function denial(principal: Principal, coordinate: string, args: Args): string | null {
  const rule = PERMISSIONS[coordinate] ?? HTTP_PERMISSIONS[coordinate];
  if (!rule) return `${coordinate} has no rule in the permission matrix, so nobody may call it.`;
  const reasons: string[] = [];
  for (const role of principal.roles) {
    const grant = rule.roles[role];
    if (grant === undefined) continue;
    const why = grant === true ? null : grant(principal, args);
    if (why === null) return null;
    reasons.push(why);
  }
  // Guards that judge with all the token's roles (entitiesAsTheirRootFields) give one reason per role: say it once.
  if (reasons.length > 0) return [...new Set(reasons)].join(" ");
  const allowed = Object.keys(rule.roles);
  return `${coordinate} is for ${allowed.join(", ")} tokens; this one holds ${[...principal.roles].join(", ") || "no role"}.`;
}
