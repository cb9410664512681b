import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CHANNELS,
  CITIES,
  DISTRICTS,
  EXCLUDES,
  PRODUCTS,
  REGIONS,
  REQUIRES,
  TAGS,
  canHold,
  isMainPlan,
  productById,
  tagByCode,
  valueTierOf,
} from "../seeds/catalogue";
import { contactWindow, customerIndex, generateChunks, generateCustomerById, generateCustomers, type GeneratedChunk, type GeneratedCustomer, type GenerateOptions } from "../seeds/generate";
import { CHANNEL_CODES, PRODUCT_KINDS } from "../src/domain/vocabulary";

const asOf = new Date("2026-11-22T00:00:00.000Z");
const opts = (customers: number, seed = 42): GenerateOptions => ({ seed, customers, asOf });
const all = (o: GenerateOptions): GeneratedChunk[] => [...generateChunks(o)];
const customersOf = (chunks: readonly GeneratedChunk[]): GeneratedCustomer[] => chunks.flatMap((c) => c.customers);

// One larger data set shared by the distribution tests (about two seconds to generate).
const BIG = opts(10_000);
const bigChunks = all(BIG);
const big = customersOf(bigChunks);
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const hasTag = (g: GeneratedCustomer, code: string): boolean => g.tags.some((t) => t.tagId === tagByCode(code).id);

describe("determinism", () => {
  test("the same seed gives the same data set; another seed gives another", () => {
    const a = JSON.stringify(all(opts(1500)));
    const b = JSON.stringify(all(opts(1500)));
    assert.equal(a, b);
    const other = customersOf(all(opts(1500, 43)));
    const mine = customersOf(all(opts(1500)));
    const same = mine.filter((g, i) => g.customer.name === other[i]?.customer.name && g.customer.arpu === other[i]?.customer.arpu).length;
    assert.ok(same < 50, `seed 43 differs from seed 42 (${same} customers alike)`);
  });

  test("a smaller data set is a prefix of a larger one", () => {
    const small = all(opts(2000));
    const large = all(opts(3500));
    const largeCustomers = customersOf(large);
    for (const [i, g] of customersOf(small).entries()) assert.deepEqual(g, largeCustomers[i], `customer ${g.customer.id}`);
    const smallGroups = small.flatMap((c) => c.groups);
    const largeGroups = new Map(large.flatMap((c) => c.groups).map((g) => [g.id, g]));
    for (const g of smallGroups) assert.deepEqual(largeGroups.get(g.id), g);
  });

  test("generateCustomerById regenerates exactly what the chunks produced", () => {
    const ids = ["C0000001", "C0000002", "C0000999", "C0001000", "C0001001", "C0004567", "C0009999", "C0010000"];
    const byId = new Map(big.map((g) => [g.customer.id, g]));
    const family = big.find((g) => g.memberships.some((m) => m.kind === "FAMILY" && m.role === "MEMBER"));
    const vnet = big.find((g) => g.memberships.some((m) => m.kind === "VNET"));
    assert.ok(family && vnet);
    for (const id of [...ids, family.customer.id, vnet.customer.id]) {
      assert.deepEqual(generateCustomerById(BIG, id), byId.get(id), id);
    }
    assert.equal(generateCustomerById(BIG, "C0010001"), null, "beyond the data set");
    assert.equal(generateCustomerById(BIG, "C0000000"), null);
    assert.equal(generateCustomerById(BIG, "nobody"), null);
  });

  test("generateCustomers gives any few customers as the chunks did, with their groups named as the chunks name them", () => {
    const heads = new Set(big.flatMap((g) => g.memberships.filter((m) => m.kind === "FAMILY" && m.role === "HEAD").map((m) => m.groupId)));
    // A family member without its head: the family is still named after the head.
    const member = big.find((g) => g.memberships.some((m) => m.kind === "FAMILY" && m.role === "MEMBER" && heads.has(m.groupId)));
    const vnet = big.find((g) => g.customer.id > "C0005000" && g.memberships.some((m) => m.kind === "VNET"));
    assert.ok(member && vnet);
    const indices = [9999, 2, 1, 1000, 1001, customerIndex(member.customer.id)!, customerIndex(vnet.customer.id)!, 4567];
    const { customers, groups } = generateCustomers(BIG, indices);
    assert.deepEqual(customers, indices.map((n) => big[n - 1]), "each customer as generated, in the order asked");
    const chunkGroups = new Map(bigChunks.flatMap((c) => c.groups).map((g) => [g.id, g]));
    const memberOf = new Set(customers.flatMap((g) => g.memberships.map((m) => m.groupId)));
    assert.deepEqual(new Set(groups.map((g) => g.id)), memberOf, "exactly the groups they are members of");
    for (const g of groups) assert.deepEqual(g, chunkGroups.get(g.id), g.id);
    assert.throws(() => generateCustomers(BIG, [10_001]), /customer index 10001 is not in a data set of 10000 customers/);
  });
});

