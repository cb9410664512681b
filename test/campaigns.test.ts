import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { tokenFor } from "./support/auth";
import { applyChange, checkerToken, proposeAndApply } from "./support/approval";
import { freshCustomers } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { ingest, openPolicy } from "./support/live";
import type { Clock, WorkOrderSink } from "../src/campaigns/config";
import type { CampaignHooks, WorkOrderRequest } from "../src/domain/campaigns";
import { keys } from "../src/platform/keys";

/**
 * Campaigns end to end on real Neo4j and Redis: the lifecycle with maker-checker, a two-wave
 * campaign where wave 2 reaches exactly the contacted non-responders once the test clock moved 3
 * days, the control group held out in every wave, the SMS outbox and a delivery receipt, contact
 * caps across waves, and bad input. The campaigns run over customers this file writes for itself
 * (test/support/customers.ts), gathered by a segment over a terminal model only they have.
 */

const PID = process.pid;
const DAY = 86_400_000;
const MODEL = `CAMP${PID}`;
const CODE = String(PID % 1000).padStart(3, "0");

/** The test's clock: starts tomorrow at 10:00 in Shanghai, moved forward by the tests. */
class TestClock implements Clock {
  private t: number;
  constructor() {
    const d = new Date(Date.now() + DAY);
    d.setUTCHours(2, 0, 0, 0);
    this.t = d.getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const FIELDS = `id name status strategyVersion controlShare finishedAt reportDueAt reportedAt waves { id index channel audience status dueAt total done funnel { targeted heldOut contacted delivered responded ordered } }`;
const CREATE = `mutation($input: CampaignInput!) { createCampaign(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: CampaignInput!) { updateCampaign(id: $id, input: $input) { ${FIELDS} } }`;
const SUBMIT = `mutation($id: ID!) { submitCampaign(id: $id) { campaign { id status } pendingChange { id status } } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(id: $id) { ${FIELDS} } }`;
const PAUSE = `mutation($id: ID!) { pauseCampaign(id: $id) { id status } }`;
const RESUME = `mutation($id: ID!) { resumeCampaign(id: $id) { id status } }`;
const CANCEL = `mutation($id: ID!) { cancelCampaign(id: $id) { id status } }`;
const READ = `query($id: ID!) { campaign(id: $id) { ${FIELDS} } }`;
const APPROVE = `mutation($id: ID!) { approveChange(id: $id) { id status } }`;

interface Wave {
  id: string;
  index: number;
  status: string;
  total: number;
  done: number;
  funnel: { targeted: number; heldOut: number; contacted: number; delivered: number; responded: number; ordered: number };
}
interface Campaign {
  id: string;
  name: string;
  status: string;
  finishedAt: string | null;
  reportDueAt: string | null;
  reportedAt: string | null;
  strategyVersion: number | null;
  waves: Wave[];
}

const codeOf = (res: GraphQLResponse<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;

/** Stands in for the work-order pool and the evaluation centre: records what the waves hand them. */
class Recorder implements WorkOrderSink, CampaignHooks {
  readonly orders: WorkOrderRequest[] = [];
  readonly progressed: string[] = [];
  readonly reported: string[] = [];
  readonly reportDelayDays = 30;
  open(requests: WorkOrderRequest[]): Promise<void> {
    this.orders.push(...requests);
    return Promise.resolve();
  }
  waveProgressed(_campaignId: string, waveId: string): void {
    this.progressed.push(waveId);
  }
  produceReport(campaignId: string): Promise<void> {
    this.reported.push(campaignId);
    return Promise.resolve();
  }
}

describe("campaigns", () => {
  const clock = new TestClock();
  const recorder = new Recorder();
  const graph = testGraph();
  let gw: TestGateway;
  let marketer = "";
  let strategyId = "";
  let segmentId = "";
  let customerIds: string[] = [];
  /** The two-wave campaign, finished: its report is judged at the end of the file (after the clock moved a response window on). */
  let twoWaves: Campaign | null = null;

  const input = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    name: "测试活动",
    strategyId,
    segmentId,
    startAt: clock.now().toISOString(),
    controlShare: 0.2,
    waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }],
    ...overrides,
  });

