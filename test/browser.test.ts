import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { SegmentCountDocument } from "../schema/generated/operations";
import { PRODUCTS } from "../seeds/catalogue";
import { tokenFor } from "./support/auth";
import { launchBrowser, openPage, screenshot, signIn, type PageWatch } from "./support/browser";
import { freshCustomers, freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";
import { eventId, ingest, openPolicy, subscriptionsOn } from "./support/live";

/**
 * The pages in a real browser (chromium through playwright-core) against a real gateway on the
 * suite's Neo4j and Redis, with the gateway's security on: each page signs in with a token of its
 * role, fetches nothing from outside, and breaks no CSP rule.
 */
let gw: TestGateway;
let browser: Browser;
const watches: PageWatch[] = [];

before(async () => {
  [gw, browser] = await Promise.all([startTestGateway({ segmentIndexOnStart: true }), launchBrowser()]);
  await openPolicy(gw);
});

after(() => {
  for (const watch of watches) {
    assert.deepEqual(watch.outside, [], "the pages fetched nothing outside the gateway");
    assert.deepEqual(watch.problems, [], "no CSP refusal, no uncaught error");
  }
});

describe("/desk", () => {
  test("a call pops the caller within a second of the event; a response click lands in the trajectory", async () => {
    const agentId = `A-web-${process.pid}`;
    const token = await tokenFor({ sub: `agent:${agentId}`, roles: ["AGENT"], regions: ["R33"], agentId });
    const { page, watch } = await openPage(browser, gw.origin);
    watches.push(watch);
    await signIn(page, `${gw.origin}/desk`, token);
    await page.getByTestId("waiting").waitFor();
    await subscriptionsOn(gw, 1);

    const [warm, caller] = await freshIds(2);
    // The first call of a fresh gateway warms its caches (src/main/warm-up.ts does that before a
    // production gateway turns ready; the test gateway starts without it): not the one measured.
    const first = eventId("desk-warm");
    await ingest(gw, [{ id: first, customerId: warm!, type: "HOTLINE_CALL_START", payload: { agentId } }]);
    await page.locator(`[data-testid=caller][data-event-id="${first}"]`).waitFor({ timeout: 15_000 });
    const call = eventId("desk");
    const sent = Date.now();
    assert.equal((await ingest(gw, [{ id: call, customerId: caller!, type: "HOTLINE_CALL_START", payload: { agentId, callId: "WEB-1" } }])).accepted, 1);
    await page.locator(`[data-testid=caller][data-event-id="${call}"]`).waitFor({ timeout: 5_000 });
    const shown = await page.waitForFunction((id) => (globalThis as { __deskShown?: Record<string, number> }).__deskShown?.[id], call).then((h) => h.jsonValue() as Promise<number>);
    const latency = shown - sent;
    assert.ok(latency < 1_000, `the caller was on screen ${latency} ms after the event (at most 1,000)`);
    // The agent on the call sees the caller whole.
    assert.match((await page.getByTestId("caller-msisdn").textContent()) ?? "", /^1\d{10}$/);

    await page.getByTestId("plan-advice").or(page.getByTestId("usage-chart")).first().waitFor();
    await page.getByTestId("contact").first().waitFor();
    await screenshot(page, "desk");

    const offer = page.getByTestId("offer").first();
    const decisionId = await offer.getAttribute("data-decision-id");
    assert.ok(decisionId, "the call came with offers");
    await offer.getByTestId("accept").click();
    await offer.getByTestId("responded").waitFor();
    await page.locator('[data-testid=trajectory] [data-kind="OFFER_RESPONSE"]').first().waitFor({ timeout: 5_000 });
    const responded = await page.locator('[data-testid=trajectory] [data-kind="OFFER_RESPONSE"]').first().textContent();
    assert.match(responded ?? "", /接受/);
    await screenshot(page, "desk-responded");
    await page.close();
    await subscriptionsOn(gw, 0);
  });
});

describe("/hall", () => {
  test("shows the customer's plan and slots, and a live offer pushed by an event", async () => {
    const addOns = new Set(PRODUCTS.filter((p) => p.kind === "DATA_ADDON").map((p) => p.id));
    const [generated] = await freshCustomers(1, { where: (g) => !g.holdings.some((h) => addOns.has(h.productId)) });
    const id = generated!.customer.id;
    const token = await tokenFor({ sub: id, roles: ["APP"], customerId: id });
    const { page, watch } = await openPage(browser, gw.origin, { width: 390, height: 844 });
    watches.push(watch);
    await signIn(page, `${gw.origin}/hall`, token);
    await page.getByTestId("hall-usage").waitFor();
    await subscriptionsOn(gw, 1);
    const event = { id: eventId("hall"), customerId: id, type: "DATA_USAGE", payload: { percent: 95 } };
    assert.equal((await ingest(gw, [event])).accepted, 1);
    const banner = page.getByTestId("live-banner");
    await banner.waitFor({ timeout: 10_000 });
    assert.ok(await banner.getAttribute("data-decision-id"));
    await screenshot(page, "hall");
    await page.close();
    await subscriptionsOn(gw, 0);
  });
});

describe("/console", () => {
  test("the segment builder's count is the API's, and a marketer never sees an unmasked number", async () => {
    const marketer = await tokenFor({ sub: `marketer:web:${process.pid}`, roles: ["MARKETER"], regions: [] });
    const { page, watch } = await openPage(browser, gw.origin);
    watches.push(watch);
    await signIn(page, `${gw.origin}/console`, marketer);
    await page.getByTestId("indicator-search").fill("流量");
    // The first search of a fresh gateway loads the indicator index: up to a minute on a busy machine.
    await page.getByTestId("add-indicator").first().click({ timeout: 60_000 });
    const count = page.getByTestId("segment-count");
    await eventually(async () => assert.notEqual(await count.getAttribute("data-count"), ""), { what: "the builder's count", timeoutMs: 60_000, intervalMs: 200 });
    await page.getByTestId("segment-distribution").waitFor();
    const json = JSON.parse((await count.getAttribute("data-expression")) ?? "null") as unknown;
    const shown = Number(await count.getAttribute("data-count"));
    const api = dataOf(await gw.request(SegmentCountDocument, { json }, marketer)).segmentPreview.count;
    assert.equal(shown, api, "the count on screen is segmentPreview's");
    await page.getByTestId("sample").locator("li").first().waitFor();
    await screenshot(page, "console-segments");

    for (const tab of ["tags", "campaigns", "segments"]) {
      await page.getByTestId(`tab-${tab}`).click();
      await page.waitForLoadState("networkidle");
      const text = (await page.locator("body").innerText()) ?? "";
      assert.doesNotMatch(text, /(?<!\d)1[3-9]\d{9}(?!\d)/, `no unmasked mobile number on the ${tab} tab`);
    }
    await screenshot(page, "console-tags");
    await page.close();
  });
});

describe("/graphql in a browser", () => {
  test("GraphiQL is served from the gateway (no CDN) to a browser, and the API still answers API clients", async () => {
    const page = await fetch(gw.url, { headers: { accept: "text/html" } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.match(await page.text(), /\/assets\/graphiql-/);
    const api = await fetch(gw.url, { headers: { accept: "application/json" } });
    assert.notEqual(api.headers.get("content-type")?.includes("text/html"), true);
    const { page: tab, watch } = await openPage(browser, gw.origin);
    watches.push(watch);
    await tab.goto(gw.url);
    await tab.locator(".graphiql-container").waitFor({ timeout: 30_000 });
    await screenshot(tab, "graphiql");
    await tab.close();
  });
});
