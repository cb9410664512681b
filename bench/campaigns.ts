import { setTimeout as sleep } from "node:timers/promises";
import { mintToken } from "../src/auth/tokens";
import { BENCH_AUTH_SECRET, bearer } from "./auth";
import type { ChildServer } from "./children";
import { processCpuMs } from "./cpu";
import { fixed, type BenchReport } from "./report";

/**
 * The campaign scenario (`--only campaigns`): a one-wave SMS campaign over a segment of every
 * customer of the bench store (`--customers`, 100,000 for the measured figure), run by the
 * gateway's own scheduler (batches of CAMPAIGN_BATCH, 200 by default). Measured from launch to the
 * wave DONE: members decided per second, the time to finish, and the gateway process's CPU per
 * member decided (Neo4j's and Redis's CPU are not in it).
 */

export interface CampaignRun {
  members: number;
  decisions: number;
  contacted: number;
  heldOut: number;
  seconds: number;
  gatewayCpuMs: number | null;
}

type Json = Record<string, unknown>;

async function post(url: string, token: { authorization: string }, query: string, variables: Json = {}): Promise<Json> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...token }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Json; errors?: Array<{ message: string }> };
  if (body.errors?.length || !body.data) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export async function runCampaignScenario(ctx: { gateway: ChildServer; say: (line: string) => void }): Promise<CampaignRun> {
  const url = ctx.gateway.url;
  const marketer = bearer("MARKETER");
  const admin = bearer("ADMIN");
  const checker = { authorization: `Bearer ${await mintToken(BENCH_AUTH_SECRET, { sub: "bench:campaign-checker", roles: ["APPROVER", "ADMIN"] }, 3600)}` };
  const approve = async (changeId: string): Promise<void> => {
    await post(url, checker, `mutation($id: ID!) { approveChange(id: $id) { id } }`, { id: changeId });
  };
  const run = `${Date.now().toString(36).toUpperCase()}`;

  // Nothing in the way but the policy's own work: no quiet hours, caps the campaign never reaches.
  const policy = await post(url, admin, `mutation($input: ContactPolicyInput!) { setContactPolicy(input: $input) { pendingChange { id } } }`, {
    input: { quietHours: null, overallCap: { limit: 1000, windowDays: 7 }, channelCaps: [{ channel: "SMS", limit: 1000, windowDays: 7 }] },
  });
  await approve(((policy.setContactPolicy as Json).pendingChange as Json).id as string);

  // The segment index (built at the gateway's start when missing).
  for (;;) {
    const s = (await post(url, marketer, "{ segmentIndex { state customers } }")).segmentIndex as Json;
    if (s.state === "READY") break;
    ctx.say("campaigns: waiting for the segment index…");
    await sleep(2_000);
  }
  const products = (await post(url, marketer, "{ products { id code } }")).products as Array<{ id: string; code: string }>;
  const segment = (await post(url, marketer, `mutation($input: SegmentInput!) { createSegment(input: $input) { id pendingChange { id } } }`, { input: { code: `BENCH_CAMPAIGN_${run}`, name: "压测活动：全部客户", expression: "ALL" } })).createSegment as Json;
  await approve((segment.pendingChange as Json).id as string);
  const offer = (
    await post(url, marketer, `mutation($input: OfferInput!) { createOffer(input: $input) { id pendingChange { id } } }`, {
      input: { code: `OFF-BENCH-${run}`, name: "压测阅读会员", productId: products.find((p) => p.code === "CNT-MIGU-READ")?.id, creatives: [{ channel: "SMS", text: "咪咕阅读会员6元/月" }], value: 6, basePropensity: 0.1 },
    })
  ).createOffer as Json;
  await approve((offer.pendingChange as Json).id as string);
  const strategy = (
    await post(url, marketer, `mutation($input: StrategyInput!) { createStrategy(input: $input) { id pendingChange { id } } }`, {
      input: { code: `CNT-BCH-ALL-${String(Date.now() % 1000).padStart(3, "0")}`, name: "压测活动策略", businessLine: "CONTENT", scenario: "CROSS_SELL", segmentId: segment.id, offerIds: [offer.id], channels: ["SMS"], controlShare: 0.1 },
    })
  ).createStrategy as Json;
  await approve((strategy.pendingChange as Json).id as string);

  const campaign = (
    await post(url, marketer, `mutation($input: CampaignInput!) { createCampaign(input: $input) { id } }`, {
      input: { name: `压测活动 ${run}`, strategyId: strategy.id, segmentId: segment.id, startAt: new Date().toISOString(), controlShare: 0.1, waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }] },
    })
  ).createCampaign as Json;
  const submitted = (await post(url, marketer, `mutation($id: ID!) { submitCampaign(id: $id) { pendingChange { id } } }`, { id: campaign.id })).submitCampaign as Json;
  await approve((submitted.pendingChange as Json).id as string);

  const cpuBefore = processCpuMs(ctx.gateway.pid);
  const started = performance.now();
  await post(url, marketer, `mutation($id: ID!) { launchCampaign(id: $id) { id } }`, { id: campaign.id });
  let wave: Json = {};
  for (let polls = 0; ; polls++) {
    wave = (((await post(url, marketer, `query($id: ID!) { campaign(id: $id) { waves { status total done funnel { contacted heldOut } } } }`, { id: campaign.id })).campaign as Json).waves as Json[])[0] as Json;
    if (wave.status === "DONE") break;
    if (polls % 10 === 0) ctx.say(`campaigns: wave ${String(wave.status)} ${String(wave.done)}/${String(wave.total)}`);
    await sleep(500);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = processCpuMs(ctx.gateway.pid);
  const funnel = wave.funnel as { contacted: number; heldOut: number };
  return {
    members: wave.done as number,
    decisions: funnel.contacted + funnel.heldOut,
    contacted: funnel.contacted,
    heldOut: funnel.heldOut,
    seconds,
    gatewayCpuMs: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
  };
}

/** The campaign figures' table. */
export function recordCampaigns(report: BenchReport, r: CampaignRun): void {
  report
    .table("campaign wave (one SMS wave over the whole store, batches of 200)", [
      { key: "label", title: "" },
      { key: "members", title: "members", format: fixed(0) },
      { key: "decisions", title: "decisions", format: fixed(0) },
      { key: "contacted", title: "contacted", format: fixed(0) },
      { key: "seconds", title: "time to finish s", format: fixed(1) },
      { key: "rate", title: "members/s", format: fixed(0) },
      { key: "drate", title: "decisions/s", format: fixed(0) },
      { key: "cpu", title: "gateway CPU ms/member", format: fixed(2) },
    ])
    .row({
      label: "wave",
      members: r.members,
      decisions: r.decisions,
      contacted: r.contacted,
      seconds: r.seconds,
      rate: r.members / r.seconds,
      drate: r.decisions / r.seconds,
      cpu: r.gatewayCpuMs === null || r.members === 0 ? null : r.gatewayCpuMs / r.members,
    });
}
