import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { applyChange, proposeAndApply } from "./support/approval";
import { freshCustomers } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type TestGateway } from "./support/gateway";
import { openPolicy } from "./support/live";
import { startGatewayProcess } from "./support/process-gateway";
import { keys } from "../src/platform/keys";

/**
 * A replica killed mid-wave (SIGKILL, between batches or inside one): BullMQ's stalled-job recovery
 * hands the wave job to another replica after the lock lapses, which resumes after the last
 * committed batch. Every member is decided exactly once and nobody is contacted twice: one decision
 * per member, one outbox entry per contacted decision, one contact counted per customer.
 */

const PID = process.pid;
const MODEL = `CAMPR${PID}`;
const CODE = String((PID + 500) % 1000).padStart(3, "0");
const REPLICA_ENV = { CAMPAIGN_BATCH: "4", CAMPAIGN_PAUSE_MS: "250", CAMPAIGN_LOCK_MS: "2000", CAMPAIGN_TICK_MS: "500" };
const MEMBERS = 60;

interface Wave {
  id: string;
  status: string;
  total: number;
  done: number;
}

describe("campaign replicas", () => {
  const graph = testGraph();
  let gw: TestGateway;
  let strategyId = "";
  let segmentId = "";

  before(async () => {
    // this process decides nothing itself: the waves run on the replicas it starts
    gw = await startTestGateway({ campaigns: { worker: false } });
    await openPolicy(gw);
    await freshCustomers(MEMBERS, {
      patch: (g) => {
        g.customer.terminalModel = MODEL;
        g.customer.doNotDisturb = false;
        g.customer.dndList = null;
      },
    });
    await gw.app.services.segments.index.build();
    const products = dataOf(await gw.raw<{ products: Array<{ id: string; code: string }> }>(`{ products { id code } }`)).products;
    segmentId = (
      await proposeAndApply<{ createSegment: { id: string } }>(gw, `mutation($input: SegmentInput!) { createSegment(input: $input) { id pendingChange { id } } }`, {
        input: { code: `CAMP_REPLICA_${PID}`, name: "活动副本测试客户", expression: `terminalModel = "${MODEL}"` },
      })
    ).createSegment.id;
    const offerId = (
      await proposeAndApply<{ createOffer: { id: string } }>(gw, `mutation($input: OfferInput!) { createOffer(input: $input) { id pendingChange { id } } }`, {
        input: { code: `OFF-CAMPR-${PID}`, name: "副本测试阅读会员", productId: products.find((p) => p.code === "CNT-MIGU-READ")?.id, creatives: [{ channel: "SMS", text: "阅读会员6元/月" }], value: 6, basePropensity: 0.2 },
      })
    ).createOffer.id;
    strategyId = (
      await proposeAndApply<{ createStrategy: { id: string } }>(gw, `mutation($input: StrategyInput!) { createStrategy(input: $input) { id pendingChange { id } } }`, {
        input: { code: `CNT-CMR-ALL-${CODE}`, name: "副本测试策略", businessLine: "CONTENT", scenario: "CROSS_SELL", segmentId, offerIds: [offerId], channels: ["SMS"], controlShare: 0.1 },
      })
    ).createStrategy.id;
  });

  test("a replica killed mid-wave: another resumes it; every member decided once, nobody contacted twice", async () => {
    const first = await startGatewayProcess(REPLICA_ENV);
    const created = dataOf(
      await gw.raw<{ createCampaign: { id: string } }>(`mutation($input: CampaignInput!) { createCampaign(input: $input) { id } }`, {
        input: { name: "副本测试活动", strategyId, segmentId, startAt: new Date().toISOString(), controlShare: 0.2, waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }] },
      }),
    ).createCampaign;
    const submitted = dataOf(await gw.raw<{ submitCampaign: { pendingChange: { id: string } } }>(`mutation($id: ID!) { submitCampaign(id: $id) { pendingChange { id } } }`, { id: created.id })).submitCampaign;
    await applyChange(gw, submitted.pendingChange.id);
    dataOf(await gw.raw(`mutation($id: ID!) { launchCampaign(id: $id) { id } }`, { id: created.id }));
    const wave = (): Promise<Wave> =>
      gw.raw<{ campaign: { waves: Wave[] } }>(`query($id: ID!) { campaign(id: $id) { waves { id status total done } } }`, { id: created.id }).then((r) => dataOf(r).campaign.waves[0] as Wave);

    const midway = await eventually(
      async () => {
        const w = await wave();
        assert.ok(w.done >= 12, `wave at ${w.done}/${w.total}`);
        return w;
      },
      { what: "the wave under way on the first replica", timeoutMs: 60_000, intervalMs: 50 },
    );
    await first.kill();
    const stoppedAt = await wave();
    assert.ok(stoppedAt.done < stoppedAt.total, `killed before it finished (${stoppedAt.done}/${stoppedAt.total})`);
    assert.equal(midway.total, MEMBERS);

    await startGatewayProcess(REPLICA_ENV);
    const finished = await eventually(
      async () => {
        const w = await wave();
        assert.equal(w.status, "DONE", `wave at ${w.done}/${w.total}`);
        return w;
      },
      { what: "the wave resumed on the second replica", timeoutMs: 90_000 },
    );
    assert.equal(finished.done, MEMBERS, "every member gone through once");

    const decisions = await graph.session().read<{ customerId: string; n: number; contacted: number }>(
      `MATCH (d:Decision {waveId: $waveId}) RETURN d.customerId AS customerId, count(d) AS n, count(CASE WHEN d.contacted THEN 1 END) AS contacted`,
      { waveId: finished.id },
    );
    assert.ok(decisions.length > MEMBERS / 2, `${decisions.length} members decided`);
    assert.deepEqual(decisions.filter((d) => d.n !== 1), [], "one decision per member");
    const contacted = decisions.filter((d) => d.contacted > 0);
    const redis = gw.app.services.redis;
    const entries = (await redis.xrange(keys.campaigns.outbox("SMS"), "-", "+")).filter(([, f]) => f[f.indexOf("campaignId") + 1] === created.id);
    const ids = entries.map(([, f]) => f[f.indexOf("decisionId") + 1]);
    assert.equal(ids.length, contacted.length, "one outbox entry per contacted member");
    assert.equal(new Set(ids).size, ids.length, "no decision sent twice");
    for (const d of contacted) assert.equal(await redis.zcard(keys.policy.contacts(d.customerId, "SMS")), 1, `${d.customerId} counted once on SMS`);
  });
});
