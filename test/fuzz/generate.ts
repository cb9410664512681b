import { gzipSync } from "node:zlib";
import { getNamedType, getNullableType, isInputObjectType, isListType, type GraphQLInputType, type GraphQLSchema } from "graphql";
import { rngFor, type Rng } from "../../seeds/random";
import { hostileValue, RawValue, toJsonText, VALUE_ATTACKS, type ValueAttack } from "./hostile";
import { argPaths, Baseline, printLiteral, rootFields, selectionFor, typeText, type ArgPath, type FuzzTargets, type RootField } from "./schema-walk";

/**
 * The fuzz cases: deterministic from (seed, index), so case 1234 of seed 1 is the same request on
 * every run and can be replayed alone (`npm run fuzz -- --seed 1 --only 1234`).
 *
 * Three families: one hostile value at a time in one argument (or input field) of one root
 * operation, everything else valid; hostile documents (deep, wide, self-referencing); and hostile
 * transport (bodies, encodings, headers, methods, and the graphql-ws protocol out of order).
 */

/** The single-role principals a case may act as (their tokens: ./run.ts makeTokens). */
export const ROLE_MODES = ["agent", "app", "marketer", "approver", "service", "admin"] as const;

/**
 * Who a case claims to be: the all-roles operator, one role of {@link ROLE_MODES}, the app
 * principal that floods (an APP of its own subject, so its spent budget does not hold up the
 * other cases' app), nobody, or someone the gateway must not believe.
 */
export type AuthMode = "operator" | (typeof ROLE_MODES)[number] | "flood" | "none" | "forged" | "garbage" | "alg-none" | "expired";

export const DOCUMENT_ATTACKS = [
  "huge-list-literal",
  "deep-nesting",
  "deep-nesting-wide",
  "deep-selection",
  "deep-literal",
  "alias-bomb",
  "fragment-bomb",
  "fragment-cycle",
  "directive-flood",
  "paren-bomb",
  "operation-name",
  "introspection",
  "batch",
] as const;

export const HTTP_ATTACKS = ["malformed-json", "invalid-utf8", "content-type", "odd-get", "huge-header", "bad-token", "odd-method", "rate-flood"] as const;

export const WS_ATTACKS = [
  "ws-before-init",
  "ws-duplicate-init",
  "ws-unknown-type",
  "ws-invalid-json",
  "ws-oversized-frame",
  "ws-many-subscribes",
  "ws-reused-id",
  "ws-bad-token",
  "ws-bad-message",
] as const;

export type AttackKind = ValueAttack | (typeof DOCUMENT_ATTACKS)[number] | (typeof HTTP_ATTACKS)[number] | (typeof WS_ATTACKS)[number];

/** Every attack kind, in the order the first cases of a run take them (so even a short run has each). */
export const ATTACK_KINDS: readonly AttackKind[] = [...VALUE_ATTACKS, ...DOCUMENT_ATTACKS, ...HTTP_ATTACKS, ...WS_ATTACKS];

/**
 * Attacks left out of the `npm test` slice (and of `npm run fuzz -- --skip-needs-limits`) until a
 * limit answers them cheaply. Empty since the query limits are in (src/server/limits.ts,
 * src/auth/cost.ts): depth answers deep-nesting-wide, tokens huge-list-literal, alias-bomb and
 * directive-flood, WS_MAX_PAYLOAD_BYTES ws-oversized-frame (1009), WS_MAX_SUBSCRIPTIONS
 * ws-many-subscribes. A new attack kind that needs a limit not yet built goes here meanwhile.
 */
export const NEEDS_LIMITS: readonly AttackKind[] = [];

/** How often each kind comes up after the first pass (relative). Heavy ones are rarer. */
const WEIGHTS: Readonly<Record<AttackKind, number>> = {
  "wrong-type": 14,
  null: 6,
  "huge-string": 3,
  "huge-list": 3,
  "boundary-number": 8,
  "cypher-injection": 10,
  "lua-injection": 6,
  unicode: 8,
  "proto-keys": 5,
  "deep-json": 2,
  "huge-list-literal": 1,
  "deep-nesting": 1,
  "deep-nesting-wide": 0.3,
  "deep-selection": 1,
  "deep-literal": 1,
  "alias-bomb": 0.3,
  "fragment-bomb": 0.3,
  "fragment-cycle": 1,
  "directive-flood": 0.5,
  "paren-bomb": 1.5,
  "operation-name": 1,
  introspection: 0.5,
  batch: 0.5,
  "malformed-json": 3,
  "invalid-utf8": 2,
  "content-type": 2,
  "odd-get": 2,
  "huge-header": 1,
  "bad-token": 2,
  "odd-method": 1,
  "rate-flood": 0.3,
  "ws-before-init": 1,
  "ws-duplicate-init": 1,
  "ws-unknown-type": 1,
  "ws-invalid-json": 1,
  "ws-oversized-frame": 0.3,
  "ws-many-subscribes": 0.2,
  "ws-reused-id": 1,
  "ws-bad-token": 1,
  "ws-bad-message": 2,
};

interface CaseBase {
  index: number;
  attack: AttackKind;
  /** The root operation aimed at ("Query.customer"), or "(document)" / "(transport)". */
  operation: string;
  /** One line saying what was sent, for the report. */
  summary: string;
}

export interface HttpCase extends CaseBase {
  transport: "http";
  auth: AuthMode;
  method: string;
  /** Path and query string, e.g. "/graphql?query=…". */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /**
   * A check of the parsed answer beyond the generic classification (say, an event whose payload
   * only inherits its required field must be rejected): why the answer is wrong, or null.
   */
  check?: (answer: GraphQLAnswer) => string | null;
  /** Node's HTTP layer may answer this one without a GraphQL body (431 for headers too large). */
  rawAnswerOk?: boolean;
  /** Sent this many times at once (a flood); every answer is classified, and the worst one counts. */
  repeat?: number;
}

