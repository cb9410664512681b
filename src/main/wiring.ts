import type { Redis } from "ioredis";
import { AdviceService } from "../advice/service";
import { Approvals } from "../approval/service";
import { AuditService } from "../audit/service";
import { ContactPolicyChanges } from "../contact-policy/changes";
import { CallRegister } from "../customer360/calls";
import { EVENT_PROCESSOR } from "../auth/principal";
import { Sessions } from "../auth/sessions";
import { ContactPolicy } from "../contact-policy/policy";
import { ReferenceData } from "../customer360/reference";
import { ProfileStore } from "../customer360/profiles";
import { Customer360Service } from "../customer360/service";
import { DecisioningService } from "../decisioning/service";
import { DecisionWriter } from "../decisioning/writer";
import { QueuedDecisions } from "../customer360/queued-decisions";
import { replicaConsumerName } from "../platform/stream-mover";
import { CampaignEvaluationHooks, EvaluationService, type EvaluationConfig } from "../evaluation/service";
import { MarketingService } from "../marketing/service";
import { DEFAULT_AUDIT, DEFAULT_DECISION_WRITER, DEFAULT_DECISIONING, type AuditConfig, type DecisioningConfig, type DecisionWriterConfig, type RealtimeConfig, type TagJobsConfig } from "../platform/config";
import { InvalidationBus } from "../platform/invalidation";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import { PubSub } from "../platform/pubsub";
import { RealtimeService } from "../realtime/service";
import { TagService } from "../tags/service";
import { TagJobs } from "../tags/jobs";
import { SegmentIndex } from "../segments/preview/index";
import { CustomerChangeFanOut } from "../segments/preview/changes";
import { SegmentPreviews } from "../segments/preview/service";
import { SegmentSnapshots, type SnapshotConfig } from "../marketing/snapshots/service";
import { createContext, type Services } from "../server/context";
import { CampaignService } from "../campaigns/service";
import type { CampaignWiring } from "../campaigns/config";
import { DEFAULT_WORK_ORDERS, WorkOrderService, type WorkOrderConfig } from "../campaigns/work-orders";
import { WorkOrderSweep } from "../campaigns/work-order-sweep";

/** The services, the invalidation bus that keeps their caches in step across replicas, and the pub/sub connection both listen on. */
export interface Wired extends Services {
  bus: InvalidationBus;
  /** The process's one Redis pub/sub connection: whoever wired the services closes it (`pubsub.close()`) on shutdown. */
  pubsub: PubSub;
  /** Everyone told that customers changed (an offer accepted, a change event applied): the segment index, and whatever else is added. */
  customerChanges: CustomerChangeFanOut;
  /** Returns lapsed work-order claims to the pool (started with the gateway, src/main/app.ts). */
  workOrderSweep: WorkOrderSweep;
  /** What the campaigns room tells the evaluation centre (alerts behind a wave's progress, the report when a campaign ends). */
  campaignHooks: CampaignEvaluationHooks;
}

/**
 * Builds every domain service in dependency order (audit → reference data → approvals → segment
 * index and previews → tag library → marketing → contact policy → decisioning → advice → real time) on one graph and one
 * Redis. Rooms whose changes need approval register them with the approvals as they are built.
 * Used by the gateway and by tools (bench, evaluation) that decide without serving (they start no
 * audit writer).
 */
