import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { before, describe, test } from "node:test";
import {
  CreateTagDocument,
  NextBestOffersDocument,
  OfflineTagDocument,
  PromoteTagDocument,
  PublishTagDocument,
  RefreshTagStatisticsDocument,
  SearchIndicatorsDocument,
  SubmitTagDocument,
  TagDetailDocument,
  TagImpactDocument,
  TagLibraryDocument,
  UpdateTagDocument,
  type TagInput,
} from "../schema/generated/operations";
import { productByCode } from "../seeds/catalogue";
import { applyChange } from "./support/approval";
import { tokenFor } from "./support/auth";
import { freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { teardown } from "./support/leftovers";

/**
 * The tag library (src/tags/): the lifecycle DRAFT → PENDING_APPROVAL → APPROVED → PUBLISHED →
 * OFFLINE under maker-checker (the author never approves, nor does anyone who edited the version),
 * versions (a published tag keeps serving while its edit is pending), the publish log, promotion
 * of a city tag, the impact of offlining, and offlining itself, seen on a second gateway: the
 * customer view drops the tag, a segment naming it is refused and flagged, decisions stop.
 *
 * Every tag here is this file's own (codes carry the process id), so other files running at the
 * same time never see one change; they are deleted when the file ends.
 */

const PID = process.pid.toString(36).toUpperCase();
const IN_2033 = "2033-06-06T03:00:00.000Z";
const LATER_IN_2033 = "2033-06-06T04:00:00.000Z";
const FROM_2033 = "2033-01-01T00:00:00.000Z";
const TENCENT = productByCode("CNT-TENCENT-VIDEO").id;

const codeOf = (res: GraphQLResponse<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;
const messageOf = (res: GraphQLResponse<unknown>): string => res.errors?.[0]?.message ?? "";
const argumentOf = (res: GraphQLResponse<unknown>): unknown => res.errors?.[0]?.extensions?.argument;

let serial = 0;
/** A tag code of this file's own. */
const code = (what: string): string => `TST_${what}_${PID}_${++serial}`;

const APPROVE = `mutation($id: ID!) { approveChange(id: $id) { id status decidedBy } }`;
const REJECT = `mutation($id: ID!, $reason: String!) { rejectChange(id: $id, reason: $reason) { id status } }`;
const CUSTOMER_TAGS = `query($id: ID!) { customer(id: $id) { tags { tag { code name definition } } } }`;

describe("the tag library: governed tags from draft to offline", () => {
  let gw: TestGateway;
  const who = {
    marketer: `test:tags:marketer:${PID}`,
    marketer2: `test:tags:marketer2:${PID}`,
    approver: `test:tags:approver:${PID}`,
  };
  const tokens = { marketer: "", marketer2: "", editorApprover: "", approver: "", agent: "", admin: "" };
  const created: string[] = [];

  const input = (what: string, extra: Partial<TagInput> = {}): TagInput => ({
    code: code(what),
    name: `测试标签${what}`,
    level1: "Telecom",
    level2: "Voice usage",
    definition: `近3个月对同一V网月均通话大于10次的客户（${what}）。`,
    valueType: "FLAG",
    ...extra,
  });

  const create = async (tagInput: TagInput, token = tokens.marketer): Promise<{ id: string; code: string }> => {
    const tag = dataOf(await gw.request(CreateTagDocument, { input: tagInput }, token)).createTag;
    created.push(tag.id);
    return tag;
  };
  const submit = async (id: string, token = tokens.marketer, note?: string): Promise<string> => {
    const submitted = dataOf(await gw.request(SubmitTagDocument, { id, ...(note ? { note } : {}) }, token)).submitTag;
    assert.ok(submitted.pendingChange, "submitting proposes a change");
    return submitted.pendingChange.id;
  };
  const approve = (changeId: string, token = tokens.approver, g: TestGateway = gw): Promise<GraphQLResponse<{ approveChange: { id: string; status: string; decidedBy: string } }>> =>
    g.raw(APPROVE, { id: changeId }, token);
  const publish = async (id: string, token = tokens.marketer): Promise<void> => {
    dataOf(await gw.request(PublishTagDocument, { id }, token));
  };
  /** A tag created, submitted, approved by another principal and published. */
  const published = async (tagInput: TagInput): Promise<{ id: string; code: string }> => {
    const tag = await create(tagInput);
    dataOf(await approve(await submit(tag.id)));
    await publish(tag.id);
    return tag;
  };
  const detail = async (id: string, g: TestGateway = gw): Promise<NonNullable<Awaited<ReturnType<typeof detailOf>>>> => {
    const tag = await detailOf(id, g);
    assert.ok(tag, `tag ${id} exists`);
    return tag;
  };
  const detailOf = async (id: string, g: TestGateway = gw) => dataOf(await g.request(TagDetailDocument, { id }, tokens.marketer)).tag;
  /** Gives customers the tag (as a tag job would) and refreshes its statistics. */
  const hold = async (tagId: string, customerIds: readonly string[]): Promise<void> => {
    await testGraph().session().write(
      `MATCH (t:Tag {id: $tagId}) UNWIND $ids AS id MATCH (c:Customer {id: id})
       MERGE (c)-[h:HAS_TAG]->(t) SET h.value = 'true', h.score = 1.0, h.at = datetime()`,
      { tagId, ids: customerIds },
    );
    dataOf(await gw.request(RefreshTagStatisticsDocument, { ids: [tagId] }, tokens.admin));
  };
  const customerTagCodes = async (g: TestGateway, customerId: string): Promise<string[]> =>
    dataOf(await g.raw<{ customer: { tags: Array<{ tag: { code: string } }> } }>(CUSTOMER_TAGS, { id: customerId })).customer.tags.map((t) => t.tag.code);

  before(async () => {
    gw = await startTestGateway();
    tokens.marketer = await tokenFor({ sub: who.marketer, roles: ["MARKETER"] });
    tokens.marketer2 = await tokenFor({ sub: who.marketer2, roles: ["MARKETER"] });
    // The second marketer also approves: still an editor of what they edited.
    tokens.editorApprover = await tokenFor({ sub: who.marketer2, roles: ["MARKETER", "APPROVER"] });
    tokens.approver = await tokenFor({ sub: who.approver, roles: ["APPROVER"] });
    tokens.agent = await tokenFor({ sub: `test:tags:agent:${PID}`, roles: ["AGENT"], agentId: "A-tags" });
    tokens.admin = await tokenFor({ sub: `test:tags:admin:${PID}`, roles: ["ADMIN"] });
    const graph = testGraph();
    teardown("this file's tags", () =>
      graph.session().write(
        `UNWIND $ids AS id MATCH (t:Tag {id: id})
         OPTIONAL MATCH (t)-[:VERSION|LOGGED]->(x) DETACH DELETE x
         WITH DISTINCT t CALL (t) { MATCH (v:TagValue {tagId: t.id}) DETACH DELETE v } DETACH DELETE t`,
        { ids: created },
      ),
    );
  });

  test("lifecycle under maker-checker: draft, submitted, approved by someone who neither submitted nor edited it, published with a log entry", async () => {
    const tag = await create(input("LIFE", { note: "新增V网偏好口径" }));
    let view = await detail(tag.id);
    assert.deepEqual([view.status, view.version, view.openVersion?.status, view.openVersion?.revision], ["DRAFT", 1, "DRAFT", 1]);
    assert.deepEqual(view.openVersion?.editors, [who.marketer]);
    assert.equal(view.owner, who.marketer, "the owner defaults to its creator");

    const edited = dataOf(await gw.request(UpdateTagDocument, { id: tag.id, input: { name: "V网偏好（测试）" } }, tokens.marketer2)).updateTag;
    assert.deepEqual([edited.name, edited.openVersion?.revision, edited.openVersion?.editors], ["V网偏好（测试）", 2, [who.marketer, who.marketer2]]);

    const changeId = await submit(tag.id, tokens.marketer, "首版");
    view = await detail(tag.id);
    assert.deepEqual([view.status, view.openVersion?.status, view.pendingChange?.action], ["PENDING_APPROVAL", "PENDING_APPROVAL", "UPDATE"]);

    // Not served while it waits: a segment cannot name it.
    const early = await gw.raw(`mutation($e: String!) { createSegment(input: { code: "TST_SEG_EARLY_${PID}", name: "x", expression: $e }) { id } }`, { e: tag.code }, tokens.marketer);
    assert.equal(codeOf(early), "BAD_USER_INPUT");

    const byAuthor = await approve(changeId, await tokenFor({ sub: who.marketer, roles: ["MARKETER", "APPROVER"] }));
    assert.equal(codeOf(byAuthor), "FORBIDDEN");
    assert.match(messageOf(byAuthor), /author of a change can never approve it/);
    const byEditor = await approve(changeId, tokens.editorApprover);
    assert.equal(codeOf(byEditor), "FORBIDDEN");
    assert.match(messageOf(byEditor), /You edited version 1/);
    assert.equal((await detail(tag.id)).status, "PENDING_APPROVAL", "refusals leave it waiting");

    const approved = dataOf(await approve(changeId)).approveChange;
    assert.deepEqual([approved.status, approved.decidedBy], ["APPROVED", who.approver]);
    view = await detail(tag.id);
    assert.deepEqual([view.status, view.openVersion?.status, view.openVersion?.approvedBy, view.openVersion?.changeId], ["APPROVED", "APPROVED", who.approver, changeId]);
    assert.equal(dataOf(await gw.request(SearchIndicatorsDocument, { text: tag.code }, tokens.marketer)).searchIndicators.length, 0, "approved is not yet served");

    const pub = dataOf(await gw.request(PublishTagDocument, { id: tag.id }, tokens.marketer)).publishTag;
    assert.deepEqual([pub.status, pub.version], ["PUBLISHED", 1]);
    assert.deepEqual(
      pub.publishLog.map((l) => [l.action, l.version, l.by, l.changeId, l.approvedBy, l.reason]),
      [["PUBLISH", 1, who.marketer, changeId, who.approver, "首版"]],
    );
    assert.deepEqual(pub.versions.map((v) => [v.version, v.status, v.publishedBy]), [[1, "PUBLISHED", who.marketer]]);
    const [hit] = dataOf(await gw.request(SearchIndicatorsDocument, { text: tag.code }, tokens.marketer)).searchIndicators;
    assert.deepEqual([hit?.code, hit?.usable, hit?.expression], [tag.code, true, tag.code], "published: found and usable by builders at once");
  });

  test("a rejected submission is a draft again, and a withdrawn one too; neither is ever applied", async () => {
    const tag = await create(input("REJ"));
    const first = await submit(tag.id);
    dataOf(await gw.raw(REJECT, { id: first, reason: "口径不够精确：请写明统计周期" }, tokens.approver));
    let view = await detail(tag.id);
    assert.deepEqual([view.status, view.openVersion?.status, view.pendingChange], ["DRAFT", "DRAFT", null]);
    dataOf(await gw.request(UpdateTagDocument, { id: tag.id, input: { definition: "近3个月（自然月）对同一V网月均通话大于10次的客户。" } }, tokens.marketer));
    const second = await submit(tag.id);
    dataOf(await gw.raw(`mutation($id: ID!) { withdrawChange(id: $id) { id } }`, { id: second }, tokens.marketer));
    view = await detail(tag.id);
    assert.deepEqual([view.status, view.openVersion?.status, view.openVersion?.revision], ["DRAFT", "DRAFT", 2]);
  });

  test("versions: an edit of a published tag is a new draft; the published version serves until the new one is published, then it is replaced at once", async () => {
    const other = await startTestGateway();
    const tag = await published(input("VER", { name: "版本测试（一）" }));
    const [customerId] = await freshIds(1);
    await hold(tag.id, [customerId as string]);
    const served = async (g: TestGateway): Promise<string | undefined> =>
      dataOf(await g.raw<{ customer: { tags: Array<{ tag: { code: string; name: string } }> } }>(CUSTOMER_TAGS, { id: customerId })).customer.tags.find((t) => t.tag.code === tag.code)?.tag.name;
    await eventually(async () => assert.equal(await served(other), "版本测试（一）"), { what: "the other replica serves version 1" });

    const draft = dataOf(await gw.request(UpdateTagDocument, { id: tag.id, input: { name: "版本测试（二）", note: "改名" } }, tokens.marketer2)).updateTag;
    assert.deepEqual([draft.status, draft.version, draft.name], ["PUBLISHED", 1, "版本测试（一）"], "the tag still serves version 1");
    assert.deepEqual([draft.openVersion?.version, draft.openVersion?.status, draft.openVersion?.name], [2, "DRAFT", "版本测试（二）"]);

    const changeId = await submit(tag.id, tokens.marketer2);
    const pending = await gw.raw(`mutation($id: ID!) { updateTag(id: $id, input: { name: "插队修改" }) { id } }`, { id: tag.id }, tokens.marketer);
    assert.equal(codeOf(pending), "CONFLICT", "no edit while a version awaits approval");
    assert.match(messageOf(pending), new RegExp(`awaits approval in change ${changeId}.*withdraw`));
    assert.equal(await served(gw), "版本测试（一）", "pending: version 1 serves");

    dataOf(await approve(changeId));
    assert.equal(await served(gw), "版本测试（一）", "approved but not published: version 1 still serves");
    assert.equal(await served(other), "版本测试（一）");

    dataOf(await gw.request(PublishTagDocument, { id: tag.id }, tokens.marketer2));
    assert.equal(await served(gw), "版本测试（二）", "published: version 2 serves here at once");
    await eventually(async () => assert.equal(await served(other), "版本测试（二）"), { what: "the other replica serves version 2" });
    const view = await detail(tag.id);
    assert.deepEqual(view.versions.map((v) => [v.version, v.status]), [[2, "PUBLISHED"], [1, "SUPERSEDED"]]);
    assert.deepEqual(view.publishLog.map((l) => [l.action, l.version, l.by, l.approvedBy, l.reason]), [["PUBLISH", 2, who.marketer2, who.approver, "改名"], ["PUBLISH", 1, who.marketer, who.approver, null]]);
    assert.equal(view.openVersion, null);

    // An approved version not yet published is replaced by a new edit: DISCARDED, never served.
    dataOf(await gw.request(UpdateTagDocument, { id: tag.id, input: { name: "版本测试（三）" } }, tokens.marketer));
    dataOf(await approve(await submit(tag.id)));
    const again = dataOf(await gw.request(UpdateTagDocument, { id: tag.id, input: { name: "版本测试（四）" } }, tokens.marketer)).updateTag;
    assert.deepEqual([again.name, again.openVersion?.version, again.openVersion?.status], ["版本测试（二）", 4, "DRAFT"]);
    assert.deepEqual((await detail(tag.id)).versions.map((v) => [v.version, v.status]), [[4, "DRAFT"], [3, "DISCARDED"], [2, "PUBLISHED"], [1, "SUPERSEDED"]]);
  });

  test("an approval applies to the revision submitted: a draft changed behind it is not approved", async () => {
    const tag = await create(input("REV"));
    const changeId = await submit(tag.id);
    // A concurrent edit that slipped in between reading the draft and storing the change.
    await testGraph().session().write(`MATCH (:Tag {id: $id})-[:VERSION]->(v:TagVersion {version: 1}) SET v.revision = v.revision + 1, v.definition = '被改过的口径定义内容'`, { id: tag.id });
    const refused = await approve(changeId);
    assert.equal(codeOf(refused), "BAD_USER_INPUT");
    assert.match(messageOf(refused), /edited after it was submitted.*revision 1 submitted, 2 now/);
    const view = await detail(tag.id);
    assert.deepEqual([view.status, view.pendingChange?.id], ["PENDING_APPROVAL", changeId], "nothing applied; the change still waits");
  });

  test("a city tag names its city, keeps its scope when edited, and is promoted to the province only by an approved, published promotion", async () => {
    const bad = await gw.request(CreateTagDocument, { input: input("CITYX", { scope: "CITY" }) }, tokens.marketer);
    assert.deepEqual([codeOf(bad), argumentOf(bad)], ["BAD_USER_INPUT", "regionId"]);
    assert.match(messageOf(bad), /R3301/, "the cities are listed");
    const district = await gw.request(CreateTagDocument, { input: input("CITYD", { scope: "CITY", regionId: "R330102" }) }, tokens.marketer);
    assert.deepEqual([codeOf(district), argumentOf(district)], ["BAD_USER_INPUT", "regionId"]);
    const provinceWithCity = await gw.request(CreateTagDocument, { input: input("CITYP", { regionId: "R3301" }) }, tokens.marketer);
    assert.deepEqual([codeOf(provinceWithCity), argumentOf(provinceWithCity)], ["BAD_USER_INPUT", "regionId"]);

    const tag = await published(input("CITY", { scope: "CITY", regionId: "R3301", definition: "杭州市客户中，近3个月月均V网通话大于10次的客户。" }));
    const widened = await gw.raw(`mutation($id: ID!) { updateTag(id: $id, input: { scope: PROVINCE }) { id } }`, { id: tag.id }, tokens.marketer);
    assert.deepEqual([codeOf(widened), argumentOf(widened)], ["BAD_USER_INPUT", "scope"]);
    assert.match(messageOf(widened), /promoteTag/);

    const promoted = dataOf(await gw.request(PromoteTagDocument, { id: tag.id, input: { definition: "全省客户中，近3个月月均V网通话大于10次的客户。", note: "杭州试点效果好" } }, tokens.marketer)).promoteTag;
    assert.deepEqual([promoted.scope, promoted.regionId, promoted.status], ["CITY", "R3301", "PUBLISHED"], "the city tag serves as it was");
    assert.deepEqual([promoted.openVersion?.scope, promoted.openVersion?.regionId, promoted.openVersion?.status], ["PROVINCE", null, "PENDING_APPROVAL"]);
    assert.deepEqual([promoted.pendingChange?.action, promoted.pendingChange?.kind], ["PROMOTE", "TAG"]);
    const twice = await gw.request(PromoteTagDocument, { id: tag.id }, tokens.marketer);
    assert.equal(codeOf(twice), "CONFLICT");

    dataOf(await approve(promoted.pendingChange?.id ?? ""));
    dataOf(await gw.request(PublishTagDocument, { id: tag.id }, tokens.approver));
    const view = await detail(tag.id);
    assert.deepEqual([view.scope, view.regionId, view.version, view.definition], ["PROVINCE", null, 2, "全省客户中，近3个月月均V网通话大于10次的客户。"]);
    assert.deepEqual(view.publishLog.map((l) => [l.action, l.version, l.by]), [["PROMOTE", 2, who.approver], ["PUBLISH", 1, who.marketer]]);
    const again = await gw.request(PromoteTagDocument, { id: tag.id }, tokens.marketer);
    assert.deepEqual([codeOf(again), argumentOf(again)], ["BAD_USER_INPUT", "id"]);
    assert.match(messageOf(again), /province-wide already/);
  });

  test("offlining: its impact first (segments, strategies, offers), then, once approved, every replica stops using the tag at once", async () => {
    const other = await startTestGateway();
    const tag = await published(input("OFF"));
    const customers = await freshIds(3, { where: (g) => g.customer.dndList !== "BLACK" && !g.holdings.some((h) => h.productId === TENCENT) });
    await hold(tag.id, customers);

    // A segment of the tag's holders, a strategy targeting it with an offer of its own, from 2033.
    const segment = dataOf(
      await gw.raw<{ createSegment: { id: string; code: string; pendingChange: { id: string } } }>(
        `mutation($input: SegmentInput!) { createSegment(input: $input) { id code pendingChange { id } } }`,
        { input: { code: `TST_SEG_OFF_${PID}`, name: "下线测试客群", expression: `${tag.code} AND arpu >= 0` } },
        tokens.marketer,
      ),
    ).createSegment;
    await applyChange(gw, segment);
    const offer = dataOf(
      await gw.raw<{ createOffer: { id: string; code: string; pendingChange: { id: string } } }>(
        `mutation($input: OfferInput!) { createOffer(input: $input) { id code pendingChange { id } } }`,
        { input: { code: `OFF-TST-TAG-${PID}`, name: "腾讯视频（标签下线测试）", productId: TENCENT, creatives: [{ channel: "HOTLINE", text: "为您推荐腾讯视频VIP权益包。" }], value: 500, priority: 5, basePropensity: 0.5, validFrom: FROM_2033 } },
        tokens.marketer,
      ),
    ).createOffer;
    await applyChange(gw, offer);
    const strategy = dataOf(
      await gw.raw<{ createStrategy: { id: string; code: string; pendingChange: { id: string } } }>(
        `mutation($input: StrategyInput!) { createStrategy(input: $input) { id code pendingChange { id } } }`,
        { input: { code: `CNT-TAG-${PID.slice(0, 8).padEnd(2, "X")}-001`, name: "标签下线测试策略", businessLine: "CONTENT", scenario: "CROSS_SELL", segmentId: segment.id, offerIds: [offer.id], channels: ["HOTLINE"], priority: 10, controlShare: 0, validFrom: FROM_2033 } },
        tokens.marketer,
      ),
    ).createStrategy;
    await applyChange(gw, strategy);

    const impact = dataOf(await gw.request(TagImpactDocument, { id: tag.id }, tokens.marketer)).tagImpact;
    assert.deepEqual(impact.nodes.map((n) => [n.kind, n.code]), [["TAG", tag.code], ["SEGMENT", segment.code], ["STRATEGY", strategy.code], ["OFFER", offer.code]]);
    assert.deepEqual(impact.edges.map((e) => [e.from, e.relation, e.to]), [[segment.id, "USES", tag.id], [strategy.id, "TARGETS", segment.id], [strategy.id, "PROPOSES", offer.id]]);
    assert.deepEqual([impact.segments.map((s) => s.unservedTags), impact.campaignIds], [[[]], []]);
    const evaluation = (await detail(tag.id)).evaluation;
    assert.deepEqual([evaluation.customers, evaluation.segments, evaluation.strategies, evaluation.activeStrategies], [3, 1, 1, 1]);
    assert.ok(evaluation.refreshedAt && evaluation.statsAt && evaluation.coverage > 0);

    const offered = async (g: TestGateway, customerId: string, at: string): Promise<boolean> =>
      dataOf(await g.request(NextBestOffersDocument, { customerId, channel: "HOTLINE", limit: 10, context: { at } })).nextBestOffers.some((d) => d.offer.id === offer.id);
    for (const c of customers) {
      assert.ok((await customerTagCodes(other, c)).includes(tag.code), "served on the other replica");
      assert.ok(await offered(other, c, IN_2033), `${c} is offered the strategy's offer while the tag is served`);
    }

    const noReason = await gw.request(OfflineTagDocument, { id: tag.id, reason: "  " }, tokens.marketer);
    assert.deepEqual([codeOf(noReason), argumentOf(noReason)], ["BAD_USER_INPUT", "reason"]);
    const proposed = dataOf(await gw.request(OfflineTagDocument, { id: tag.id, reason: "口径失效，停用" }, tokens.marketer)).offlineTag;
    assert.deepEqual([proposed.status, proposed.pendingChange?.action], ["PUBLISHED", "RETIRE"], "proposed only: still served");
    assert.deepEqual((proposed.pendingChange?.payload as { impact: unknown }).impact, { segments: [segment.code], strategies: [strategy.code], activeStrategies: [strategy.code], offers: [offer.code] });
    assert.ok((await customerTagCodes(other, customers[0] as string)).includes(tag.code));

    dataOf(await approve(proposed.pendingChange?.id ?? "", tokens.approver, other));
    await eventually(
      async () => {
        for (const g of [gw, other]) for (const c of customers) assert.ok(!(await customerTagCodes(g, c)).includes(tag.code), `${c} no longer shows ${tag.code}`);
      },
      { what: "both replicas dropped the offline tag from customers' views" },
    );
    // Segments: a new one naming it is refused; the existing one matches nobody and says why.
    const refused = await other.raw(`mutation($e: String!) { createSegment(input: { code: "TST_SEG_LATE_${PID}", name: "x", expression: $e }) { id } }`, { e: `${tag.code} OR arpu > 100` }, tokens.marketer);
    assert.deepEqual([codeOf(refused), argumentOf(refused)], ["BAD_USER_INPUT", "expression"]);
    assert.match(messageOf(refused), new RegExp(tag.code));
    const segments = dataOf(await other.raw<{ segments: Array<{ id: string; unservedTags: string[] }> }>(`{ segments { id unservedTags } }`, undefined, tokens.marketer)).segments;
    assert.deepEqual(segments.find((s) => s.id === segment.id)?.unservedTags, [tag.code]);
    // Decisions: the strategy is paused on both replicas (a later time: a repeat of the same request would read the earlier answer back).
    for (const g of [gw, other]) for (const c of customers) assert.equal(await offered(g, c, LATER_IN_2033), false, `${c} is no longer offered it`);

    const view = await detail(tag.id, other);
    assert.deepEqual([view.status, view.versions[0]?.status], ["OFFLINE", "OFFLINE"]);
    assert.deepEqual(view.publishLog.map((l) => [l.action, l.by, l.approvedBy, l.reason]).slice(0, 1), [["OFFLINE", who.marketer, who.approver, "口径失效，停用"]]);
    const builders = dataOf(await gw.request(SearchIndicatorsDocument, { text: tag.code }, tokens.marketer)).searchIndicators;
    assert.equal(builders.length, 0, "builders no longer find it");
    const library = dataOf(await gw.request(SearchIndicatorsDocument, { text: tag.code, includeUnserved: true }, tokens.marketer)).searchIndicators;
    assert.deepEqual(library.map((h) => [h.code, h.status, h.usable]), [[tag.code, "OFFLINE", false]]);
    const again = await gw.request(OfflineTagDocument, { id: tag.id, reason: "再次下线" }, tokens.marketer);
    assert.equal(codeOf(again), "CONFLICT");
  });

  test("the library lists tags by status, taxonomy, scope and text, in taxonomy order, paged", async () => {
    const family = `测试族${PID}`;
    const a = await create(input("LISTA", { level1: "Life & Internet", level2: family, name: "列表甲" }));
    const b = await published(input("LISTB", { level1: "Life & Internet", level2: family, name: "列表乙" }));
    const c = await create(input("LISTC", { level1: "Life & Internet", level2: family, name: "列表丙", scope: "CITY", regionId: "R3302" }));
    const page = async (filter: Record<string, unknown>, first = 10, after?: string) => dataOf(await gw.request(TagLibraryDocument, { filter, first, ...(after ? { after } : {}) }, tokens.marketer)).tags;
    const all = await page({ level2: family });
    assert.deepEqual([all.totalCount, all.edges.map((e) => e.node.code)], [3, [a.code, b.code, c.code].sort()]);
    assert.deepEqual((await page({ level2: family, status: "DRAFT" })).edges.map((e) => e.node.code), [a.code, c.code].sort());
    assert.deepEqual((await page({ level2: family, status: "PUBLISHED" })).edges.map((e) => e.node.code), [b.code]);
    assert.deepEqual((await page({ level2: family, scope: "CITY", regionId: "R3302" })).edges.map((e) => e.node.code), [c.code]);
    assert.deepEqual((await page({ text: "列表乙" })).edges.map((e) => e.node.code), [b.code], "text is searched like the indicator search");
    const first = await page({ level2: family }, 2);
    assert.deepEqual([first.edges.length, first.pageInfo.hasNextPage], [2, true]);
    const rest = await page({ level2: family }, 2, first.pageInfo.endCursor ?? "");
    assert.deepEqual([rest.edges.map((e) => e.node.code), rest.pageInfo.hasNextPage], [[[a.code, b.code, c.code].sort()[2]], false]);
    const listed = (await page({ level2: family, status: "PUBLISHED" })).edges[0]?.node;
    assert.deepEqual([listed?.evaluation.segments, listed?.openVersion, listed?.pendingChange], [0, null, null]);
  });

  test("seeded tags: served from the seed without a version record, which the first edit records; the statistics the seed computed", async () => {
    const fetion = dataOf(await gw.request(TagDetailDocument, { code: "LIF_FETION" }, tokens.marketer)).tag;
    assert.deepEqual([fetion?.status, fetion?.version, fetion?.versions.map((v) => [v.version, v.status, v.recorded])], ["OFFLINE", 4, [[4, "OFFLINE", false]]]);
    const westlake = dataOf(await gw.request(TagDetailDocument, { code: "BAS_WESTLAKE" }, tokens.marketer)).tag;
    assert.deepEqual([westlake?.scope, westlake?.regionId, westlake?.region?.name, westlake?.owner], ["CITY", "R3301", "杭州市", "杭州分公司市场部"]);
    const band = dataOf(await gw.request(TagDetailDocument, { code: "BAS_AGE_BAND" }, tokens.marketer)).tag;
    assert.ok(band && band.evaluation.values.length >= 5, JSON.stringify(band?.evaluation));
    assert.ok(band.evaluation.refreshedAt, "refresh time from the seed's tag run");
    // The seed counted them as it generated its customers: exactly what the edges of those customers say
    // (fresh customers other files write later carry tags too, but have ids after every seeded one).
    const count = (where: string) =>
      testGraph().session().read<{ value: string; customers: number }>(
        `MATCH (:Tag {code: 'BAS_AGE_BAND'})<-[h:HAS_TAG]-(c:Customer) ${where} RETURN h.value AS value, count(*) AS customers ORDER BY customers DESC, value`,
      );
    const seeded = await count("WHERE c.id < 'C1'");
    if (!isDeepStrictEqual(band.evaluation.values, seeded)) {
      // Another file ran refreshTagStatistics since the seed (the fuzz slice calls every mutation), so
      // fresh customers are in the counts: each lies between the seed's customers and today's edges.
      const now = new Map((await count("")).map((r) => [r.value, r.customers]));
      for (const { value, customers } of band.evaluation.values) {
        const floor = seeded.find((r) => r.value === value)?.customers ?? 0;
        assert.ok(floor <= customers && customers <= (now.get(value) ?? 0), `${value}: ${floor} ≤ ${customers} ≤ ${now.get(value)}`);
      }
      assert.deepEqual(new Set(band.evaluation.values.map((r) => r.value)), new Set(seeded.map((r) => r.value)));
    }
  });

  test("bad input and wrong states: clear errors with extensions.code, nothing written", async () => {
    const cases: Array<[string, Record<string, unknown>, string, string | undefined, RegExp]> = [
      ["lower-case code", { code: "tel_x" }, "BAD_USER_INPUT", "code", /upper-case letters/],
      ["keyword code", { code: "AND" }, "BAD_USER_INPUT", "code", /.+/],
      ["taken code", { code: "TEL_DATA_HEAVY" }, "BAD_USER_INPUT", "code", /already used by tag T\d+/],
      ["unknown family", { level1: "Misc" }, "BAD_USER_INPUT", "level1", /"Basic", "Telecom"/],
      ["vague definition", { definition: "待定" }, "BAD_USER_INPUT", "definition", /at least 8 characters/],
      ["empty name", { name: "  " }, "BAD_USER_INPUT", "name", /must not be empty/],
    ];
    for (const [what, patch, expected, argument, message] of cases) {
      const res = await gw.request(CreateTagDocument, { input: { ...input("BAD"), ...patch } as TagInput }, tokens.marketer);
      assert.deepEqual([codeOf(res), argumentOf(res)], [expected, argument], `${what}: ${JSON.stringify(res.errors)}`);
      assert.match(messageOf(res), message, what);
    }
    const none = await gw.raw(`mutation { updateTag(id: "T-none", input: { name: "x" }) { id } }`, undefined, tokens.marketer);
    assert.equal(codeOf(none), "NOT_FOUND");
    const draft = await create(input("STATE"));
    const early = await gw.request(PublishTagDocument, { id: draft.id }, tokens.marketer);
    assert.equal(codeOf(early), "CONFLICT");
    assert.match(messageOf(early), /is a draft; submit it/);
    const offline = await gw.request(OfflineTagDocument, { id: draft.id, reason: "x" }, tokens.marketer);
    assert.equal(codeOf(offline), "CONFLICT");
    const nothing = await gw.raw(`mutation($id: ID!) { updateTag(id: $id, input: {}) { id } }`, { id: (await published(input("SAME"))).id }, tokens.marketer);
    assert.equal(codeOf(nothing), "BAD_USER_INPUT");
    assert.match(messageOf(nothing), /changes nothing/);
    for (const [query, argument] of [
      ["{ tags(first: 0) { totalCount } }", "first"],
      ['{ tags(after: "bm90LWEtY3Vyc29y") { totalCount } }', "after"],
      ['{ tag(id: "T001", code: "BAS_FEMALE") { id } }', "code"],
      ['{ tags(filter: { text: "!!!" }) { totalCount } }', "filter.text"],
    ] as const) {
      const res = await gw.raw(query, undefined, tokens.marketer);
      assert.deepEqual([codeOf(res), argumentOf(res)], ["BAD_USER_INPUT", argument], query);
    }
    const impactOfNothing = await gw.raw(`{ tagImpact(id: "T-none") { tag { id } } }`, undefined, tokens.marketer);
    assert.equal(codeOf(impactOfNothing), "NOT_FOUND");
    // The matrix: an agent reads customers' tags, never the library.
    const agent = await gw.request(TagLibraryDocument, {}, tokens.agent);
    assert.equal(codeOf(agent), "FORBIDDEN");
    const approverCreates = await gw.request(CreateTagDocument, { input: input("APR") }, tokens.approver);
    assert.equal(codeOf(approverCreates), "FORBIDDEN");
  });
});
