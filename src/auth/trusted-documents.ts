import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Kind, parse, print, type DocumentNode, type OperationDefinitionNode } from "graphql";
import { QUERY_LIMITS } from "./cost";
import { BadUserInputError, ForbiddenError, PersistedQueryNotFoundError, type GatewayError } from "../platform/errors";
import { PROJECT_ROOT } from "../platform/paths";
import type { Principal } from "./principal";

/**
 * Trusted documents: the operations front lines send (schema/operations/*.graphql) are known in
 * advance, so a gateway can refuse everything else. The manifest (schema/persisted-documents.json,
 * Apollo's persisted-query manifest format, `npm run documents` writes it and a test fails when it
 * drifts) holds each operation's printed text and its sha256. A client may send a document by id
 * (`{"documentId": "sha256:<hex>"}`, or Apollo's `extensions.persistedQuery.sha256Hash`) or by its
 * exact text. With TRUSTED_DOCUMENTS=enforce, principals without the ADMIN role run only these;
 * with "off" (the default) anything runs, and ids still work.
 *
 * A supergraph router (Apollo Federation 2, schema/federation.ts) cuts each client operation into
 * fetches of `_entities` (and reads `_service` when it composes at start-up) whose text depends on
 * the query plan, so no manifest can list them. With a router key (FEDERATION_ROUTER_KEY), a
 * request that presents it (header {@link ROUTER_KEY_HEADER}, compared in constant time) may run,
 * under enforce, a query whose root fields are only `_entities`, `_service` and `__typename`:
 * the router's own safelist (its persisted queries) is the trusted-documents check for the
 * operations it serves, and the permission matrix, scope, masking, query limits, rate limits and
 * audit trail apply to the fetch as to any query. Without a key, or with a wrong one, those
 * fetches are refused like any other untrusted text.
 */

/** The header a supergraph router sends FEDERATION_ROUTER_KEY in (Apollo Router: `headers.all.request.insert`). */
export const ROUTER_KEY_HEADER = "x-federation-router-key";

/** Root fields of a router's fetches: entities by key, the subgraph SDL. */
const ROUTER_FIELDS: ReadonlySet<string> = new Set(["_entities", "_service", "__typename"]);

/** Where the committed manifest lives, relative to the repository root. */
export const MANIFEST_PATH = "schema/persisted-documents.json";

/** Apollo's persisted-query manifest (what `@apollo/generate-persisted-query-manifest` writes and Apollo Client reads). */
export interface PersistedDocumentManifest {
  format: "apollo-persisted-query-manifest";
  version: 1;
  operations: Array<{ id: string; name: string; type: "query" | "mutation" | "subscription"; body: string }>;
}

/** The sha256 of a document's text, hex: its id (with "sha256:" in front as a `documentId`). */
export function documentHash(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

/**
 * The manifest of `documents` (one operation each, with the fragments it uses, as codegen's typed
 * documents carry them): each printed with graphql-js, so the text is what `print(document)` sends.
 */
export function buildManifest(documents: readonly DocumentNode[]): PersistedDocumentManifest {
  const operations = documents.map((document) => {
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation?.name) throw new Error("every trusted document is one named operation");
    const body = print(document);
    return { id: documentHash(body), name: operation.name.value, type: operation.operation, body };
  });
  operations.sort((a, b) => a.name.localeCompare(b.name));
  return { format: "apollo-persisted-query-manifest", version: 1, operations };
}

/** What a request names its document by: text, id, or both. */
export interface DocumentRequest {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

export class TrustedDocuments {
  private readonly byHash: ReadonlyMap<string, string>;
  private readonly bodies: ReadonlySet<string>;
  /** The manifest's operation names: the only names metrics label operations with (any other is "other", so clients cannot add series). */
  readonly operationNames: ReadonlySet<string>;

  private readonly routerKey: Buffer | null;

  constructor(
    manifest: PersistedDocumentManifest,
    readonly mode: "off" | "enforce",
    /** FEDERATION_ROUTER_KEY: lets a router's `_entities`/`_service` fetches through under enforce; null: they are refused. */
    routerKey: string | null = null,
  ) {
    this.byHash = new Map(manifest.operations.map((o) => [o.id, o.body]));
    this.bodies = new Set(manifest.operations.map((o) => o.body));
    this.routerKey = routerKey ? digest(routerKey) : null;
    this.operationNames = new Set(manifest.operations.map((o) => o.name));
  }