export function wireServices(
  graph: Graph,
  redis: Redis,
  log: Logger,
  realtimeConfig: RealtimeConfig,
  auditConfig: AuditConfig = DEFAULT_AUDIT,
  snapshotConfig: SnapshotConfig = {},
  tagJobsConfig: Partial<TagJobsConfig> = {},
  campaignWiring: CampaignWiring = {},
  workOrderConfig: Partial<WorkOrderConfig> = {},
  evaluationConfig: Partial<EvaluationConfig> = {},
  decisionWriterConfig: Partial<DecisionWriterConfig> = {},
  decisioningConfig: Partial<DecisioningConfig> = {},
): Wired {
  const pubsub = new PubSub(redis, log);
  const bus = new InvalidationBus(pubsub);
  const auditTrail = new AuditService(redis, graph, log, auditConfig);
  const reference = new ReferenceData(graph);
  bus.on("reference", () => reference.invalidate());
  const calls = new CallRegister(redis, realtimeConfig.callWindowMs);
  // The live decision profiles (issue 13): decisions read them, every change of what they hold invalidates them before answering.
  const profiles = new ProfileStore(graph, redis, reference, log);
  // Decisions are written behind the answer (issue 13): queued in Redis, readable there until a replica's mover commits them.
  const queuedDecisions = new QueuedDecisions(redis);
  const customers = new Customer360Service(reference, calls, profiles, queuedDecisions);
  const approvals = new Approvals(log);
  const segmentIndex = new SegmentIndex(graph, redis, reference, log);
  const segments = new SegmentPreviews(segmentIndex, graph, reference);
  // Who keeps something derived from customers current: one line each (the rule tags join below).
  const customerChanges = new CustomerChangeFanOut([segmentIndex], log);
  const tags = new TagService(graph, reference, bus, approvals, log, segmentIndex, () => segments.vocabulary());
  // Its worker starts only with the gateway (src/main/app.ts); tools wiring services start none.
  const tagJobs = new TagJobs(graph, redis, reference, tags, segments, bus, auditTrail, log, tagJobsConfig);
  tagJobs.profiles = profiles;
  // A customer's change re-evaluates the published rule tags for it (then tells the index their values).
  customerChanges.add(tagJobs);
  const marketing = new MarketingService(graph, reference, bus, approvals, log);
  const snapshots = new SegmentSnapshots(graph, redis, segments, log, snapshotConfig);
  const contactPolicy = new ContactPolicy(redis);
  const contactPolicyChanges = new ContactPolicyChanges(contactPolicy, approvals);
  const decisionWriter = new DecisionWriter(redis, graph, log, queuedDecisions, { consumer: replicaConsumerName(), ...DEFAULT_DECISION_WRITER, ...decisionWriterConfig });
  const decisioning = new DecisioningService(reference, marketing, contactPolicy, redis, decisionWriter, calls, undefined, customerChanges, profiles, {
    exploration: decisioningConfig.exploration ?? DEFAULT_DECISIONING.exploration,
  });
  const advice = new AdviceService(reference);
  const workOrders = new WorkOrderService(graph, reference, marketing, decisioning, calls, customerChanges, auditTrail, log, { ...DEFAULT_WORK_ORDERS, ...workOrderConfig });
  // An agent answers the decision of a work order it holds (respondDenial): the pool sits above decisioning, so it is handed down here.
  decisioning.workOrderHolders = workOrders;
  const workOrderSweep = new WorkOrderSweep(graph, redis, workOrders, auditTrail, log);
  const evaluation = new EvaluationService(graph, pubsub, log, evaluationConfig);
  const campaignHooks = new CampaignEvaluationHooks(evaluation, log);
  // Campaigns: person-served waves hand their members to the work-order pool; the evaluation centre listens through the hooks.
  const { hooks, sink, ...campaignConfig } = campaignWiring;
  const campaigns = new CampaignService(graph, redis, approvals, decisioning.decider, marketing.catalogue, segments, log, campaignConfig, hooks ?? campaignHooks, sink ?? workOrders.pool);
  campaigns.runner.profiles = profiles;
  const sessions = new Sessions(redis, pubsub, log);
  const services: Wired = { graph, redis, log, pubsub, bus, customerChanges, auditTrail, sessions, reference, customers, approvals, tags, tagJobs, segments, snapshots, marketing, contactPolicy, contactPolicyChanges, decisioning, advice, campaigns, workOrders, workOrderSweep, evaluation, campaignHooks } as Wired;
  services.realtime = new RealtimeService({
    graph,
    redis,
    pubsub,
    reference,
    marketing,
    decisioning,
    policy: contactPolicy,
    calls,
    log,
    config: realtimeConfig,
    openScope: () => createContext(services, EVENT_PROCESSOR),
    changes: customerChanges,
    profiles,
    advice,
    deliveryReceipts: (decisionId, status, reason, at) => campaigns.deliveryReceipt(decisionId, status, reason, at),
  });
  return services;
}
