import type { UnifiedViewQuery } from "../schema/generated/operations";
import type { LibraryCustomerView, LibraryUnifiedViewResult } from "./library/unified-view";
import type { LoadTarget } from "./load";

type OurView = NonNullable<UnifiedViewQuery["customer"]>;

/** One aspect of the unified view, compared between the sides over the sampled customers. */
export interface AspectComparison {
  aspect: string;
  same: number;
  compared: number;
  /** The first difference seen, for the printout. */
  example: string | null;
}

/** What comparing the two sides' answers found. */
export interface Comparison {
  customers: number;
  aspects: AspectComparison[];
  /** Mean response size in bytes per side. */
  meanBytes: { ours: number; theirs: number };
}

type Check = (ours: OurView, theirs: LibraryCustomerView) => string | null;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const sameTime = (a: string, b: string): boolean => Date.parse(a) === Date.parse(b);
const diff = (what: string, ours: unknown, theirs: unknown): string => `${what}: ours ${JSON.stringify(ours)}, theirs ${JSON.stringify(theirs)}`;

/** The aspects the bench checks; each returns null when both sides agree, else the difference. */
const CHECKS: Array<[string, Check]> = [
  [
    "holdings (products, order, since)",
    (o, t) => {
      const ours = o.subscriptions.map((s) => s.product.id);
      const theirs = t.subscriptionsConnection.edges.map((e) => e.node.id);
      if (!same(ours, theirs)) return diff(`${o.id} product ids`, ours, theirs);
      const bad = o.subscriptions.findIndex((s, i) => !sameTime(s.since, t.subscriptionsConnection.edges[i]?.properties.since ?? ""));
      return bad < 0 ? null : diff(`${o.id} since #${bad}`, o.subscriptions[bad]?.since, t.subscriptionsConnection.edges[bad]?.properties.since);
    },
  ],
  [
    "tags (published, order, value/score/at)",
    (o, t) => {
      const ours = o.tags.map((x) => [x.tag.id, x.value, x.score, Date.parse(x.at)]);
      const theirs = t.tagsConnection.edges.map((e) => [e.node.id, e.properties.value, e.properties.score, Date.parse(e.properties.at)]);
      return same(ours, theirs) ? null : diff(`${o.id} tags`, ours.slice(0, 4), theirs.slice(0, 4));
    },
  ],
  [
    "preferred channels (order)",
    (o, t) => {
      const ours = o.preferredChannels.map((c) => c.code);
      const theirs = t.preferredChannelsConnection.edges.map((e) => e.node.code);
      return same(ours, theirs) ? null : diff(`${o.id} channels`, ours, theirs);
    },
  ],
  [
    "contacts totalCount and hasNextPage",
    (o, t) => {
      const ours = [o.contacts.totalCount, o.contacts.pageInfo.hasNextPage];
      const theirs = [t.contactsConnection.totalCount, t.contactsConnection.pageInfo.hasNextPage];
      return same(ours, theirs) ? null : diff(`${o.id} [totalCount, hasNextPage]`, ours, theirs);
    },
  ],
  [
    "20 newest contacts (ids, order, channel, product)",
    (o, t) => {
      const ours = o.contacts.edges.map((e) => [e.node.id, e.node.channel.code, e.node.product?.id ?? null]);
      const theirs = t.contactsConnection.edges.map((e) => [e.node.id, e.node.channel?.code ?? null, e.node.product?.id ?? null]);
      return same(ours, theirs) ? null : diff(`${o.id} first contacts`, ours.slice(0, 3), theirs.slice(0, 3));
    },
  ],
  [
    "circle: our members all among the library's ties",
    (o, t) => {
      const theirs = new Set([
        ...t.groups.flatMap((g) => g.members.map((m) => m.id)),
        ...t.callsConnection.edges.map((e) => e.node.id),
        ...t.calledByConnection.edges.map((e) => e.node.id),
      ]);
      const missing = o.circle.flatMap((m) => (m.customer ? [m.customer.id] : [])).filter((id) => !theirs.has(id));
      return missing.length === 0 ? null : `${o.id}: ${missing.length} of our ${o.circle.length} circle members not in the library's ${theirs.size} ties (${missing.slice(0, 3).join(", ")})`;
    },
  ],
  [
    "msisdn (ours masked for anonymous callers)",
    (o, t) => (o.msisdn === `${t.msisdn.slice(0, 3)}****${t.msisdn.slice(7)}` ? null : diff(`${o.id} msisdn`, o.msisdn, t.msisdn)),
  ],
];

/**
 * Asks both sides for the same customers, one at a time, and checks that they agree wherever
 * their schemas can express the same thing. Runs before the load so a wrong answer is known
 * before its speed is.
 */
export async function compareAnswers(ours: LoadTarget, theirs: LoadTarget, ids: readonly string[]): Promise<Comparison> {
  const aspects: AspectComparison[] = CHECKS.map(([aspect]) => ({ aspect, same: 0, compared: 0, example: null }));
  const bytes = { ours: 0, theirs: 0 };
  let customers = 0;
  for (const id of ids) {
    const [o, t] = await Promise.all([post<UnifiedViewQuery>(ours, id), post<LibraryUnifiedViewResult>(theirs, id)]);
    bytes.ours += o.bytes;
    bytes.theirs += t.bytes;
    const ourView = o.data.customer;
    const theirView = t.data.customers[0];
    if (!ourView || !theirView) throw new Error(`customer ${id}: ours ${ourView ? "found" : "not found"}, the library's ${theirView ? "found" : "not found"}`);
    customers += 1;
    CHECKS.forEach(([, check], i) => {
      const a = aspects[i];
      if (!a) return;
      const problem = check(ourView, theirView);
      a.compared += 1;
      if (problem) a.example ??= problem;
      else a.same += 1;
    });
  }
  return { customers, aspects, meanBytes: { ours: customers ? bytes.ours / customers : 0, theirs: customers ? bytes.theirs / customers : 0 } };
}

async function post<T>(target: LoadTarget, id: string): Promise<{ data: T; bytes: number }> {
  const res = await fetch(target.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json", ...target.headers }, body: target.body(id) });
  const text = await res.text();
  const problem = target.check(res.status, text, id);
  if (problem) throw new Error(`${target.name} failed for ${id}: ${problem}`);
  const parsed = JSON.parse(text) as { data: T };
  return { data: parsed.data, bytes: Buffer.byteLength(text) };
}
