import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { freshCustomers } from "./support/customers";
import { startTestGateway, testGraph, type TestGateway } from "./support/gateway";
import { openPolicy } from "./support/live";
import { DEFAULT_CAMPAIGN_TRUTH, MovableClock, removeCampaign, renderCampaignTruth, runCampaignTruth, type CampaignTruthResult } from "../bench/evaluate/campaign-run";
import { parseCampaignArgs } from "../bench/evaluate/cli-args";

/**
 * Issue 12 point 8 small: `npm run evaluate -- --campaign` as the command runs it (segment and
 * campaign through maker-checker, the wave on the scheduler with a moved clock, simulated answers
 * and organic purchases, the report job the tick queues after the window), over 2,000 customers this file writes for
 * itself. At this size the ±1 pp target is out of reach (the interval is about ±3 pp wide), so the
 * test checks the interval covers the truth and that every count agrees with every other.
 */

const PID = process.pid;
const DAY = 86_400_000;
const MODEL = `TRUTH${PID}`;
const MEMBERS = 2_000;

describe("campaign truth (evaluate --campaign)", () => {
  const d = new Date(Date.now() + DAY);
  d.setUTCHours(2, 0, 0, 0);
  const clock = new MovableClock(d.getTime());
  const graph = testGraph();
  let gw: TestGateway;
  let ids: string[] = [];
  let result: CampaignTruthResult | null = null;

  before(async () => {
    gw = await startTestGateway({ campaigns: { clock, tickMs: 3_600_000 } });
    await openPolicy(gw);
    const fresh = await freshCustomers(MEMBERS, {
      patch: (g) => {
        g.customer.terminalModel = MODEL;
        g.customer.doNotDisturb = false;
        g.customer.dndList = null;
      },
    });
    ids = fresh.map((g) => g.customer.id);
    await gw.app.services.segments.index.build();
  });

  after(async () => {
    if (result) await removeCampaign(graph.session(), result.campaignId, result.segmentId);
    await graph.session().write(`MATCH (d:Decision) WHERE d.customerId IN $ids DETACH DELETE d`, { ids });
  });

  test("the evaluation centre's uplift interval covers the simulator's truth, and the counts agree", { timeout: 600_000 }, async () => {
    const lines: string[] = [];
    result = await runCampaignTruth(gw.app.services, gw.app.services.graph, clock, { ...DEFAULT_CAMPAIGN_TRUTH, seed: 7, expression: `terminalModel = "${MODEL}"` }, (l) => lines.push(l));
    const r = result;
    const f = r.report.funnel;
    assert.ok(r.members > MEMBERS * 0.8, `most of the ${MEMBERS} members got a decision (${r.members})`);
    assert.equal(r.members, r.control + r.treated);
    assert.deepEqual([f.targeted, f.heldOut, f.treated, f.contacted], [r.members, r.control, r.treated, r.contacted], "the report counts what the wave decided");
    const share = r.control / r.members;
    assert.ok(share > 0.15 && share < 0.25, `the control share is about 0.2 (${share.toFixed(3)})`);
    assert.ok(r.contacted > r.treated * 0.5, `most treated members were contacted (${r.contacted} of ${r.treated})`);
    assert.ok(r.accepted > 0 && r.organic > 0, "someone accepted, someone bought on their own");
    assert.ok(f.accepted === r.accepted, `the report sees every acceptance (${f.accepted} vs ${r.accepted})`);

    // The graph holds exactly what the simulated customers did: the report's estimate is the answers' own difference.
    const own = r.fromAnswers;
    assert.ok(own && r.report.uplift);
    assert.ok(Math.abs(own.value - r.report.uplift.rateDifference.value) < 1e-9, `report ${r.report.uplift.rateDifference.value} vs answers ${own.value}`);
    assert.ok(Math.abs(own.interval.lower - r.report.uplift.rateDifference.lower) < 1e-9);
    assert.deepEqual(r.evaluated?.uplift?.rateDifference, r.report.uplift.rateDifference, "evaluation(filter) agrees with the stored report");

    assert.ok(r.truth > 0, `a campaign with acceptances has a positive true uplift (${r.truth})`);
    assert.ok(r.comparison.covered, `truth ${r.truth} inside [${r.comparison.lower}, ${r.comparison.upper}]`);
    assert.ok(Math.abs(r.comparison.errorPoints - (r.comparison.estimate - r.truth) * 100) < 1e-9);
    const table = renderCampaignTruth(r, []);
    assert.match(table, /true uplift/);
    assert.match(table, /PASS|FAIL/);
  });

  test("the command line: --control within 0.01–0.5, sizes as whole numbers", () => {
    assert.deepEqual(parseCampaignArgs(["--customers", "50000", "--control", "0.25"]), { customers: 50_000, seed: 42, control: 0.25 });
    for (const bad of [["--control", "0.9"], ["--control", "x"], ["--customers", "2.5"], ["--train", "3"]]) {
      const parsed = parseCampaignArgs(bad);
      assert.ok("error" in parsed, `${bad.join(" ")} is refused`);
    }
  });
});
