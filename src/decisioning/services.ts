import type { Redis } from "ioredis";
import type { Graph } from "../platform/neo4j";
import type { Logger } from "../platform/logger";
import { InvalidationBus } from "../platform/invalidation";
import type { ReferenceData } from "../customer360/reference";
import { ContactPolicy } from "../contact-policy/policy";
import { Decider } from "./decide";
import { DecisionWriter } from "./writer";
import { MarketingAdmin } from "../marketing/admin";
import { MarketingCatalogue } from "../marketing/catalogue";
import { PropensityModel } from "./propensity";

/** The process-wide parts of decisioning: caches and models shared by every request. */
export interface DecisionServices {
  marketing: MarketingCatalogue;
  propensity: PropensityModel;
  policy: ContactPolicy;
  decider: Decider;
  bus: InvalidationBus;
  admin: MarketingAdmin;
  writer: DecisionWriter;
}

export function createDecisionServices(graph: Graph, reference: ReferenceData, redis: Redis, log: Logger): DecisionServices {
  const marketing = new MarketingCatalogue(graph, reference, log);
  const propensity = new PropensityModel(redis);
  const policy = new ContactPolicy(redis);
  const bus = new InvalidationBus(redis);
  bus.on("marketing", () => marketing.invalidate());
  bus.on("reference", () => {
    reference.invalidate();
    marketing.invalidate();
  });
  return { marketing, propensity, policy, decider: new Decider(reference, marketing, propensity, policy), bus, admin: new MarketingAdmin(reference, bus), writer: new DecisionWriter(graph) };
}
