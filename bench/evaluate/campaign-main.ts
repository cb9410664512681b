import { wireServices } from "../../src/main/wiring";
import { DEFAULT_REALTIME } from "../../src/platform/config";
import { Graph } from "../../src/platform/neo4j";
import type { Logger } from "../../src/platform/logger";
import { createRedis } from "../../src/platform/redis";
import { ensureServices } from "../../src/main/launch/environment";
import { latestSeedRun } from "../../seeds/load";
import { ensureDataset } from "../dataset";
import { ready, removeKeys } from "../redis-keys";
import { DEFAULT_CAMPAIGN_TRUTH, MovableClock, removeCampaign, renderCampaignTruth, runCampaignTruth } from "./campaign-run";
import { ORGANIC_RULE, SIMULATOR_RULE } from "./simulator";
import { customersWithDecisions, leftoverTruthCampaigns } from "./graph";
import { restoreSeeded } from "./run";

/** `npm run evaluate -- --campaign [--customers N] [--seed S] [--control 0.2]`. */
export interface CampaignEvaluateOptions {
  /** Size of the seeded data set; every customer is a member of the campaign's segment. */
  customers: number;
  seed: number;
  /** The campaign's control share. */
  control: number;
}

export const DEFAULT_CAMPAIGN_EVALUATE: CampaignEvaluateOptions = { customers: 20_000, seed: 42, control: DEFAULT_CAMPAIGN_TRUTH.control };

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Campaign truth on the evaluation profile (.data/evaluate, seeded unless there, as run.ts): a
 * one-wave APP campaign over every customer of the data set, through the gateway's services in
 * this process, answered by the simulated customers; prints the table of ./campaign-run.ts. The
 * customers it touched are put back as seeded, the campaign, segment and approvals removed, the
 * run's Redis keys dropped: the next run starts from the same store.
 */
export async function runCampaignEvaluation(opts: CampaignEvaluateOptions, ctl: { log: Logger; say: (line: string) => void; onStop: (stop: () => Promise<void>) => void }): Promise<string> {
  const { log, say, onStop } = ctl;
  const started = Date.now();
  say("starting Neo4j and Redis (profile evaluate, data in .data/evaluate)…");
  const env = await ensureServices({ profile: "evaluate", log });
  onStop(() => env.stop());
  if (!env.redisUrl) throw new Error("the evaluation needs Redis, and ensureServices returned none");
  const dataset = await ensureDataset(env.neo4j, { customers: opts.customers, seed: opts.seed }, say);

  const graph = Graph.connect(env.neo4j);
  onStop(() => graph.close());
  const prefix = `evalc:${Date.now().toString(36)}:`;
  const redis = createRedis(env.redisUrl, prefix);
  redis.on("error", (err: Error) => log.warn({ err: err.message }, "redis connection error"));
  onStop(async () => {
    await removeKeys(env.redisUrl as string, prefix);
    redis.disconnect();
  });
  await ready(redis);

  const session = graph.backgroundSession(600_000);
  const seedRun = await latestSeedRun(graph);
  if (!seedRun?.asOf) throw new Error("the graph holds no completed seed run with an as-of date; run `npm run seed` or remove .data/evaluate and run again");
  const asOf = new Date(seedRun.asOf);
  const seeded = { seed: seedRun.seed, customers: seedRun.customers, asOf };

  // What an interrupted run left: its customers back as seeded, its campaigns gone.
  const leftovers = await customersWithDecisions(session);
  if (leftovers.length > 0) {
    say(`putting ${leftovers.length.toLocaleString("en")} customers decided for by an earlier run back as seeded…`);
    await restoreSeeded(session, leftovers, seeded);
  }
  for (const c of await leftoverTruthCampaigns(session)) await removeCampaign(session, c.campaignId, c.segmentId);

  // The campaign starts the day after the data set was taken, at 10:00 in Shanghai (no quiet hours): the seeded usage is current.
  const start = new Date(Math.floor(asOf.getTime() / DAY_MS) * DAY_MS + DAY_MS + 2 * HOUR_MS);
  const clock = new MovableClock(start.getTime());
  // The scheduler's tick is this run's to call (tickMs long); its worker runs the wave in this process.
  const services = wireServices(graph, redis, log, DEFAULT_REALTIME, undefined, {}, {}, { clock, tickMs: 3_600_000 });
  onStop(async () => services.pubsub.close());
  onStop(() => services.campaigns.stop());
  // The leftovers were put back before the services existed: their live decision profiles may still hold the earlier run's holdings.
  await services.customers.profiles?.invalidate(leftovers);
  await services.decisioning.propensity.reset();
  say("building the segment index…");
  await services.segments.index.build();
  services.campaigns.start();

  let customerIds: string[] = [];
  let made: { campaignId: string; segmentId: string } | null = null;
  try {
    const result = await runCampaignTruth(services, graph, clock, { ...DEFAULT_CAMPAIGN_TRUTH, seed: opts.seed, control: opts.control, expression: "ALL" }, say);
    customerIds = result.customerIds;
    made = { campaignId: result.campaignId, segmentId: result.segmentId };
    const total = (Date.now() - started) / 1000;
    return renderCampaignTruth(result, [
      ["data set", `${dataset.customers.toLocaleString("en")} customers (seed ${opts.seed}), as of ${asOf.toISOString().slice(0, 10)}`],
      ["setting", `strategy ${DEFAULT_CAMPAIGN_TRUTH.strategyId}, segment ALL, one ${DEFAULT_CAMPAIGN_TRUTH.channel} wave, control share ${opts.control}, from ${start.toISOString()}`],
      ["simulator", SIMULATOR_RULE],
      ["", ORGANIC_RULE],
      ["run", `${total.toFixed(0)} s to the report (clean-up after)`],
    ]);
  } finally {
    say("putting the campaign's customers back as seeded…");
    const decided = customerIds.length > 0 ? customerIds : await customersWithDecisions(session);
    if (decided.length > 0) await restoreSeeded(session, decided, seeded, services.customers.profiles);
    for (const c of made ? [made] : await leftoverTruthCampaigns(session)) await removeCampaign(session, c.campaignId, c.segmentId);
  }
}