  const read = async (id: string): Promise<Campaign> => dataOf(await gw.raw<{ campaign: Campaign }>(READ, { id })).campaign;

  /** Created, submitted by the marketer, approved by the checker, launched: running. */
  const launched = async (overrides: Record<string, unknown>): Promise<Campaign> => {
    const created = dataOf(await gw.raw<{ createCampaign: Campaign }>(CREATE, { input: input(overrides) }, marketer)).createCampaign;
    const submitted = dataOf(await gw.raw<{ submitCampaign: { pendingChange: { id: string } } }>(SUBMIT, { id: created.id }, marketer)).submitCampaign;
    await applyChange(gw, submitted.pendingChange.id);
    return dataOf(await gw.raw<{ launchCampaign: Campaign }>(LAUNCH, { id: created.id }, marketer)).launchCampaign;
  };

  const waveDone = (id: string, index: number): Promise<Campaign> =>
    eventually(
      async () => {
        const c = await read(id);
        const w = c.waves.find((x) => x.index === index);
        assert.equal(w?.status, "DONE", `wave ${index} is ${w?.status} (${w?.done}/${w?.total})`);
        return c;
      },
      { what: `wave ${index} of ${id}`, timeoutMs: 60_000 },
    );

  const decisionsOf = (waveId: string): Promise<Array<{ id: string; customerId: string; contacted: boolean; controlGroup: boolean; deliveredAt: unknown }>> =>
    graph.session().read(`MATCH (d:Decision {waveId: $waveId}) RETURN d.id AS id, d.customerId AS customerId, d.contacted AS contacted, d.controlGroup AS controlGroup, d.deliveredAt AS deliveredAt`, { waveId });

  before(async () => {
    gw = await startTestGateway({ campaigns: { clock, batch: 7, tickMs: 600_000, hooks: recorder, sink: recorder } });
    marketer = await tokenFor({ sub: `test:camp-marketer:${PID}`, roles: ["MARKETER"] });
    await openPolicy(gw);
    const fresh = await freshCustomers(40, {
      patch: (g) => {
        g.customer.terminalModel = MODEL;
        g.customer.doNotDisturb = false;
        g.customer.dndList = null;
      },
    });
    customerIds = fresh.map((g) => g.customer.id);
    await gw.app.services.segments.index.build();
    const products = dataOf(await gw.raw<{ products: Array<{ id: string; code: string }> }>(`{ products { id code } }`)).products;
    const productId = products.find((p) => p.code === "CNT-MIGU-READ")?.id;
    assert.ok(productId);
    segmentId = (
      await proposeAndApply<{ createSegment: { id: string } }>(gw, `mutation($input: SegmentInput!) { createSegment(input: $input) { id pendingChange { id } } }`, {
        input: { code: `CAMP_TEST_${PID}`, name: "活动测试客户", expression: `terminalModel = "${MODEL}"` },
      })
    ).createSegment.id;
    const offerId = (
      await proposeAndApply<{ createOffer: { id: string } }>(gw, `mutation($input: OfferInput!) { createOffer(input: $input) { id pendingChange { id } } }`, {
        input: {
          code: `OFF-CAMP-${PID}`,
          name: "活动测试阅读会员",
          productId,
          creatives: [
            { channel: "SMS", text: "咪咕阅读会员6元/月，回复1订购" },
            { channel: "OUTBOUND_CALL", text: "您好，为您介绍咪咕阅读会员……" },
          ],
          value: 6,
          basePropensity: 0.2,
        },
      })
    ).createOffer.id;
    strategyId = (
      await proposeAndApply<{ createStrategy: { id: string } }>(gw, `mutation($input: StrategyInput!) { createStrategy(input: $input) { id pendingChange { id } } }`, {
        input: { code: `CNT-CMP-ALL-${CODE}`, name: "活动测试策略", businessLine: "CONTENT", scenario: "CROSS_SELL", segmentId, offerIds: [offerId], channels: ["SMS", "OUTBOUND_CALL"], controlShare: 0.1 },
      })
    ).createStrategy.id;
  });