  /** The committed manifest (read once at start). */
  static load(mode: "off" | "enforce", path: string = join(PROJECT_ROOT, MANIFEST_PATH), routerKey: string | null = null): TrustedDocuments {
    return new TrustedDocuments(JSON.parse(readFileSync(path, "utf8")) as PersistedDocumentManifest, mode, routerKey);
  }

  /** Whether a request presented the router key (a header sent twice counts as not presented). */
  private isRouter(presented: string | readonly string[] | undefined): boolean {
    if (!this.routerKey || typeof presented !== "string" || presented === "") return false;
    return timingSafeEqual(digest(presented), this.routerKey);
  }

  get size(): number {
    return this.byHash.size;
  }

  /**
   * The text of the document a request names: the manifest's text for an id (an unknown id is
   * PERSISTED_QUERY_NOT_FOUND; text that disagrees with its id BAD_USER_INPUT), else the request's
   * own text; undefined when it names none (the transport says what is missing).
   */
  resolve(request: DocumentRequest): string | undefined {
    const id = requestedId(request);
    const text = typeof request.query === "string" && request.query !== "" ? request.query : undefined;
    if (id === undefined) return text;
    const body = this.byHash.get(id);
    if (body === undefined) {
      throw new PersistedQueryNotFoundError(`No trusted document has id sha256:${id}. Send one of ${MANIFEST_PATH}'s ids (npm run documents writes it), or the document's text.`);
    }
    if (text !== undefined && text !== body) throw new BadUserInputError(`The query text is not the document with id sha256:${id}; send the id alone, or the matching text.`, "documentId");
    return body;
  }

  /**
   * Whether `principal` may run `text`: null when it may (mode "off", an ADMIN, or a trusted text),
   * else why not. Checked before the text is even parsed.
   */
  refusal(principal: Principal, text: string, presentedRouterKey?: string | readonly string[]): GatewayError | null {
    if (this.mode === "off" || principal.roles.has("ADMIN") || this.bodies.has(text)) return null;
    if (this.isRouter(presentedRouterKey) && isRouterFetch(text)) return null;
    return new ForbiddenError(
      `This gateway runs trusted documents only (TRUSTED_DOCUMENTS=enforce): send an operation of ${MANIFEST_PATH} by id ({"documentId": "sha256:<hex>"}) or by its exact text. Ask for a new operation to be added to schema/operations/ to run anything else.`,
    );
  }
}

/** The sha256 of a secret: equal lengths for timingSafeEqual, whatever was presented. */
function digest(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/**
 * Whether `text` is one query whose root selects only `_entities`, `_service` and `__typename` (what
 * a router fetches from a subgraph). Parsed with the token limit, so a huge text costs no more
 * than the parser's budget; a text that does not parse is not one (and is refused as untrusted).
 */
export function isRouterFetch(text: string): boolean {
  let document: DocumentNode;
  try {
    document = parse(text, { maxTokens: QUERY_LIMITS.maxTokens, noLocation: true });
  } catch {
    return false;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1 || operations[0]?.operation !== "query") return false;
  return operations[0].selectionSet.selections.every((s) => s.kind === Kind.FIELD && ROUTER_FIELDS.has(s.name.value));
}

/** The sha256 hex a request names, from `documentId` ("sha256:<hex>") or Apollo's persisted-query extension. */
function requestedId(request: DocumentRequest): string | undefined {
  if (typeof request.documentId === "string" && request.documentId !== "") {
    const m = /^(?:sha256:)?([0-9a-f]{64})$/i.exec(request.documentId);
    if (!m?.[1]) throw new BadUserInputError(`documentId must be "sha256:" and 64 hex digits; got "${request.documentId.slice(0, 80)}".`, "documentId");
    return m[1].toLowerCase();
  }
  const extensions = request.extensions;
  if (extensions && typeof extensions === "object") {
    const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } }).persistedQuery;
    if (persisted && typeof persisted.sha256Hash === "string") return persisted.sha256Hash.toLowerCase();
  }
  return undefined;
}