export interface WsCase extends CaseBase {
  transport: "ws";
  /** The connection_init's authorization; "skip" sends no connection_init at all. */
  auth: AuthMode | "skip";
  /** connection_init payload to send instead of the authorization one. */
  initPayload?: unknown;
  /** Frames sent after connection_ack (or at once when auth is "skip" or init fails). */
  frames: Array<string | Buffer>;
  /** Subscribe ids that must get an answer (error or complete) before the case is over. */
  awaitIds: string[];
  /** The close codes the protocol calls for here; anything else (or no close) is a failure. */
  expectClose?: number[];
  check?: (answers: WsAnswer[]) => string | null;
}

export type FuzzCase = HttpCase | WsCase;

export interface GraphQLAnswer {
  data?: unknown;
  errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }>;
}

export interface WsAnswer {
  id?: string;
  type: string;
  payload?: unknown;
}

export interface GenerateOptions {
  seed: number;
  targets: FuzzTargets;
  /** Attack kinds to leave out (the `npm test` slice leaves out NEEDS_LIMITS). */
  skip?: ReadonlySet<AttackKind>;
}

/** Makes case `index` of a run: the same for the same seed, index, schema and targets. */
export class CaseGenerator {
  private readonly roots: RootField[];
  private readonly kinds: AttackKind[];
  private readonly weights: number[];

  constructor(
    schema: GraphQLSchema,
    private readonly opts: GenerateOptions,
  ) {
    this.roots = rootFields(schema);
    this.kinds = ATTACK_KINDS.filter((k) => !opts.skip?.has(k));
    this.weights = this.kinds.map((k) => WEIGHTS[k]);
  }

  /**
   * Case `index`: the first cases take each kind once, then kinds come by weight. The kind and the
   * content are drawn from separate streams, and a skipped kind is replaced by a draw of its own,
   * so a case is the same whatever else is skipped.
   */
  make(index: number): FuzzCase {
    const pick = rngFor(this.opts.seed, 0xf022, index);
    const first = index < ATTACK_KINDS.length ? ATTACK_KINDS[index] : undefined;
    const drawn = pick.weighted(ATTACK_KINDS, ATTACK_KINDS.map((k) => WEIGHTS[k]));
    const attack = first && !this.opts.skip?.has(first) ? first : this.opts.skip?.has(drawn) ? pick.weighted(this.kinds, this.weights) : drawn;
    const make = new CaseMaker(rngFor(this.opts.seed, 0xc0de, index), index, attack, this.roots, this.opts.targets);
    return make.build();
  }

  *cases(count: number): Generator<FuzzCase> {
    for (let i = 0; i < count; i++) yield this.make(i);
  }
}

const JSON_HEADERS = { "content-type": "application/json", accept: "application/graphql-response+json, application/json" };

/** Selections for fields whose answer a check reads. */
const SELECTIONS: Record<string, string> = {
  "Mutation.ingestEvents": "{ accepted duplicates rejected events { index id status error { code field message } } }",
  "Query.customer": "{ id name msisdn }",
  "Query.nextBestOffers": "{ id score reasons { text } }",
};

class CaseMaker {
  private readonly baseline: Baseline;
  constructor(
    private readonly rng: Rng,
    private readonly index: number,
    private readonly attack: AttackKind,
    private readonly roots: RootField[],
    private readonly targets: FuzzTargets,
  ) {
    this.baseline = new Baseline(targets, index);
  }

  build(): FuzzCase {
    const a = this.attack;
    if ((VALUE_ATTACKS as readonly string[]).includes(a)) return this.valueCase(a as ValueAttack);
    switch (a) {
      case "huge-list-literal":
        return this.valueCase("huge-list", "literal");
      case "deep-nesting":
        return this.documentCase(this.deepNesting(1, 20), "customer.circle(limit: 1) nested 20 levels", "Query.customer");
      case "deep-nesting-wide":
        return this.rng.chance(0.5)
          ? this.documentCase(this.deepNesting(10, 20), "customer.circle(limit: 10) nested 20 levels", "Query.customer")
          : this.documentCase(`{ products { id${" upgradesTo { id".repeat(20)}${" }".repeat(20)} } }`, "products.upgradesTo nested 20 levels", "Query.products");
      case "deep-selection": {
        const depth = this.rng.pick([100, 1_000, 10_000, 100_000]);
        return this.documentCase(`{ customer(id: "${this.customer()}") { id region {${" parent {".repeat(depth)} id${" }".repeat(depth)} } } }`, `region.parent nested ${depth} levels`, "Query.customer");
      }
      case "deep-literal": {
        const depth = this.rng.pick([1_000, 10_000, 100_000]);
        const lists = this.rng.chance(0.5);
        return lists
          ? this.documentCase(`{ customers(ids: ${"[".repeat(depth)}"C0000001"${"]".repeat(depth)}) { id } }`, `a list literal nested ${depth} levels`, "Query.customers")
          : this.documentCase(
              `mutation { ingestEvents(events: [{id: "fz-${this.targets.runTag}-${this.index}", customerId: "${this.customer()}", type: "DATA_USAGE", payload: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}}]) { rejected } }`,
              `a JSON literal nested ${depth} levels in EventInput.payload`,
              "Mutation.ingestEvents",
            );
      }
      case "alias-bomb":
        return this.aliasBomb();
      case "fragment-bomb":
        return this.fragmentBomb();
      case "fragment-cycle":
        return this.fragmentCycle();
      case "directive-flood":
        return this.directiveFlood();
      case "paren-bomb":
        return this.parenBomb();
      case "operation-name":
        return this.operationName();
      case "introspection":
        return this.introspection();
      case "batch": {
        const n = this.rng.pick([2, 100, 1000]);
        const body = JSON.stringify(new Array(n).fill({ query: "{ channels { code } }" }));
        return this.http({ summary: `a batch of ${n} operations in one JSON array`, operation: "Query.channels", body: Buffer.from(body) });
      }
      case "malformed-json":
        return this.malformedJson();
      case "invalid-utf8":
        return this.invalidUtf8();
      case "content-type":
        return this.contentType();
      case "odd-get":
        return this.oddGet();
      case "huge-header":
        return this.hugeHeader();
      case "bad-token":
        return this.badToken();
      case "odd-method":
        return this.oddMethod();
      case "rate-flood":
        return this.rateFlood();
      case "ws-before-init":
        return this.ws({
          summary: "subscribe before connection_init",
          auth: "skip",
          frames: [...(this.rng.chance(0.5) ? [msg({ type: "ping" })] : []), this.subscribeFrame("1", "{ channels { code } }")],
          expectClose: [4401],
        });
      case "ws-duplicate-init":
        return this.ws({ summary: "a second connection_init", frames: [msg({ type: "connection_init", payload: {} })], expectClose: [4429] });
      case "ws-unknown-type":
        return this.wsUnknownType();
      case "ws-invalid-json":
        return this.wsInvalidJson();
      case "ws-oversized-frame":
        return this.wsOversized();
      case "ws-many-subscribes": {
        const n = 1000;
        const frames = Array.from({ length: n }, (_, i) => this.subscribeFrame(`s${i}`, `subscription { liveOffers(customerId: "${this.customer()}") { cursor } }`));
        return this.ws({ summary: `${n} subscriptions on one socket`, operation: "Subscription.liveOffers", frames });
      }
      case "ws-reused-id": {
        const sub = this.subscribeFrame("same", `subscription { liveOffers(customerId: "${this.customer()}") { cursor } }`);
        return this.ws({ summary: "two subscribes with the same id", operation: "Subscription.liveOffers", frames: [sub, sub], expectClose: [4409] });
      }
      case "ws-bad-token":
        return this.wsBadToken();
      case "ws-bad-message":
        return this.wsBadMessage();
    }
    throw new Error(`no generator for attack ${a}`);
  }