  after(async () => {
    await graph.session().write(`MATCH (d:Decision) WHERE d.customerId IN $ids DETACH DELETE d`, { ids: customerIds });
  });

  test("lifecycle: drafts are edited, submitted, approved by someone else, launched, paused, resumed, cancelled", async () => {
    const maker = await tokenFor({ sub: `test:camp-maker:${PID}`, roles: ["MARKETER", "APPROVER"] });
    const draft = dataOf(await gw.raw<{ createCampaign: Campaign }>(CREATE, { input: input({ startAt: new Date(clock.now().getTime() + 30 * DAY).toISOString() }) }, maker)).createCampaign;
    assert.equal(draft.status, "DRAFT");
    assert.equal(draft.waves.length, 1);
    const edited = dataOf(
      await gw.raw<{ updateCampaign: Campaign }>(UPDATE, { id: draft.id, input: input({ name: "改过的活动", startAt: new Date(clock.now().getTime() + 30 * DAY).toISOString(), waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }, { channel: "OUTBOUND_CALL", delayDays: 2, audience: "NOT_CONTACTED" }] }) }, maker),
    ).updateCampaign;
    assert.equal(edited.waves.length, 2);
    assert.equal(codeOf(await gw.raw(LAUNCH, { id: draft.id }, maker)), "BAD_USER_INPUT", "a draft cannot be launched");
    const submitted = dataOf(await gw.raw<{ submitCampaign: { campaign: { status: string }; pendingChange: { id: string; status: string } } }>(SUBMIT, { id: draft.id }, maker)).submitCampaign;
    assert.deepEqual([submitted.campaign.status, submitted.pendingChange.status], ["SUBMITTED", "PENDING"]);
    assert.equal(codeOf(await gw.raw(UPDATE, { id: draft.id, input: input() }, maker)), "BAD_USER_INPUT", "only a draft is edited");
    assert.equal(codeOf(await gw.raw(APPROVE, { id: submitted.pendingChange.id }, maker)), "FORBIDDEN", "its author cannot approve it, whatever roles it holds");
    assert.equal(codeOf(await gw.raw(LAUNCH, { id: draft.id }, maker)), "BAD_USER_INPUT", "not before approval");
    dataOf(await gw.raw(APPROVE, { id: submitted.pendingChange.id }, await checkerToken()));
    const approved = await read(draft.id);
    assert.equal(approved.status, "APPROVED");
    assert.equal(approved.strategyVersion, 1, "the strategy's version is frozen at approval");
    const running = dataOf(await gw.raw<{ launchCampaign: Campaign }>(LAUNCH, { id: draft.id }, maker)).launchCampaign;
    assert.equal(running.status, "RUNNING");
    assert.deepEqual(running.waves.map((w) => w.status), ["SCHEDULED", "SCHEDULED"], "due in 30 days: nothing runs yet");
    assert.equal(dataOf(await gw.raw<{ pauseCampaign: { status: string } }>(PAUSE, { id: draft.id }, maker)).pauseCampaign.status, "PAUSED");
    assert.equal(codeOf(await gw.raw(PAUSE, { id: draft.id }, maker)), "BAD_USER_INPUT", "paused already");
    assert.equal(dataOf(await gw.raw<{ resumeCampaign: { status: string } }>(RESUME, { id: draft.id }, maker)).resumeCampaign.status, "RUNNING");
    assert.equal(dataOf(await gw.raw<{ cancelCampaign: { status: string } }>(CANCEL, { id: draft.id }, maker)).cancelCampaign.status, "CANCELLED");
    assert.equal((await read(draft.id)).reportDueAt, new Date(clock.now().getTime() + 30 * DAY).toISOString(), "a campaign cancelled once started is still reported on");
    assert.equal(codeOf(await gw.raw(RESUME, { id: draft.id }, maker)), "BAD_USER_INPUT");
    const agent = await tokenFor({ sub: `test:camp-agent:${PID}`, roles: ["AGENT"], agentId: "camp-agent" });
    assert.equal(codeOf(await gw.raw(CREATE, { input: input() }, agent)), "FORBIDDEN", "agents do not run campaigns");
  });

  test("two waves: wave 2 reaches exactly the contacted non-responders after 3 days; the control group is held out in both; outbox and receipts", async () => {
    const started = await launched({ controlShare: 0.2, waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }, { channel: "OUTBOUND_CALL", delayDays: 3, audience: "CONTACTED_NOT_RESPONDED" }] });
    const [w1, w2] = started.waves as [Wave, Wave];
    const first = await waveDone(started.id, 1);
    assert.equal(first.waves[1]?.status, "SCHEDULED", "wave 2 waits for its day");
    const one = await decisionsOf(w1.id);
    const contacted1 = one.filter((d) => d.contacted);
    const control1 = new Set(one.filter((d) => d.controlGroup).map((d) => d.customerId));
    assert.ok(contacted1.length >= 6, `wave 1 contacted ${contacted1.length} of ${customerIds.length}`);
    assert.ok(control1.size >= 1, "someone is held out");
    assert.equal(new Set(one.map((d) => d.customerId)).size, one.length, "one decision per member");
    const funnel1 = first.waves[0]?.funnel;
    assert.deepEqual([funnel1?.contacted, funnel1?.heldOut, first.waves[0]?.done], [contacted1.length, control1.size, customerIds.length]);

    // The SMS outbox: one entry per contacted member, with the offer's SMS text.
    const entries = (await gw.app.services.redis.xrange(keys.campaigns.outbox("SMS"), "-", "+")).map(([, f]) => Object.fromEntries(f.reduce<string[][]>((a, v, i) => (i % 2 ? (a[a.length - 1]?.push(v), a) : [...a, [v]]), [])) as Record<string, string>);
    const ours = entries.filter((e) => e.campaignId === started.id);
    assert.deepEqual(ours.map((e) => e.decisionId).sort(), contacted1.map((d) => d.id).sort(), "one outbox entry per contacted decision");
    assert.ok(ours.every((e) => e.text === "咪咕阅读会员6元/月，回复1订购" && e.waveId === w1.id));
    // The story hold: the wave's offer first on every channel until the next wave is due.
    const hold = JSON.parse((await gw.app.services.redis.get(keys.campaigns.story(contacted1[0]?.customerId as string))) ?? "null") as { campaignId: string; until: string } | null;
    assert.equal(hold?.campaignId, started.id);

    // A delivery receipt comes back as an event.
    const receiptFor = contacted1[0] as { id: string; customerId: string };
    await ingest(gw, [{ id: `rcpt-${PID}-1`, customerId: receiptFor.customerId, type: "DELIVERY_RECEIPT", payload: { decisionId: receiptFor.id, status: "DELIVERED" } }]);
    await eventually(async () => assert.equal((await read(started.id)).waves[0]?.funnel.delivered, 1), { what: "the receipt recorded", timeoutMs: 30_000 });
    const seen = dataOf(await gw.raw<{ decision: { campaignId: string; waveId: string; deliveredAt: string | null; deliveryFailed: string | null } }>(`query($id: ID!) { decision(id: $id) { campaignId waveId deliveredAt deliveryFailed } }`, { id: receiptFor.id })).decision;
    assert.deepEqual([seen.campaignId, seen.waveId, seen.deliveryFailed], [started.id, w1.id, null], "a decision names its campaign and wave");
    assert.ok(seen.deliveredAt && Math.abs(Date.parse(seen.deliveredAt) - Date.now()) < 120_000, `delivered just now (${seen.deliveredAt})`);

    // Some answer; the rest are the contacted non-responders.
    const answered = contacted1.slice(0, Math.floor(contacted1.length / 2));
    for (const [i, d] of answered.entries()) {
      dataOf(await gw.raw(`mutation($id: ID!, $o: ResponseOutcome!) { respondToOffer(decisionId: $id, outcome: $o) { id } }`, { id: d.id, o: i % 2 ? "ACCEPTED" : "DECLINED" }));
    }
    const expected = new Set(contacted1.filter((d) => !answered.includes(d)).map((d) => d.customerId));

    clock.advance(3 * DAY - 60_000);
    assert.ok(!(await gw.app.services.campaigns.scheduler.tick()).includes(w2.id), "not due a minute early");
    clock.advance(120_000);
    assert.ok((await gw.app.services.campaigns.scheduler.tick()).includes(w2.id));
    const second = await waveDone(started.id, 2);
    assert.equal(second.status, "FINISHED", "the last wave done finishes the campaign");
    const two = await decisionsOf(w2.id);
    assert.deepEqual(new Set(two.filter((d) => !d.controlGroup).map((d) => d.customerId)), expected, "wave 2 decides for exactly the contacted non-responders");
    assert.deepEqual(new Set(two.filter((d) => d.controlGroup).map((d) => d.customerId)), control1, "the same control group, held out again");
    assert.ok(two.every((d) => !d.controlGroup || !d.contacted));
    // The outbound-call wave handed its contacts to the work-order pool, with the offer's call script.
    const orders = recorder.orders.filter((o) => o.waveId === w2.id);
    assert.deepEqual(orders.map((o) => o.decisionId).sort(), two.filter((d) => d.contacted).map((d) => d.id).sort(), "one work order per contacted member");
    assert.ok(orders.every((o) => o.kind === "OUTBOUND_CALL" && o.script === "您好，为您介绍咪咕阅读会员……" && /^R\d{6}$/.test(o.regionId)));
    assert.equal(recorder.progressed.filter((w) => w === w1.id).length, Math.ceil(customerIds.length / 7), "waveProgressed after each batch");
    assert.equal(second.reportDueAt, new Date(Date.parse(second.finishedAt ?? "") + 30 * DAY).toISOString(), "the report waits out the 30-day response window");
    assert.ok(!recorder.reported.includes(started.id), "no report at the finish");
    twoWaves = second;
    // targeted also counts control-group members whom no offer suited (no decision to hold out)
    assert.ok((second.waves[1]?.funnel.targeted ?? 0) >= expected.size + control1.size);
    assert.equal(second.waves[1]?.funnel.contacted, two.filter((d) => d.contacted).length);
  });

  test("contact caps hold across waves: 1 SMS per 7 days, so nobody contacted in wave 1 hears from wave 2 three days later", async () => {
    clock.advance(8 * DAY); // past the window of the earlier tests' contacts
    await proposeAndApply(gw, `mutation ($input: ContactPolicyInput!) { setContactPolicy(input: $input) { version pendingChange { id } } }`, {
      input: { quietHours: null, overallCap: { limit: 1000, windowDays: 7 }, channelCaps: [{ channel: "SMS", limit: 1, windowDays: 7 }] },
    });
    const started = await launched({ startAt: clock.now().toISOString(), controlShare: 0, waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }, { channel: "SMS", delayDays: 3, audience: "ALL" }] });
    await waveDone(started.id, 1);
    const one = (await decisionsOf(started.waves[0]?.id as string)).filter((d) => d.contacted);
    assert.ok(one.length > 0);
    clock.advance(3 * DAY + 60_000);
    await gw.app.services.campaigns.scheduler.tick();
    await waveDone(started.id, 2);
    const two = (await decisionsOf(started.waves[1]?.id as string)).filter((d) => d.contacted);
    const contactedBefore = new Set(one.map((d) => d.customerId));
    assert.deepEqual(two.filter((d) => contactedBefore.has(d.customerId)), [], "the cap held: nobody twice within 7 days");
    await openPolicy(gw);
  });

  test("a paused campaign's due wave waits; resumed, it runs", async () => {
    const started = await launched({ startAt: clock.now().toISOString(), controlShare: 0.1, waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }, { channel: "OUTBOUND_CALL", delayDays: 1, audience: "NOT_CONTACTED" }] });
    await waveDone(started.id, 1);
    dataOf(await gw.raw(PAUSE, { id: started.id }, marketer));
    clock.advance(DAY + 60_000);
    assert.ok(!(await gw.app.services.campaigns.scheduler.tick()).includes(started.waves[1]?.id as string), "a paused campaign's wave is not queued");
    assert.equal((await read(started.id)).waves[1]?.status, "SCHEDULED");
    dataOf(await gw.raw(RESUME, { id: started.id }, marketer));
    const done = await waveDone(started.id, 2);
    assert.equal(done.status, "FINISHED");
  });

  test("a DAILY campaign runs a new round each day until endAt, then finishes", async () => {
    const start = clock.now();
    const started = await launched({ startAt: start.toISOString(), endAt: new Date(start.getTime() + 2.5 * DAY).toISOString(), schedule: "DAILY", controlShare: 0.1, waves: [{ channel: "OUTBOUND_CALL", delayDays: 0, audience: "ALL" }] });
    await waveDone(started.id, 1);
    const rounds = async (): Promise<Campaign> => read(started.id);
    await eventually(async () => assert.equal((await rounds()).waves.length, 2, "round 2 is scheduled once round 1 is done"), { what: "round 2 scheduled", timeoutMs: 10_000 });
    clock.advance(DAY);
    await gw.app.services.campaigns.scheduler.tick();
    await eventually(async () => assert.equal((await rounds()).waves.length, 3), { what: "round 3 scheduled", timeoutMs: 60_000 });
    clock.advance(DAY);
    await gw.app.services.campaigns.scheduler.tick();
    const finished = await eventually(
      async () => {
        const c = await rounds();
        assert.equal(c.status, "FINISHED");
        return c;
      },
      { what: "the last round done", timeoutMs: 60_000 },
    );
    assert.deepEqual(finished.waves.map((w) => w.status), ["DONE", "DONE", "DONE"], "a fourth day would be past endAt");
  });

  test("a volume cap stops contacting once the campaign reached it, across batches", async () => {
    const started = await launched({ startAt: clock.now().toISOString(), controlShare: 0, volumeCap: 5, waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }] });
    const done = await waveDone(started.id, 1);
    const decided = await decisionsOf(started.waves[0]?.id as string);
    assert.ok(decided.length > 5, `${decided.length} decided`);
    assert.equal(decided.filter((d) => d.contacted).length, 5, "exactly the cap contacted");
    assert.equal(done.waves[0]?.funnel.contacted, 5);
  });

  test("bad input is refused with what to fix, and nothing is written", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ waves: [{ channel: "SMS", delayDays: 1, audience: "ALL" }] }, /first wave/],
      [{ waves: [{ channel: "SMS", delayDays: 0, audience: "NOT_CONTACTED" }] }, /first wave/],
      [{ waves: [{ channel: "SMS", delayDays: 0, audience: "ALL" }, { channel: "SMS", delayDays: -1, audience: "ALL" }] }, /delayDays/],
      [{ waves: [{ channel: "HOTLINE", delayDays: 0, audience: "ALL" }] }, /HOTLINE/],
      [{ waves: [{ channel: "APP", delayDays: 0, audience: "ALL" }] }, /not one of strategy/],
      [{ waves: [] }, /1 to 10 waves/],
      [{ controlShare: 0.9 }, /controlShare/],
      [{ endAt: new Date(clock.now().getTime() - DAY).toISOString() }, /endAt/],
      [{ schedule: "DAILY" }, /endAt/],
      [{ strategyId: "ST-NOPE" }, /no strategy ST-NOPE/],
      [{ segmentId: "SG-NOPE" }, /no segment SG-NOPE/],
      [{ volumeCap: 0 }, /volumeCap/],
      [{ name: "  " }, /name/],
    ];
    // Campaigns this file's marketer wrote: other files (evaluation, campaign truth) write campaigns into the same graph meanwhile.
    const ours = `MATCH (c:Campaign {createdBy: $by}) RETURN count(c) AS n`;
    const by = `test:camp-marketer:${PID}`;
    const before = await graph.session().read<{ n: number }>(ours, { by });
    for (const [overrides, message] of cases) {
      const res = await gw.raw(CREATE, { input: input(overrides) }, marketer);
      assert.equal(codeOf(res), "BAD_USER_INPUT", JSON.stringify(overrides));
      assert.match(res.errors?.[0]?.message ?? "", message);
    }
    const after = await graph.session().read<{ n: number }>(ours, { by });
    assert.equal(after[0]?.n, before[0]?.n);
    assert.equal(codeOf(await gw.raw(SUBMIT, { id: "CP-NOPE" }, marketer)), "NOT_FOUND");
  });

  test("a rejected or withdrawn submission puts the campaign back to DRAFT, to edit and submit again", async () => {
    const draft = dataOf(await gw.raw<{ createCampaign: Campaign }>(CREATE, { input: input() }, marketer)).createCampaign;
    const submit = async (): Promise<string> => dataOf(await gw.raw<{ submitCampaign: { pendingChange: { id: string } } }>(SUBMIT, { id: draft.id }, marketer)).submitCampaign.pendingChange.id;
    dataOf(await gw.raw(`mutation($id: ID!) { rejectChange(id: $id, reason: "控制组比例过高") { id } }`, { id: await submit() }, await checkerToken()));
    assert.equal((await read(draft.id)).status, "DRAFT", "rejected: a draft again");
    assert.equal(dataOf(await gw.raw<{ updateCampaign: Campaign }>(UPDATE, { id: draft.id, input: input({ name: "改后再提交" }) }, marketer)).updateCampaign.name, "改后再提交");
    dataOf(await gw.raw(`mutation($id: ID!) { withdrawChange(id: $id) { id } }`, { id: await submit() }, marketer));
    assert.equal((await read(draft.id)).status, "DRAFT", "withdrawn: a draft again");
    await applyChange(gw, await submit());
    assert.equal((await read(draft.id)).status, "APPROVED");
  });

  test("the report is queued by the tick once the response window after the end has closed, and produced once", async () => {
    const done = twoWaves;
    assert.ok(done?.reportDueAt, "the two-wave campaign finished with a report due");
    const due = Date.parse(done.reportDueAt);
    clock.advance(Math.max(0, due - clock.now().getTime() - 60_000));
    assert.ok(!(await gw.app.services.campaigns.scheduler.tick()).includes(done.id), "not a minute early");
    clock.advance(120_000);
    assert.ok((await gw.app.services.campaigns.scheduler.tick()).includes(done.id));
    const reported = await eventually(
      async () => {
        const c = await read(done.id);
        assert.ok(c.reportedAt, "reportedAt is set");
        return c;
      },
      { what: "the report job", timeoutMs: 30_000 },
    );
    assert.equal(reported.reportDueAt, null, "off the due index");
    assert.deepEqual(recorder.reported.filter((id) => id === done.id), [done.id]);
    assert.ok(!(await gw.app.services.campaigns.scheduler.tick()).includes(done.id), "a later tick queues it no more");
  });
});
