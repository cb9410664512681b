import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { Kind, parse, print } from "graphql";
import { OfferFeedDocument, UnifiedViewDocument } from "../schema/generated/operations";
import { documentHash, MANIFEST_PATH, type PersistedDocumentManifest } from "../src/auth/trusted-documents";
import { manifestText } from "../src/main/documents";
import { PROJECT_ROOT } from "../src/platform/paths";
import { tokenFor } from "./support/auth";
import { AUDIT_AT_THE_END, startTestGateway, type TestGateway } from "./support/gateway";
import { Collector, LiveClient, subscriptionsOn } from "./support/live";

/**
 * Trusted documents: the manifest is the front lines' operations, current; with
 * TRUSTED_DOCUMENTS=enforce only its documents run (by id or by exact text) for principals
 * without ADMIN, on HTTP and WebSocket; with "off" anything runs and ids still work.
 */

const UNIFIED_VIEW = print(UnifiedViewDocument);
const AD_HOC = '{ customer(id: "C0000001") { id name } }';

async function post(gw: TestGateway, body: Record<string, unknown>, token: string): Promise<{ status: number; data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }> {
  const res = await fetch(gw.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, ...((await res.json()) as object) };
}

/** Sends `payload` as a graphql-ws subscribe message, as given (a `documentId` beside an empty query included). */
function overSocket(gw: TestGateway, payload: { query: string; documentId?: string; variables?: Record<string, unknown> }, token: string): Collector<Record<string, unknown>> {
  const live = new LiveClient(gw.url, token);
  const sub = new Collector<Record<string, unknown>>();
  sub.dispose = live.client.subscribe(payload, {
    next: (result) => sub.push(result as { data?: Record<string, unknown> | null }),
    error: (error) => sub.fail(error),
    complete: () => sub.finish(),
  });
  return sub;
}

describe("the trusted-documents manifest", () => {
  test("is current: every operation of schema/operations/, printed as typed clients send it (npm run documents)", () => {
    assert.equal(readFileSync(join(PROJECT_ROOT, MANIFEST_PATH), "utf8"), manifestText(), "run `npm run documents` and commit schema/persisted-documents.json");
    const manifest = JSON.parse(manifestText()) as PersistedDocumentManifest;
    const dir = join(PROJECT_ROOT, "schema/operations");
    const names = readdirSync(dir)
      .filter((f) => f.endsWith(".graphql"))
      .flatMap((f) => parse(readFileSync(join(dir, f), "utf8")).definitions)
      .flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : []))
      .sort();
    assert.deepEqual(manifest.operations.map((o) => o.name).sort(), names);
    for (const o of manifest.operations) assert.equal(o.id, documentHash(o.body));
    assert.ok(manifest.operations.some((o) => o.body === UNIFIED_VIEW));
  });
});

describe("TRUSTED_DOCUMENTS=enforce", () => {
  let gw: TestGateway;
  let agent: string;
  let admin: string;
  let service: string;
  before(async () => {
    gw = await startTestGateway({ limits: { trustedDocuments: "enforce" }, audit: AUDIT_AT_THE_END });
    agent = await tokenFor({ sub: `agent:td-${process.pid}`, roles: ["AGENT"] });
    admin = await tokenFor({ sub: `admin:td-${process.pid}`, roles: ["ADMIN"] });
    service = await tokenFor({ sub: `svc:td-${process.pid}`, roles: ["SERVICE"] });
  });

  test("HTTP: a trusted document runs by exact text, by documentId and by Apollo's persistedQuery hash", async () => {
    const id = documentHash(UNIFIED_VIEW);
    for (const body of [
      { query: UNIFIED_VIEW, variables: { id: "C0000001" } },
      { documentId: `sha256:${id}`, variables: { id: "C0000001" } },
      { extensions: { persistedQuery: { version: 1, sha256Hash: id } }, variables: { id: "C0000001" } },
    ]) {
      const res = await post(gw, body, agent);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.equal((res.data?.customer as { id: string }).id, "C0000001");
    }
  });

  test("HTTP: anything else is FORBIDDEN (403) before it is parsed; an unknown id is PERSISTED_QUERY_NOT_FOUND", async () => {
    const before = gw.app.services.graph.stats.started;
    const res = await post(gw, { query: AD_HOC }, agent);
    assert.equal(res.status, 403);
    assert.equal(res.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.match(res.errors?.[0]?.message ?? "", /trusted documents only \(TRUSTED_DOCUMENTS=enforce\)/);
    // The trusted text with a byte changed is another document.
    assert.equal((await post(gw, { query: `${UNIFIED_VIEW} `, variables: { id: "C0000001" } }, agent)).errors?.[0]?.extensions?.code, "FORBIDDEN");
    const unknown = await post(gw, { documentId: `sha256:${"0".repeat(64)}` }, agent);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.errors?.[0]?.extensions?.code, "PERSISTED_QUERY_NOT_FOUND");
    assert.match(unknown.errors?.[0]?.message ?? "", /No trusted document has id sha256:0{64}/);
    assert.equal(gw.app.services.graph.stats.started, before, "nothing ran");
  });

  test("ADMIN is exempt: an ad-hoc query runs", async () => {
    const res = await post(gw, { query: "{ channels { code } }" }, admin);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  });

  test("WebSocket: a trusted subscription runs by text and by documentId; an ad-hoc one is FORBIDDEN on the subscribe", async () => {
    const byText = overSocket(gw, { query: print(OfferFeedDocument) }, service);
    const byId = overSocket(gw, { query: "", documentId: `sha256:${documentHash(print(OfferFeedDocument))}` }, service);
    await subscriptionsOn(gw, 2);
    assert.equal(byText.errors.length + byId.errors.length, 0);
    const adHoc = overSocket(gw, { query: "subscription { offerFeed { cursor } }" }, service);
    await adHoc.ended();
    assert.equal(adHoc.errors[0]?.extensions?.code, "FORBIDDEN");
    assert.match(adHoc.errors[0]?.message ?? "", /trusted documents only/);
    const adminAdHoc = overSocket(gw, { query: "{ channels { code } }" }, admin);
    await adminAdHoc.ended();
    assert.equal(adminAdHoc.errors.length, 0);
  });
});

describe("TRUSTED_DOCUMENTS=off (the default)", () => {
  test("anything runs, and ids still work", async () => {
    const gw = await startTestGateway();
    const agent = await tokenFor({ sub: `agent:td-off-${process.pid}`, roles: ["AGENT"] });
    assert.equal((await post(gw, { query: AD_HOC }, agent)).errors, undefined);
    const byId = await post(gw, { documentId: `sha256:${documentHash(UNIFIED_VIEW)}`, variables: { id: "C0000002" } }, agent);
    assert.equal((byId.data?.customer as { id: string }).id, "C0000002");
  });
});