  // ---- one hostile value in one argument ----

  /**
   * `delivery`: a 100,000-item list goes as a variable unless asked for as a literal (kind
   * huge-list-literal: a token flood only a token limit answers cheaply).
   */
  private valueCase(attack: ValueAttack, delivery?: "literal"): FuzzCase {
    const rng = this.rng;
    const candidates = this.roots;
    const rf = rng.pick(candidates);
    const paths = argPaths(rf);
    const preferred = paths.filter((p) => prefers(attack, p));
    const target: ArgPath | null = preferred.length > 0 && rng.chance(0.8) ? rng.pick(preferred) : paths.length > 0 ? rng.pick(paths) : null;
    let args = this.baseline.argsFor(rf);
    let hostile: unknown;
    let where: string;
    if (target) {
      const element = this.elementBaseline(rf, target);
      hostile = hostileValue(attack, rng, element);
      if (attack === "proto-keys" && element !== null && typeof element === "object" && !Array.isArray(element) && rng.chance(0.6)) {
        // Prototype keys beside valid fields, so the object passes everything else. Merged as text:
        // Object.assign would run the __proto__ setter, which is the very thing under test.
        const keys = toJsonText(hostile).slice(1, -1);
        const valid = toJsonText(element).slice(1, -1);
        hostile = JSON.parse(`{${[keys, valid].filter((t) => t.length > 0).join(",")}}`);
      }
      args = this.withHostile(rf, args, target, hostile);
      where = target.path.join(".");
    } else {
      hostile = hostileValue(attack, rng, "x");
      args = { fuzz: hostile };
      where = "fuzz (an argument the field does not have)";
    }
    const transport = rf.root === "Subscription" ? "ws" : rng.chance(0.12) ? "ws" : "http";
    const inline = delivery === "literal" ? true : attack === "huge-list" ? false : rng.chance(0.3);
    const { query, variables } = this.operation(rf, args, inline);
    let variablesText = toJsonText(variables);
    if (attack === "proto-keys" && !inline && rng.chance(0.3)) {
      // Prototype keys in the variables object itself.
      variablesText = variablesText === "{}" ? '{"__proto__":{"fuzzPolluted":"yes"}}' : variablesText.replace(/^\{/, '{"__proto__":{"fuzzPolluted":"yes"},"constructor":{"prototype":{"fuzzPolluted":"yes"}},');
    }
    const summary = `${rf.coordinate}: ${where} = ${describeValue(hostile)} (${inline ? "literal" : "variable"}, ${transport})`;
    const check = this.checkFor(rf, target, attack, hostile);
    if (transport === "ws") {
      const id = "v1";
      const frame = `{"id":"${id}","type":"subscribe","payload":{"query":${JSON.stringify(query)},"variables":${variablesText}}}`;
      return this.ws({ summary, operation: rf.coordinate, frames: [frame], awaitIds: rf.root === "Subscription" ? [] : [id], check: check ? wsCheck(check) : undefined, auth: this.somePrincipal() });
    }
    const body = Buffer.from(`{"query":${JSON.stringify(query)},"variables":${variablesText}}`);
    return this.http({ summary, operation: rf.coordinate, body, check, auth: this.someAuth() });
  }

  /** A short valid value of what the path holds (an item, for a list). */
  private elementBaseline(rf: RootField, target: ArgPath): unknown {
    const nullable = getNullableType(target.type) as GraphQLInputType;
    const inner = isListType(nullable) ? nullable.ofType : nullable;
    const named = getNamedType(inner);
    const name = String(target.path.at(-1));
    if (isInputObjectType(named)) return this.baseline.objectFor(named.name, rf.name);
    return this.baseline.valueFor(inner as GraphQLInputType, name, rf.name);
  }

  private withHostile(rf: RootField, args: Record<string, unknown>, target: ArgPath, value: unknown): Record<string, unknown> {
    const path = target.path;
    const set = (container: unknown, depth: number, type: GraphQLInputType | null): unknown => {
      const key = path[depth] as string | number;
      let base = container;
      if (base === undefined || base === null) {
        // Make the container from the baseline of its type, so the rest is valid.
        const named = type ? getNamedType(type) : null;
        base = typeof key === "number" ? [] : named && isInputObjectType(named) ? this.baseline.objectFor(named.name, rf.name) : {};
      }
      const copy = (Array.isArray(base) ? [...(base as unknown[])] : { ...(base as Record<string, unknown>) }) as Record<string | number, unknown>;
      if (depth === path.length - 1) {
        copy[key] = value;
        return copy;
      }
      const childType = childTypeOf(type, key);
      copy[key] = set(copy[key], depth + 1, childType);
      return copy;
    };
    const first = path[0] as string;
    if (path.length === 1) return { ...args, [first]: value };
    const arg = rf.field.args.find((a) => a.name === first);
    const current = args[first] ?? (arg ? this.baseline.argValue(rf, arg) : undefined);
    return { ...args, [first]: set(current, 1, arg ? arg.type : null) };
  }

  /** The document and variables for `rf` with `args`, as variables or as literals. */
  private operation(rf: RootField, args: Record<string, unknown>, inline: boolean): { query: string; variables: Record<string, unknown> } {
    const op = rf.root === "Query" ? "query" : rf.root === "Mutation" ? "mutation" : "subscription";
    const selection = SELECTIONS[rf.coordinate] ?? selectionFor(rf.field.type);
    const argTypes = new Map(rf.field.args.map((a) => [a.name, a.type]));
    if (inline) {
      const list = Object.entries(args).map(([name, value]) => `${name}: ${printLiteral(value, argTypes.get(name) ?? null)}`);
      return { query: `${op} Fuzz { ${rf.name}${list.length ? `(${list.join(", ")})` : ""} ${selection} }`, variables: {} };
    }
    const defs: string[] = [];
    const uses: string[] = [];
    const variables: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(args)) {
      const type = argTypes.get(name);
      // An argument the field does not have goes as a JSON variable too (the document stays small).
      defs.push(`$${name}: ${type ? typeText(type) : "JSON"}`);
      uses.push(`${name}: $${name}`);
      variables[name] = value;
    }
    return {
      query: `${op} Fuzz${defs.length ? `(${defs.join(", ")})` : ""} { ${rf.name}${uses.length ? `(${uses.join(", ")})` : ""} ${selection} }`,
      variables,
    };
  }

