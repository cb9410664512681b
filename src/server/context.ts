import type { Redis } from "ioredis";
import type { AdviceService } from "../advice/service";
import type { AuditService } from "../audit/service";
import type { Approvals } from "../approval/service";
import type { ContactPolicyChanges } from "../contact-policy/changes";
import { ANONYMOUS, type Principal } from "../auth/principal";
import type { Sessions } from "../auth/sessions";
import type { ContactPolicy } from "../contact-policy/policy";
import type { ReferenceData } from "../customer360/reference";
import type { Customer360Service } from "../customer360/service";
import { openScope, type RequestScope } from "../customer360/scope";
import type { DecisioningService } from "../decisioning/service";
import type { EvaluationService } from "../evaluation/service";
import type { MarketingService } from "../marketing/service";
import type { Graph } from "../platform/neo4j";
import type { Logger } from "../platform/logger";
import type { RealtimeService } from "../realtime/service";
import type { SegmentPreviews } from "../segments/preview/service";
import type { SegmentSnapshots } from "../marketing/snapshots/service";
import type { TagService } from "../tags/service";
import type { TagJobs } from "../tags/jobs";
import type { CampaignService } from "../campaigns/service";
import type { WorkOrderService } from "../campaigns/work-orders";

/** One service object per domain room: what resolvers may call. */
export interface DomainServices {
  sessions: Sessions;
  customers: Customer360Service;
  approvals: Approvals;
  tags: TagService;
  /** Rule tags' runs, schedules and imports (src/tags/jobs.ts). */
  tagJobs: TagJobs;
  segments: SegmentPreviews;
  /** Materialised segments: snapshots, their members, schedules (src/marketing/snapshots). */
  snapshots: SegmentSnapshots;
  marketing: MarketingService;
  contactPolicy: ContactPolicy;
  contactPolicyChanges: ContactPolicyChanges;
  decisioning: DecisioningService;
  advice: AdviceService;
  /** Campaigns, their waves and the scheduler (src/campaigns/). */
  campaigns: CampaignService;
  /** The work-order pool and agents' interactions (src/campaigns/work-orders.ts). */
  workOrders: WorkOrderService;
  realtime: RealtimeService;
  /** The evaluation centre: funnels, uplift, rankings, the cube, campaign alerts and reports (src/evaluation/). */
  evaluation: EvaluationService;
  /** The audit trail (ADMIN reads it); what a request read and changed is noted on its scope's `audit` collector. */
  auditTrail: AuditService;
}

/** The process-wide parts: connections, reference data and the domain services. */
export interface Services extends DomainServices {
  graph: Graph;
  redis: Redis;
  log: Logger;
  reference: ReferenceData;
}

/**
 * What every resolver receives: the request's scope (who asks, its graph session and loaders) and
 * the domain services it may call. Resolvers call a service; they never reach for a connection.
 */
export interface GatewayContext extends RequestScope, DomainServices {
  log: Logger;
  /** The WebSocket an operation arrived on; absent over HTTP. Subscriptions close it when their client cannot keep up. */
  socket?: LiveSocket;
  /** The request's id (X-Request-Id; a WebSocket operation's is "<socket id>:<operation id>"), on its log lines. */
  reqId?: string;
  /** The start-up warm-up's own operation (src/main/warm-up.ts): nobody read anything, so it is not audited. */
  rehearsal?: true;
}

/** What a subscription may do to its client's connection. */
export interface LiveSocket {
  close(code: number, reason: string): void;
}

/**
 * The one context factory: per HTTP request, per WebSocket operation, and (as the gateway's own
 * principal) per batch of events the consumer decides for. `bookmarks`: the client's
 * X-Graph-Bookmark (./bookmarks.ts), which the request's reads wait for.
 */
export function createContext(services: Services, principal: Principal = ANONYMOUS, socket?: LiveSocket, signal?: AbortSignal, bookmarks?: readonly string[]): GatewayContext {
  return {
    ...openScope(services.graph, principal, services.customers.calls, signal, services.customers.profiles, services.customers.queued, bookmarks),
    log: services.log,
    sessions: services.sessions,
    customers: services.customers,
    approvals: services.approvals,
    tags: services.tags,
    tagJobs: services.tagJobs,
    segments: services.segments,
    snapshots: services.snapshots,
    marketing: services.marketing,
    contactPolicy: services.contactPolicy,
    contactPolicyChanges: services.contactPolicyChanges,
    decisioning: services.decisioning,
    advice: services.advice,
    campaigns: services.campaigns,
    workOrders: services.workOrders,
    realtime: services.realtime,
    evaluation: services.evaluation,
    auditTrail: services.auditTrail,
    ...(socket ? { socket } : {}),
  };
}

/**
 * Gives a request's context its id, and a `log` that writes it on every line (a pino child,
 * made on first use: most requests log nothing).
 */
export function withRequestId(context: GatewayContext, reqId: string): GatewayContext {
  const parent = context.log;
  let child: Logger | undefined;
  context.reqId = reqId;
  Object.defineProperty(context, "log", { get: () => (child ??= parent.child({ reqId })), enumerable: true, configurable: true });
  return context;
}
