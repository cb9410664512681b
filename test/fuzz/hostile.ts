import type { Rng } from "../../seeds/random";

/**
 * The hostile values the fuzzer puts into arguments, by category. Each is a JSON value (sent as a
 * variable, or printed as a GraphQL literal): what a careless or malicious client could send.
 *
 * None of them contains a word the classifier looks for in answers (stack frames, driver
 * messages, "undefined"), so a response that echoes the input never reads as a leak; the
 * classifier also ignores any marker the request itself contained.
 */

/** Cypher that would do damage if it reached a statement as text instead of as a parameter. */
export const CYPHER_INJECTIONS: readonly string[] = [
  "' OR 1=1 //",
  '" OR 1=1 //',
  "}) MATCH (n) DETACH DELETE n //",
  "C0000001'}) MATCH (n) DETACH DELETE n //",
  "`) MATCH (n) DETACH DELETE n //",
  "$param",
  "$id",
  "{id: $id}",
  "1 OR 1=1",
  "') RETURN 1 UNION MATCH (n) RETURN n //",
  "CALL dbms.components() YIELD name RETURN name",
  "LOAD CSV FROM 'http://169.254.169.254/latest/meta-data/' AS l RETURN l",
  "\\u0027 OR 1=1 //",
  "x` SET n.hacked = true //",
  "*/ MATCH (n) DETACH DELETE n /*",
  "C0000001\n MATCH (n) DETACH DELETE n",
];

/** Lua and Redis protocol text, for everything that reaches a Redis key, a script or a stream. */
export const LUA_INJECTIONS: readonly string[] = [
  "redis.call('FLUSHALL')",
  "]] redis.call('FLUSHALL') --[[",
  "'); redis.call('FLUSHALL'); --",
  "*1\r\n$8\r\nFLUSHALL\r\n",
  "\r\nFLUSHALL\r\n",
  "{a}:b",
  "events:*",
  "*",
  "os.exit()",
  "loadstring('return 1')()",
  "string.rep('x', 1e9)",
];

/** Text at the edges of Unicode: lone surrogates, direction marks, NUL, invisible characters. */
export const UNICODE_ODDITIES: readonly string[] = [
  "\uD800",
  "\uDFFF",
  "a\uD800b",
  "\u202Eevil\u202C",
  "\u200F\u200E",
  "\u0000",
  "C0000001\u0000",
  "\uFEFFC0000001",
  "\u200B",
  "e\u0301".repeat(2000),
  "\u2028\u2029",
  "😀".repeat(100),
  "\uFFFF\uFFFE",
  "Ｃ０００００００１",
  "\u001B[2J\u001B[H",
  "../../../../etc/passwd",
  "%00%ff",
  "<script>alert(1)</script>",
];

/** Numbers at the edges: what JSON can carry, and their text look-alikes. */
export const BOUNDARY_NUMBERS: readonly unknown[] = [
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  -1,
  0,
  -0,
  1e308,
  -1e308,
  5e-324,
  2147483648,
  -2147483649,
  0.5,
  "NaN",
  "Infinity",
  "-Infinity",
  "1e309",
  "0x10",
  "1_000",
  " 1",
  "9007199254740993",
];

/** Values of the wrong JSON type, whatever the argument expects. */
export const WRONG_TYPES: readonly unknown[] = [0, 1.5, -7, true, false, "", "x", [], [1, 2], {}, { a: 1 }, [{}], [[]], "true", "{}", "[]"];

/**
 * Objects that try to reach prototypes. Built with JSON.parse so `__proto__` is an own key (an
 * object literal would set the prototype instead) and JSON.stringify sends it as written.
 */
export function protoObjects(): unknown[] {
  return [
    JSON.parse('{"__proto__": {"fuzzPolluted": "yes", "percent": 50, "agentId": "test-agent", "isAdmin": true}}'),
    JSON.parse('{"constructor": {"prototype": {"fuzzPolluted": "yes", "percent": 50}}}'),
    JSON.parse('{"__proto__": {"roles": ["ADMIN"]}, "constructor": {"prototype": {"roles": ["ADMIN"]}}, "prototype": {"x": 1}}'),
    JSON.parse('{"hasOwnProperty": 1, "toString": "x", "valueOf": {}, "__defineGetter__": null}'),
    JSON.parse('{"__proto__": null}'),
  ];
}

/** The hostile categories the field-level attacks draw from. */
export const VALUE_ATTACKS = [
  "wrong-type",
  "null",
  "huge-string",
  "huge-list",
  "boundary-number",
  "cypher-injection",
  "lua-injection",
  "unicode",
  "proto-keys",
  "deep-json",
] as const;
export type ValueAttack = (typeof VALUE_ATTACKS)[number];

/** express.json's limit on the gateway: a body above it is refused before GraphQL sees it. */
export const BODY_LIMIT = 1024 * 1024;

/**
 * A hostile value of `attack`'s category. `element` is a short valid value of the argument's
 * element type, used to fill huge lists (so they stay under the body limit when they can).
 */
export function hostileValue(attack: ValueAttack, rng: Rng, element: unknown): unknown {
  switch (attack) {
    case "wrong-type":
      return rng.pick(WRONG_TYPES);
    case "null":
      return null;
    case "huge-string":
      // Just above the body limit (refused with 413), or just under it (parsed, validated).
      return rng.chance(0.4) ? "A".repeat(BODY_LIMIT) : rng.pick(["A", "ä", "'", "("]).repeat(rng.pick([100_000, 300_000]));
    case "huge-list": {
      const item = typeof element === "string" && element.length <= 12 ? element : typeof element === "number" || typeof element === "boolean" ? element : "x";
      return new Array(100_000).fill(item);
    }
    case "boundary-number":
      return rng.pick(BOUNDARY_NUMBERS);
    case "cypher-injection":
      return rng.pick(CYPHER_INJECTIONS);
    case "lua-injection":
      return rng.pick(LUA_INJECTIONS);
    case "unicode":
      return rng.pick(UNICODE_ODDITIES);
    case "proto-keys":
      return rng.pick(protoObjects());
    case "deep-json":
      return deepJson(rng.pick([1_000, 10_000, 100_000]), rng.chance(0.5));
  }
}

/**
 * A value given as text, for values JSON.stringify cannot write (it recurses, and overflows the
 * stack near 10,000 levels; JSON.parse on the gateway does not): `json` goes into a body as is,
 * `literal` into a document.
 */
export class RawValue {
  constructor(
    readonly json: string,
    readonly literal: string,
  ) {}
}

/** A value nested `depth` levels deep: lists in lists, or objects in objects, as text. */
export function deepJson(depth: number, lists: boolean): RawValue {
  return lists
    ? new RawValue(`${"[".repeat(depth)}1${"]".repeat(depth)}`, `${"[".repeat(depth)}1${"]".repeat(depth)}`)
    : new RawValue(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`, `${"{a:".repeat(depth)}1${"}".repeat(depth)}`);
}

/** JSON text of `value`, with {@link RawValue}s written as their text (recursive only over what the generator built). */
export function toJsonText(value: unknown): string {
  if (value instanceof RawValue) return value.json;
  if (Array.isArray(value)) {
    // Large lists of plain values (100,000 ids) do not need the walk.
    if (value.length > 1000 && !value.some((v) => v instanceof RawValue || (typeof v === "object" && v !== null))) return JSON.stringify(value);
    return `[${value.map((v) => (v === undefined ? "null" : toJsonText(v))).join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const parts: string[] = [];
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) parts.push(`${JSON.stringify(key)}:${toJsonText(v)}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