  /** Semantic checks where the right answer is known. */
  private checkFor(rf: RootField, target: ArgPath | null, attack: ValueAttack, hostile: unknown): HttpCase["check"] {
    const ownPercent = hostile !== null && typeof hostile === "object" && Object.hasOwn(hostile, "percent");
    if (rf.coordinate === "Mutation.ingestEvents" && target && String(target.path.at(-1)) === "payload" && attack === "proto-keys" && !ownPercent) {
      // A DATA_USAGE payload whose percent is only inherited (or only under a prototype key) has no percent.
      return (answer) => {
        const events = (answer.data as { ingestEvents?: { events?: Array<{ status?: string }> } } | null | undefined)?.ingestEvents?.events;
        if (!events) return null;
        return events.every((e) => e.status === "REJECTED") ? null : `an event whose payload has no own "percent" was ${events.map((e) => e.status).join(", ")}, not REJECTED`;
      };
    }
    return undefined;
  }

  // ---- hostile documents ----

  private documentCase(query: string, summary: string, operation = "(document)", variables: unknown = {}): FuzzCase {
    const overWs = this.rng.chance(0.15);
    if (overWs) {
      const frame = `{"id":"d1","type":"subscribe","payload":{"query":${JSON.stringify(query)},"variables":${toJsonText(variables)}}}`;
      return this.ws({ summary: `${summary} (ws)`, operation, frames: [frame], awaitIds: ["d1"] });
    }
    return this.http({ summary, operation, body: Buffer.from(`{"query":${JSON.stringify(query)},"variables":${toJsonText(variables)}}`) });
  }