describe("ids", () => {
  test("customers, contacts and groups have the documented forms, in generation order, without gaps in customers and contacts", () => {
    big.forEach((g, i) => assert.equal(g.customer.id, `C${String(i + 1).padStart(7, "0")}`));
    const contacts = big.flatMap((g) => g.contacts);
    contacts.forEach((k, i) => assert.equal(k.id, `K${String(i + 1).padStart(8, "0")}`));
    const groups = bigChunks.flatMap((c) => c.groups);
    for (const g of groups) assert.match(g.id, /^G\d{6}$/);
    assert.equal(new Set(groups.map((g) => g.id)).size, groups.length, "group ids are unique");
    const known = new Set(groups.map((g) => g.id));
    for (const g of big) for (const m of g.memberships) assert.ok(known.has(m.groupId), `${m.groupId} is written as a group`);
  });

  test("MSISDNs are unique 11-digit China Mobile numbers", () => {
    const numbers = big.map((g) => g.customer.msisdn);
    for (const m of numbers) assert.match(m, /^1(3[4-9]|47|5[0-27-9]|78|8[2-478]|9[58])\d{8}$/);
    assert.equal(new Set(numbers).size, numbers.length);
  });
});

describe("catalogue", () => {
  test("at least 60 tags in four level-1 families, each with a definition; a few not published", () => {
    assert.ok(TAGS.length >= 60, `${TAGS.length} tags`);
    assert.deepEqual([...new Set(TAGS.map((t) => t.level1))].sort(), ["Basic", "Life & Internet", "Telecom", "Value & Lifecycle"]);
    for (const t of TAGS) {
      assert.match(t.id, /^T\d{3}$/);
      assert.ok(t.definition.length >= 10, `${t.code} has a definition`);
      assert.ok(t.level2.length > 0 && t.name.length > 0);
    }
    assert.equal(new Set(TAGS.map((t) => t.code)).size, TAGS.length, "tag codes are unique");
    const hidden = TAGS.filter((t) => t.status !== "PUBLISHED");
    assert.ok(hidden.length >= 2 && hidden.length <= 3, `${hidden.length} unpublished tags`);
    assert.ok(hidden.every((t) => t.status === "DRAFT" || t.status === "OFFLINE"));
    for (const market of ["INDIVIDUAL", "FAMILY", "ENTERPRISE"]) assert.ok(TAGS.some((t) => t.market === market), market);
  });

  test("at least 40 products covering every kind, with consistent rules", () => {
    assert.ok(PRODUCTS.length >= 40, `${PRODUCTS.length} products`);
    for (const kind of PRODUCT_KINDS) assert.ok(PRODUCTS.some((p) => p.kind === kind), kind);
    const ids = new Set(PRODUCTS.map((p) => p.id));
    for (const l of [...REQUIRES, ...EXCLUDES]) assert.ok(ids.has(l.from) && ids.has(l.to));
    const plans = PRODUCTS.filter((p) => p.kind === "PLAN");
    assert.ok(Math.min(...plans.map((p) => p.monthlyFee)) <= 18 && Math.max(...plans.map((p) => p.monthlyFee)) >= 588);
    const fourG = plans.find((p) => p.network === "4G");
    const fiveG = plans.find((p) => p.network === "5G");
    assert.ok(fourG && fiveG && !canHold(fiveG.id, new Set([fourG.id])), "a 4G plan excludes a 5G plan");
    const iptv = PRODUCTS.find((p) => p.kind === "IPTV");
    const broadband = PRODUCTS.find((p) => p.kind === "BROADBAND");
    assert.ok(iptv && broadband && fourG);
    assert.ok(!canHold(iptv.id, new Set([fourG.id])) && canHold(iptv.id, new Set([fourG.id, broadband.id])), "IPTV requires broadband");
  });

  test("seven channels, one province with eight cities of three to five districts", () => {
    assert.deepEqual(CHANNELS.map((c) => c.code), [...CHANNEL_CODES]);
    assert.equal(REGIONS.filter((r) => r.region.level === "PROVINCE").length, 1);
    assert.equal(CITIES.length, 8);
    for (const c of CITIES) {
      const n = DISTRICTS.filter((d) => d.cityId === c.id).length;
      assert.ok(n >= 3 && n <= 5, `${c.name} has ${n} districts`);
    }
  });
});

