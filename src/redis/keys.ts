/**
 * The Redis key naming scheme. Every key is `<prefix><domain>:<entity>[:<id>][:<facet>]`, where the
 * prefix (REDIS_KEY_PREFIX, default "c360:") is added by the client, so deployments can share one
 * Redis. Domains own their keys and build them only here:
 *
 *   gateway:instance:<instanceId>        liveness of a gateway replica (TTL)
 *   policy:…                             contact-policy counters (decisioning)
 *   model:…                              propensity model state (decisioning)
 *   events:…                             event stream, dedup set, parked events (real time)
 *   push:…                               per-customer replay streams (real time)
 *
 * Ids inside keys are wrapped in {} hash tags where a domain needs several keys of one customer in
 * one atomic script, so they land in one Redis Cluster slot.
 */
export const keys = {
  instance: (instanceId: string): string => `gateway:instance:${instanceId}`,
} as const;