  private deepNesting(limit: number, levels: number): string {
    const arg = limit === 10 ? "" : `(limit: ${limit})`;
    return `{ customer(id: "${this.customer()}") { id${` circle${arg} { strength customer { id`.repeat(levels)}${" } }".repeat(levels)} } }`;
  }

  private aliasBomb(): FuzzCase {
    const n = 10_000;
    const variant = this.rng.int(0, 3);
    const one = [
      (i: number) => `a${i}: channels { code }`,
      (i: number) => `a${i}: customer(id: "${this.customer()}") { id name }`,
      (i: number) => `a${i}: __typename`,
      (i: number) => `a${i}: nextBestOffers(customerId: "${this.customer()}", channel: APP) { id }`,
    ][variant] as (i: number) => string;
    const fields = Array.from({ length: n }, (_, i) => one(i)).join(" ");
    return this.documentCase(`{ ${fields} }`, `${n} aliases (${["channels", "customer", "__typename", "nextBestOffers"][variant]})`, "(document)");
  }

  private fragmentBomb(): FuzzCase {
    const levels = this.rng.pick([20, 30]);
    const width = this.rng.pick([2, 3]);
    const defs: string[] = [];
    for (let i = 0; i < levels; i++) defs.push(`fragment F${i} on Query { ${Array.from({ length: width }, () => `...F${i + 1}`).join(" ")} }`);
    defs.push(`fragment F${levels} on Query { channels { code } products { id } }`);
    return this.documentCase(`query { ...F0 } ${defs.join(" ")}`, `fragments spreading each other ${width}^${levels} times`);
  }

  private fragmentCycle(): FuzzCase {
    const variant = this.rng.int(0, 2);
    const docs = [
      "query { ...A } fragment A on Query { channels { code } ...B } fragment B on Query { ...A }",
      "query { ...A } fragment A on Query { ...A }",
      `query { customer(id: "${this.customer()}") { ...C } } fragment C on Customer { id circle { customer { ...C } } }`,
    ];
    return this.documentCase(docs[variant] as string, ["fragments spreading each other in a cycle", "a fragment spreading itself", "a cycle through a nested selection"][variant] as string);
  }

  private directiveFlood(): FuzzCase {
    const n = this.rng.pick([1_000, 10_000]);
    const variant = this.rng.int(0, 2);
    const directive = ["@include(if: true) ", "@fuzz ", "@skip(if: false) @include(if: true) "][variant] as string;
    return this.documentCase(`{ channels ${directive.repeat(n)}{ code } }`, `${n} directives (${directive.trim()}) on one field`, "Query.channels");
  }

  private parenBomb(): FuzzCase {
    const variant = this.rng.int(0, 5);
    const expressions = [
      () => `${"(".repeat(100_000)}arpu > 1${")".repeat(100_000)}`,
      () => "(".repeat(100_000),
      () => `${"NOT ".repeat(50_000)}doNotDisturb`,
      () => new Array(20_000).fill("arpu > 1").join(" AND "),
      () => new Array(20_000).fill("arpu > 1").join(" OR "),
      () => `holds(${"(".repeat(100_000)}`,
    ];
    const expression = (expressions[variant] as () => string)();
    const what = ["100,000 nested parentheses", "100,000 unclosed parentheses", "50,000 NOTs", "20,000 ANDs", "20,000 ORs", "holds( with 100,000 parentheses"][variant] as string;
    const where = this.rng.int(0, 2);
    if (where === 0) {
      const input = { code: `FUZZ_${this.targets.runTag}_${this.index}`, name: "Fuzz", expression };
      return this.documentCase("mutation ($input: SegmentInput!) { createSegment(input: $input) { id } }", `createSegment expression: ${what}`, "Mutation.createSegment", { input });
    }
    if (where === 1) {
      return this.documentCase(
        "mutation ($id: ID!, $input: SegmentInput!) { updateSegment(id: $id, input: $input) { id } }",
        `updateSegment expression: ${what}`,
        "Mutation.updateSegment",
        { id: this.targets.segmentId, input: { expression } },
      );
    }
    const input = { ...this.baseline.objectFor("StrategyInput", "createStrategy"), channels: ["APP"], trigger: { eventType: "DATA_USAGE", condition: expression.replace(/arpu/g, "event.percent") } };
    return this.documentCase("mutation ($input: StrategyInput!) { createStrategy(input: $input) { id } }", `createStrategy trigger condition: ${what}`, "Mutation.createStrategy", { input });
  }

  private operationName(): FuzzCase {
    const two = "query A { channels { code } } query B { products { id } }";
    const variants: Array<[string, object]> = [
      ["two operations, no operationName", { query: two }],
      ["an operationName the document does not have", { query: two, operationName: "C" }],
      ["operationName of 100,000 characters", { query: two, operationName: "A".repeat(100_000) }],
      ["operationName that is a number", { query: two, operationName: 5 }],
      ["operationName that is an object", { query: two, operationName: { __proto__: null, a: 1 } }],
      ["a mutation named as the query", { query: "query A { channels { code } } mutation A { retryParkedEvents(parkedIds: []) }", operationName: "A" }],
      ["an anonymous and a named operation", { query: "{ channels { code } } query B { products { id } }" }],
    ];
    const [summary, body] = this.rng.pick(variants);
    return this.http({ summary, body: Buffer.from(JSON.stringify(body)) });
  }

  private introspection(): FuzzCase {
    const depth = this.rng.pick([5, 30]);
    const nested = `${"fields { name type { ".repeat(depth)}name${" } }".repeat(depth)}`;
    const variants = [
      `{ __schema { types { name fields { name args { name type { name ofType { name ofType { name ofType { name } } } } } } } } }`,
      `{ __type(name: "Customer") { ${nested} } }`,
      `{ __type(name: ${JSON.stringify(this.rng.pick(["' OR 1=1 //", "\u0000", "A".repeat(10_000)]))}) { name } }`,
    ];
    return this.documentCase(this.rng.pick(variants), "introspection", "(introspection)");
  }

  // ---- hostile transport ----

  private malformedJson(): FuzzCase {
    const q = '"{ channels { code } }"';
    const bodies = [
      "{",
      `{"query": ${q}`,
      "[]",
      "null",
      '"a string"',
      "123",
      "true",
      "{}",
      '{"query": 123}',
      '{"query": null}',
      '{"query": ["{ channels { code } }"]}',
      '{"query": {"a": 1}}',
      `{"query": ${q}, "variables": "not an object"}`,
      `{"query": ${q}, "variables": [1, 2]}`,
      `{"query": ${q}, "variables": 5}`,
      `{"query": ${q}, "operationName": 5}`,
      `{"query": ${q}, "extensions": "x"}`,
      `{"query": ${q}, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}`,
      '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0000000000000000000000000000000000000000000000000000000000000000"}}}',
      `{"query": ${q}, "query": "{ products { id } }"}`,
      `{"query": ${q}}trailing`,
      `\uFEFF{"query": ${q}}`,
      `{"query": ${q}, "variables": {"x": 1e999999}}`,
      `{"query": ${q}, "variables": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
      `{'query': ${q}}`,
      `{"query": ${q},}`,
      "",
      " ",
      `{"query": "${"\\u".repeat(10)}"}`,
      `{"__proto__": {"query": ${q}}}`,
      `{"constructor": {"prototype": {"query": ${q}}}}`,
      `{"query": ${q}, "__proto__": {"variables": {"x": 1}}}`,
    ];
    const body = this.rng.pick(bodies);
    return this.http({ summary: `body ${describeValue(body)}`, body: Buffer.from(body) });
  }

  private invalidUtf8(): FuzzCase {
    const bad = this.rng.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xfe, 0xff]]);
    const where = this.rng.int(0, 2);
    const parts =
      where === 0
        ? ['{"query":"{ customer(id: \\"C', '\\") { id } }"}']
        : where === 1
          ? ['{"query":"query ($id: ID!) { customer(id: $id) { id } }","variables":{"id":"C', '"}}']
          : ['{"query":"{ channels { code } }"', "}"];
    const body = Buffer.concat([Buffer.from(parts[0] as string), Buffer.from(bad), Buffer.from(parts[1] as string)]);
    return this.http({ summary: `bytes ${bad.map((b) => b.toString(16)).join(" ")} ${["in the query", "in a variable", "between JSON tokens"][where]}`, body });
  }

  private contentType(): FuzzCase {
    const json = Buffer.from('{"query":"{ channels { code } }"}');
    const variants: Array<[string, Record<string, string>, Buffer | (() => Buffer)]> = [
      ["text/plain", { "content-type": "text/plain" }, json],
      ["form-urlencoded", { "content-type": "application/x-www-form-urlencoded" }, Buffer.from("query=%7B%20channels%20%7B%20code%20%7D%20%7D")],
      ["multipart", { "content-type": "multipart/form-data; boundary=x" }, Buffer.from('--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ channels { code } }"}\r\n--x--\r\n')],
      ["application/graphql", { "content-type": "application/graphql" }, Buffer.from("{ channels { code } }")],
      ["no content-type", {}, json],
      ["charset=bogus", { "content-type": "application/json; charset=bogus" }, json],
      ["charset=latin1", { "content-type": "application/json; charset=latin1" }, json],
      ["charset=utf-16", { "content-type": "application/json; charset=utf-16" }, json],
      ["utf-16 body", { "content-type": "application/json; charset=utf-16le" }, Buffer.from('{"query":"{ channels { code } }"}', "utf16le")],
      ["a broken content-type", { "content-type": "application/json;;;=;" }, json],
      ["upper case", { "content-type": "APPLICATION/JSON" }, json],
      ["two types", { "content-type": "application/json, text/plain" }, json],
      ["gzip that is not", { "content-type": "application/json", "content-encoding": "gzip" }, json],
      ["deflate that is not", { "content-type": "application/json", "content-encoding": "deflate" }, json],
      ["br that is not", { "content-type": "application/json", "content-encoding": "br" }, json],
      ["compress", { "content-type": "application/json", "content-encoding": "compress" }, json],
      ["real gzip", { "content-type": "application/json", "content-encoding": "gzip" }, gzipSync(json)],
      ["a gzip bomb (100 MB inflated)", { "content-type": "application/json", "content-encoding": "gzip" }, gzipBomb],
    ];
    const [summary, headers, body] = this.rng.pick(variants);
    return this.http({ summary: `content-type: ${summary}`, headers: { accept: "application/json", ...headers }, body: typeof body === "function" ? body() : body, raw: true });
  }

  private oddGet(): FuzzCase {
    const q = encodeURIComponent("{ channels { code } }");
    const searches = [
      `?query=${q}`,
      `?query=${q}&variables=%7B`,
      `?query=${q}&variables=%5B1%5D`,
      `?query=${q}&extensions=%7B%22persistedQuery%22%3A1%7D`,
      `?query=${q}&query=${q}`,
      `?query=${encodeURIComponent("mutation { retryParkedEvents(parkedIds: []) }")}`,
      `?query=%FF%FE`,
      `?query=%00`,
      `?query=%`,
      `?query[]=${q}`,
      `?query[a]=b`,
      `?=`,
      `?${"&".repeat(5000)}`,
      `?query=${"%7B".repeat(3000)}`,
      `?query=${q}&operationName=${"A".repeat(5000)}`,
      "",
      `?__proto__[query]=${q}`,
    ];
    const search = this.rng.pick(searches);
    const preflight: Record<string, string> = this.rng.chance(0.7) ? { "apollo-require-preflight": "true" } : {};
    return this.http({ summary: `GET ${search.slice(0, 60)}`, method: "GET", path: `/graphql${search}`, headers: { accept: "application/json", ...preflight } });
  }

  private hugeHeader(): FuzzCase {
    const variants: Array<[string, Record<string, string>, boolean]> = [
      ["a 20 KB header", { "x-fuzz": "a".repeat(20_000) }, true],
      ["a 12 KB bearer token", { authorization: `Bearer ${"a".repeat(12_000)}` }, false],
      ["a 12 KB cookie", { cookie: `a=${"b".repeat(12_000)}` }, false],
      ["500 headers", Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-fuzz-${i}`, "v"])), false],
      ["latin-1 bytes in a header", { "x-fuzz": "\u00ff\u00fe\u00e9" }, false],
      ["an authorization header that is latin-1", { authorization: "Bearer \u00ff\u00fe" }, false],
      ["a forwarded-proto injection", { "x-forwarded-proto": "https, javascript:alert(1)", host: "evil.example" }, false],
    ];
    const [summary, headers, raw] = this.rng.pick(variants);
    return this.http({ summary, headers: { ...JSON_HEADERS, ...headers }, body: Buffer.from('{"query":"{ channels { code } }"}'), raw, keepAuthHeader: "authorization" in headers });
  }

  private badToken(): FuzzCase {
    const auth = this.rng.pick<AuthMode>(["none", "forged", "garbage", "alg-none", "expired"]);
    const rf = this.rng.pick(this.roots.filter((r) => r.root !== "Subscription"));
    const { query, variables } = this.operation(rf, this.baseline.argsFor(rf), false);
    return this.http({ summary: `${rf.coordinate} with token: ${auth}`, operation: rf.coordinate, auth, body: Buffer.from(JSON.stringify({ query, variables })) });
  }

  private oddMethod(): FuzzCase {
    const method = this.rng.pick(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]);
    return this.http({ summary: `${method} /graphql`, method, body: method === "TRACE" || method === "HEAD" ? undefined : Buffer.from('{"query":"{ channels { code } }"}'), raw: true });
  }

  /**
   * A burst past the app's budget (a phone's: 120 reads a minute, ./run.ts FUZZ_GATEWAY_ENV): the
   * answers past it must be RATE_LIMITED, 429 with Retry-After, and nothing may break meanwhile.
   */
  private rateFlood(): FuzzCase {
    const n = this.rng.pick([130, 200]);
    return this.http({ summary: `${n} × { channels { code } } at once as an app (120 reads a minute)`, operation: "Query.channels", auth: "flood", body: Buffer.from('{"query":"{ channels { code } }"}'), repeat: n });
  }

  // ---- the graphql-ws protocol ----

  private wsUnknownType(): FuzzCase {
    const frames = [
      msg({ type: "fuzz" }),
      msg({ type: "start", id: "1", payload: { query: "{ channels { code } }" } }),
      msg({ id: "1", type: "next", payload: { data: {} } }),
      msg({ type: "connection_ack" }),
      msg({ id: "1", type: "error", payload: [{ message: "x" }] }),
      msg({ type: "ka" }),
      msg({ type: "subscribe" }),
      msg({ type: null }),
    ];
    return this.ws({ summary: "a message of a type the client may not send", frames: [this.rng.pick(frames)], expectClose: [4400] });
  }

  private wsInvalidJson(): FuzzCase {
    const frames: Array<string | Buffer> = ["{", "", "null", "[]", "1", '"x"', "{'type': 'ping'}", Buffer.from([0xff, 0xfe, 0x00]), `${"[".repeat(100_000)}`, '{"type":"ping"}garbage'];
    const frame = this.rng.pick(frames);
    return this.ws({ summary: `an invalid frame ${describeValue(typeof frame === "string" ? frame : frame.toString("hex"))}`, frames: [frame], expectClose: [4400] });
  }

  private wsOversized(): FuzzCase {
    const mb = this.rng.pick([2, 5]);
    const variant = this.rng.int(0, 2);
    const frames = [
      () => `{"id":"o1","type":"subscribe","payload":{"query":"{ channels { code } }${" ".repeat(mb * 1024 * 1024)}"}}`,
      () => `{"id":"o1","type":"subscribe","payload":{"query":"query ($x: String) { channels { code } }","variables":{"x":"${"a".repeat(mb * 1024 * 1024)}"}}}`,
      () => "x".repeat(mb * 1024 * 1024),
    ];
    return this.ws({
      summary: `a ${mb} MB frame (${["whitespace in the query", "a variable", "not JSON"][variant]})`,
      frames: [(frames[variant] as () => string)()],
      awaitIds: variant === 2 ? [] : ["o1"],
      // Not JSON: Bad Request (until a size limit answers first, with 1009).
      expectClose: variant === 2 ? [4400, 1009] : undefined,
    });
  }

  private wsBadToken(): FuzzCase {
    const variants: Array<[string, unknown, number[]?]> = [
      ["no authorization", {}],
      ["authorization that is a number", { authorization: 5 }],
      ["authorization that is an object", { authorization: { bearer: "x" } }],
      ["a forged token", "forged"],
      ["a garbage token", "garbage"],
      ["an alg:none token", "alg-none"],
      ["an expired token", "expired"],
      ["connection_init payload that is a list", ["Bearer x"], [4400]],
      ["connection_init payload with __proto__", JSON.parse('{"__proto__": {"authorization": "Bearer x"}}')],
    ];
    const [summary, payload, closes] = this.rng.pick(variants);
    const mode = typeof payload === "string" ? (payload as AuthMode) : "operator";
    return this.ws({
      summary: `connection_init with ${summary}`,
      auth: mode,
      initPayload: typeof payload === "string" ? undefined : payload,
      frames: [this.subscribeFrame("1", "{ channels { code } }")],
      // A payload that is not an object is a malformed message (4400), not a refused token.
      expectClose: closes ?? [4403],
    });
  }

  private wsBadMessage(): FuzzCase {
    const ok = "{ channels { code } }";
    const variants: Array<[string, string, number[] | undefined, string[]]> = [
      ["subscribe without an id", msg({ type: "subscribe", payload: { query: ok } }), [4400], []],
      ["subscribe with an empty id", msg({ type: "subscribe", id: "", payload: { query: ok } }), [4400], []],
      ["subscribe with a 100 KB id", msg({ type: "subscribe", id: "i".repeat(100_000), payload: { query: ok } }), undefined, ["i".repeat(100_000)]],
      ["subscribe with a numeric id", msg({ type: "subscribe", id: 5, payload: { query: ok } }), [4400], []],
      ["subscribe with a null payload", msg({ type: "subscribe", id: "1", payload: null }), [4400], []],
      ["subscribe with a numeric query", msg({ type: "subscribe", id: "1", payload: { query: 5 } }), [4400], []],
      ["subscribe with variables that are a list", msg({ type: "subscribe", id: "1", payload: { query: ok, variables: [1] } }), [4400], []],
      ["subscribe with a syntax error", msg({ type: "subscribe", id: "1", payload: { query: "{ channels { code }" } }), undefined, ["1"]],
      ["subscribe with an unknown field", msg({ type: "subscribe", id: "1", payload: { query: "{ fuzz }" } }), undefined, ["1"]],
      ["subscribe with an empty document", msg({ type: "subscribe", id: "1", payload: { query: "" } }), undefined, ["1"]],
      ["subscribe with two anonymous operations", msg({ type: "subscribe", id: "1", payload: { query: `${ok} ${ok}` } }), undefined, ["1"]],
      ["subscribe naming an operation the document lacks", msg({ type: "subscribe", id: "1", payload: { query: ok, operationName: "Nope" } }), undefined, ["1"]],
      ["subscribe with a bad variable", msg({ type: "subscribe", id: "1", payload: { query: "query ($n: Int!) { parkedEvents(first: $n) { parkedId } }", variables: { n: "x" } } }), undefined, ["1"]],
      ["subscribe with a missing variable", msg({ type: "subscribe", id: "1", payload: { query: "query ($n: Int!) { parkedEvents(first: $n) { parkedId } }" } }), undefined, ["1"]],
      [
        "two subscriptions in one document",
        msg({ type: "subscribe", id: "1", payload: { query: `subscription { liveOffers(customerId: "${this.customer()}") { cursor } offerFeed { cursor } }` } }),
        undefined,
        ["1"],
      ],
      ["a subscription with a literal error", msg({ type: "subscribe", id: "1", payload: { query: 'subscription { liveOffers(customerId: 5, since: "x") { cursor } }' } }), undefined, ["1"]],
      ["complete for an id never subscribed", msg({ type: "complete", id: "nope" }), undefined, []],
      ["a pong nobody asked for", msg({ type: "pong", payload: { a: 1 } }), undefined, []],
      ["variables with __proto__", `{"type":"subscribe","id":"1","payload":{"query":"query ($n: Int) { parkedEvents(first: $n) { parkedId } }","variables":{"__proto__":{"n":1}}}}`, undefined, ["1"]],
    ];
    const [summary, frame, expectClose, awaitIds] = this.rng.pick(variants);
    return this.ws({ summary, frames: [frame], expectClose, awaitIds });
  }

  // ---- helpers ----

  private subscribeFrame(id: string, query: string, variables: Record<string, unknown> = {}): string {
    return msg({ id, type: "subscribe", payload: { query, variables } });
  }

  private customer(): string {
    const ids = this.targets.customerIds;
    return ids[this.index % ids.length] ?? "C0000001";
  }

  /**
   * Mostly a principal who may run something (the all-roles operator, so every operation is
   * reached, or one role, so the matrix and each role's guards are); sometimes nobody, or someone
   * the gateway must not believe.
   */
  private someAuth(): AuthMode {
    const u = this.rng.next();
    return u < 0.85 ? this.somePrincipal() : u < 0.93 ? "none" : this.rng.pick<AuthMode>(["forged", "garbage", "alg-none", "expired"]);
  }

  /** A principal with a valid token: the operator about half the time, else one of the single roles. */
  private somePrincipal(): AuthMode {
    return this.rng.chance(0.5) ? "operator" : this.rng.pick<AuthMode>(ROLE_MODES);
  }

  private http(o: {
    summary: string;
    operation?: string;
    body?: Buffer;
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    auth?: AuthMode;
    attack?: AttackKind;
    check?: HttpCase["check"];
    raw?: boolean;
    keepAuthHeader?: boolean;
    repeat?: number;
  }): HttpCase {
    const headers = o.headers ?? { ...JSON_HEADERS, ...(this.rng.chance(0.3) ? { accept: "application/json" } : {}) };
    return {
      transport: "http",
      index: this.index,
      attack: o.attack ?? this.attack,
      operation: o.operation ?? "(transport)",
      summary: o.summary,
      auth: o.keepAuthHeader ? "none" : (o.auth ?? "operator"),
      method: o.method ?? "POST",
      path: o.path ?? "/graphql",
      headers,
      ...(o.body ? { body: o.body } : {}),
      ...(o.check ? { check: o.check } : {}),
      ...(o.raw ? { rawAnswerOk: true } : {}),
      ...(o.repeat ? { repeat: o.repeat } : {}),
    };
  }

  private ws(o: {
    summary: string;
    operation?: string;
    frames: Array<string | Buffer>;
    auth?: AuthMode | "skip";
    initPayload?: unknown;
    awaitIds?: string[];
    expectClose?: number[] | undefined;
    attack?: AttackKind;
    check?: WsCase["check"] | undefined;
  }): WsCase {
    return {
      transport: "ws",
      index: this.index,
      attack: o.attack ?? this.attack,
      operation: o.operation ?? "(protocol)",
      summary: o.summary,
      auth: o.auth ?? "operator",
      ...(o.initPayload !== undefined ? { initPayload: o.initPayload } : {}),
      frames: o.frames,
      awaitIds: o.awaitIds ?? [],
      ...(o.expectClose ? { expectClose: o.expectClose } : {}),
      ...(o.check ? { check: o.check } : {}),
    };
  }
}