describe("customers", () => {
  test("exactly one main plan; every holding's REQUIRES met and none EXCLUDES another; since before asOf", () => {
    for (const g of big) {
      const held = g.holdings.map((h) => h.productId);
      assert.equal(held.filter((id) => isMainPlan(productById(id))).length, 1, g.customer.id);
      assert.equal(new Set(held).size, held.length, "no product twice");
      for (const id of held) {
        const others = new Set(held.filter((x) => x !== id));
        assert.ok(canHold(id, others), `${g.customer.id} may hold ${productById(id).code}`);
      }
      for (const h of g.holdings) assert.ok(Date.parse(h.since) < asOf.getTime(), "held since before asOf");
    }
  });

  test("attributes in range and consistent", () => {
    for (const g of big) {
      const c = g.customer;
      assert.equal(c.valueTier, valueTierOf(c.arpu));
      assert.ok(c.creditScore >= 350 && c.creditScore <= 950);
      assert.ok(c.age >= 8 && c.age <= 95);
      assert.equal(c.usageMonth, "2026-11");
      assert.ok(c.dataQuotaMb > 0 && c.voiceQuotaMinutes >= 0);
      const main = g.holdings.map((h) => productById(h.productId)).find(isMainPlan);
      if (c.networkType === "5G") assert.equal(main?.network, "5G", "on 5G only with a 5G plan");
      assert.equal(new Set(g.preferredChannels).size, 3, "three distinct preferred channels");
      for (const kind of PRODUCT_KINDS) assert.ok(g.preference[kind] >= 0 && g.preference[kind] <= 1);
    }
    const arpus = big.map((g) => g.customer.arpu).sort((a, b) => a - b);
    const median = arpus[Math.floor(arpus.length / 2)]!;
    assert.ok(median >= 50 && median <= 75, `median ARPU ${median}`);
    const holdings = mean(big.map((g) => g.holdings.length));
    const tags = mean(big.map((g) => g.tags.length));
    const contacts = mean(big.map((g) => g.contacts.length));
    assert.ok(holdings >= 2.8 && holdings <= 5, `holdings per customer ${holdings}`);
    assert.ok(tags >= 8 && tags <= 16, `tags per customer ${tags}`);
    assert.ok(contacts >= 8 && contacts <= 15, `contacts per customer ${contacts}`);
  });

  test("about 3% on do-not-disturb, mostly the red list", () => {
    const dnd = big.filter((g) => g.customer.doNotDisturb);
    const share = dnd.length / big.length;
    assert.ok(share > 0.023 && share < 0.037, `DND share ${share}`);
    assert.ok(dnd.filter((g) => g.customer.dndList === "RED").length > dnd.length * 0.7);
    for (const g of big) assert.equal(g.customer.dndList !== null, g.customer.doNotDisturb);
  });

  test("tags agree with the attributes they are defined on", () => {
    const checks: Array<[string, (g: GeneratedCustomer) => boolean]> = [
      ["TEL_DATA_HEAVY", (g) => g.customer.avgDataMb3m >= 20 * 1024],
      ["TEL_DATA_OVER", (g) => g.customer.dataUsedMb > g.customer.dataQuotaMb],
      ["TEL_VOICE_HEAVY", (g) => g.customer.avgVoiceMinutes3m >= 1000],
      ["VAL_HIGH", (g) => g.customer.arpu >= 100],
      ["BAS_SILVER", (g) => g.customer.age >= 60],
      ["VAL_DND", (g) => g.customer.doNotDisturb],
      ["VAL_NEW", (g) => g.customer.tenureMonths <= 3],
      ["TEL_PLAN_5G", (g) => g.holdings.some((h) => isMainPlan(productById(h.productId)) && productById(h.productId).network === "5G")],
      ["TEL_BROADBAND", (g) => g.holdings.some((h) => productById(h.productId).kind === "BROADBAND")],
      ["LIF_CONTENT_MEMBER", (g) => g.holdings.some((h) => productById(h.productId).kind === "CONTENT")],
      ["TEL_ROAM_INTL", (g) => g.customer.roamingDays3m >= 1],
      ["OCC_ENTERPRISE", (g) => g.memberships.some((m) => m.kind === "ENTERPRISE")],
      ["FAM_HEAD", (g) => g.memberships.some((m) => m.kind === "FAMILY" && m.role === "HEAD")],
      ["VAL_COMPLAINER", (g) => g.contacts.filter((k) => k.kind === "COMPLAINT").length >= 2],
      ["LIF_SHORT_VIDEO", (g) => g.behaviour.shortVideoHours >= 45],
    ];
    for (const [code, holds] of checks) {
      let tagged = 0;
      for (const g of big) {
        assert.equal(hasTag(g, code), holds(g), `${code} on ${g.customer.id}`);
        if (holds(g)) tagged += 1;
      }
      assert.ok(tagged > 0, `some customer is ${code}`);
    }
    const lifecycle = tagByCode("VAL_LIFECYCLE").id;
    const tier = tagByCode("VAL_TIER").id;
    const names = { LOW: "低价值", MEDIUM: "中价值", HIGH: "高价值", PREMIUM: "顶级价值" } as const;
    for (const g of big) {
      assert.ok(g.tags.some((t) => t.tagId === lifecycle), "every customer has a lifecycle stage tag");
      assert.equal(g.tags.find((t) => t.tagId === tier)?.value, names[g.customer.valueTier]);
      for (const t of g.tags) assert.ok(t.score >= 0 && t.score <= 1);
    }
    assert.ok(big.some((g) => g.tags.some((t) => TAGS.find((x) => x.id === t.tagId)?.status !== "PUBLISHED")), "some carry unpublished tags");
  });

  test("families of two to five with one head, V-nets and enterprises with one head; family members call each other most", () => {
    const members = new Map<string, { role: string; id: string }[]>();
    for (const g of big) for (const m of g.memberships) members.set(m.groupId, [...(members.get(m.groupId) ?? []), { role: m.role, id: g.customer.id }]);
    const groups = bigChunks.flatMap((c) => c.groups);
    for (const grp of groups) {
      const list = members.get(grp.id) ?? [];
      assert.equal(list.filter((m) => m.role === "HEAD").length, 1, `${grp.id} has one head`);
      if (grp.kind === "FAMILY") assert.ok(list.length >= 2 && list.length <= 5, `${grp.id} has ${list.length} members`);
    }
    const families = groups.filter((g) => g.kind === "FAMILY").length;
    assert.ok(families > 500 && groups.some((g) => g.kind === "VNET") && groups.some((g) => g.kind === "ENTERPRISE"));
    const byId = new Map(big.map((g) => [g.customer.id, g]));
    for (const g of big) {
      const family = g.memberships.find((m) => m.kind === "FAMILY");
      if (!family || g.calls.length === 0) continue;
      const relatives = new Set((members.get(family.groupId) ?? []).map((m) => m.id));
      const out = g.calls.filter((c) => c.from === g.customer.id).sort((a, b) => b.perMonth - a.perMonth);
      if (out[0]) assert.ok(relatives.has(out[0].to), `${g.customer.id} calls family most`);
      for (const c of g.calls) assert.ok(byId.has(c.from) && byId.has(c.to));
    }
  });

  test("six months of contacts before asOf, ordered, on known channels, honouring do-not-disturb", () => {
    const { start, end } = contactWindow(asOf);
    const channels = new Set<string>(CHANNEL_CODES);
    for (const g of big) {
      let previous = 0;
      for (const k of g.contacts) {
        const t = Date.parse(k.at);
        assert.ok(t >= start && t < end, `${k.id} at ${k.at} is in the window`);
        assert.ok(t >= previous, "oldest first, ids ascending with time");
        previous = t;
        assert.equal(k.customerId, g.customer.id);
        assert.ok(channels.has(k.channel));
        assert.equal(k.outcome !== null, k.kind === "OFFER_RESPONSE");
        assert.ok(k.summary.length > 3);
        if (k.productId) assert.ok(k.summary.includes(productById(k.productId).name), `${k.summary} names its product`);
        if (g.customer.dndList === "RED") assert.ok(k.channel !== "SMS" && k.channel !== "OUTBOUND_CALL", "no outbound contact on the red list");
        if (g.customer.dndList === "BLACK") assert.ok(!k.kind.startsWith("OFFER"), "no offers on the black list");
        if (k.channel === "HOTLINE" || k.channel === "STORE" || k.channel === "OUTBOUND_CALL") {
          assert.ok(k.outcome !== "IGNORED" && k.outcome !== "CLICKED", "an offer made by a person is answered on the spot");
        }
      }
    }
    const kinds = new Set(big.flatMap((g) => g.contacts.map((k) => k.kind)));
    assert.equal(kinds.size, 5);
  });

  test("the hidden preference follows the attributes, so a recommender can learn it", () => {
    const heavy = big.filter((g) => g.customer.avgDataMb3m >= 0.9 * g.customer.dataQuotaMb);
    const light = big.filter((g) => g.customer.avgDataMb3m < 0.5 * g.customer.dataQuotaMb);
    assert.ok(mean(heavy.map((g) => g.preference.DATA_ADDON)) > mean(light.map((g) => g.preference.DATA_ADDON)) + 0.1);
    const oldPhone = big.filter((g) => g.customer.terminalAgeMonths >= 36);
    const newPhone = big.filter((g) => g.customer.terminalAgeMonths <= 12);
    assert.ok(mean(oldPhone.map((g) => g.preference.HANDSET)) > mean(newPhone.map((g) => g.preference.HANDSET)) + 0.1);
    const travellers = big.filter((g) => g.customer.roamingDays3m >= 3);
    const stayers = big.filter((g) => g.customer.roamingDays3m === 0);
    assert.ok(mean(travellers.map((g) => g.preference.ROAMING_PACK)) > mean(stayers.map((g) => g.preference.ROAMING_PACK)) + 0.1);
    // Offers answered by the customer: accepted or clicked ones lean towards what it likes.
    const answers = big.flatMap((g) => g.contacts.filter((k) => k.kind === "OFFER_RESPONSE" && k.productId).map((k) => ({ k, g })));
    const affinity = ({ k, g }: (typeof answers)[number]): number => g.preference[productById(k.productId!).kind];
    const positive = answers.filter((a) => a.k.outcome === "ACCEPTED" || a.k.outcome === "CLICKED").map(affinity);
    const negative = answers.filter((a) => a.k.outcome === "DECLINED").map(affinity);
    assert.ok(mean(positive) > mean(negative) + 0.05, `${mean(positive)} vs ${mean(negative)}`);
  });

  test("chunks are bounded and whole", () => {
    for (const c of generateChunks(opts(4_321), 2000)) {
      assert.ok(c.customers.length <= 2000);
      assert.equal(c.customers.length, c.last - c.first + 1);
    }
  });
});