/** Whether an attack is most telling at this path (a huge list where a list goes, a number where a number goes, …). */
function prefers(attack: ValueAttack, p: ArgPath): boolean {
  const nullable = getNullableType(p.type) as GraphQLInputType;
  const named = getNamedType(p.type).name;
  switch (attack) {
    case "huge-list":
      return isListType(nullable);
    case "boundary-number":
      return named === "Int" || named === "Float";
    case "proto-keys":
    case "deep-json":
      return named === "JSON" || isInputObjectType(getNamedType(p.type));
    case "cypher-injection":
    case "lua-injection":
    case "unicode":
    case "huge-string":
      return named === "String" || named === "ID" || named === "DateTime";
    default:
      return true;
  }
}

function childTypeOf(type: GraphQLInputType | null, key: string | number): GraphQLInputType | null {
  if (!type) return null;
  const nullable = getNullableType(type) as GraphQLInputType;
  if (typeof key === "number") return isListType(nullable) ? (nullable.ofType as GraphQLInputType) : null;
  const named = getNamedType(nullable);
  return isInputObjectType(named) ? (named.getFields()[key]?.type ?? null) : null;
}

let bomb: Buffer | undefined;
/** 100 MB of spaces, gzipped to about 100 KB: made once per process. */
function gzipBomb(): Buffer {
  return (bomb ??= gzipSync(Buffer.alloc(100 * 1024 * 1024, 0x20), { level: 9 }));
}

function msg(message: Record<string, unknown>): string {
  return JSON.stringify(message);
}

/** A short description of a value for the report. */
export function describeValue(value: unknown): string {
  if (value instanceof RawValue) return `${value.json.slice(0, 20)}… (${value.json.length} characters)`;
  if (typeof value === "string") return value.length > 60 ? `${JSON.stringify(value.slice(0, 30))}… (${value.length} characters)` : JSON.stringify(value);
  if (Array.isArray(value)) return value.length > 5 ? `[${value.length} items]` : toJsonText(value).slice(0, 80);
  return toJsonText(value).slice(0, 80);
}

/** An HTTP check applied to a WebSocket case's answers (the data of its `next`). */
function wsCheck(check: NonNullable<HttpCase["check"]>): WsCase["check"] {
  return (answers) => {
    const next = answers.find((a) => a.type === "next");
    return next ? check(next.payload as GraphQLAnswer) : null;
  };
}
