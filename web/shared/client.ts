import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type DocumentNode } from "graphql";
import { createClient, type Client } from "graphql-ws";

/**
 * The pages' GraphQL client: queries and mutations over HTTP POST, subscriptions over graphql-ws,
 * both on this origin's /graphql with the signed-in bearer token.
 *
 * Documents are sent as graphql-js prints them, exactly the text of schema/persisted-documents.json,
 * so the pages work against a gateway with TRUSTED_DOCUMENTS=enforce. (urql and Apollo Client
 * re-format the text, urql by stripping whitespace and both by adding __typename, which the
 * manifest does not hold: the gateway would refuse every page request of a non-ADMIN.)
 */
export class GatewayClient {
  private socket: Client | null = null;
  private readonly texts = new WeakMap<DocumentNode, string>();
  /**
   * The graph bookmark of this page's last mutation (the answer's X-Graph-Bookmark), sent with every
   * request after it: whichever replica answers reads what the page just wrote (docs/OPERATIONS.md).
   */
  private bookmark: string | null = null;

  constructor(
    private readonly token: string,
    /** Called when the gateway says the token is not (or no longer) good: the page signs out. */
    private readonly onUnauthenticated: (message: string) => void = () => undefined,
  ) {}

  /** Runs a query or mutation; rejects with a {@link GatewayRequestError} carrying the gateway's code and message. */
  async request<TData, TVars extends Record<string, unknown>>(document: TypedDocumentNode<TData, TVars>, variables: TVars): Promise<TData> {
    let response: Response;
    try {
      response = await fetch("/graphql", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json, application/json",
          authorization: `Bearer ${this.token}`,
          ...(this.bookmark ? { "x-graph-bookmark": this.bookmark } : {}),
        },
        body: JSON.stringify({ query: this.text(document), variables }),
      });
    } catch (error) {
      throw new GatewayRequestError(`The gateway did not answer (${error instanceof Error ? error.message : String(error)}).`, "NETWORK");
    }
    this.bookmark = response.headers.get("x-graph-bookmark") ?? this.bookmark;
    const body = (await response.json().catch(() => ({}))) as GraphQLBody<TData>;
    const first = body.errors?.[0];
    if (first) {
      const code = first.extensions?.code ?? "ERROR";
      if (code === "UNAUTHENTICATED") this.onUnauthenticated(first.message);
      throw new GatewayRequestError(first.message, code);
    }
    if (!body.data) throw new GatewayRequestError(`The gateway answered ${response.status} without data.`, "ERROR");
    return body.data;
  }

  /**
   * Subscribes over the page's one WebSocket (opened on first use, reconnected when it drops).
   * `variables` is sent again on every reconnect: a caller that keeps `since` in it up to date
   * (the last cursor) resumes where it was, the gateway replaying what it missed.
   */
  subscribe<TData, TVars extends Record<string, unknown>>(document: TypedDocumentNode<TData, TVars>, variables: TVars, sink: { next(data: TData): void; error?(error: GatewayRequestError): void }): () => void {
    this.socket ??= createClient({
      url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: (event) => !(isCloseEvent(event) && (event.code === 4401 || event.code === 4403)),
    });
    return this.socket.subscribe<TData>(
      { query: this.text(document), variables },
      {
        next: (result) => {
          const first = result.errors?.[0];
          if (first) sink.error?.(new GatewayRequestError(first.message, String(first.extensions?.code ?? "ERROR")));
          else if (result.data) sink.next(result.data);
        },
        error: (error) => {
          const message = isCloseEvent(error) ? `The live connection closed (${error.code} ${error.reason}).` : Array.isArray(error) ? String((error[0] as { message?: string })?.message) : String(error);
          if (isCloseEvent(error) && error.code === 4401) this.onUnauthenticated(message);
          sink.error?.(new GatewayRequestError(message, "LIVE"));
        },
        complete: () => undefined,
      },
    );
  }

  /** Closes the WebSocket (sign-out). */
  dispose(): void {
    void this.socket?.dispose();
    this.socket = null;
  }

  private text(document: DocumentNode): string {
    let text = this.texts.get(document);
    if (text === undefined) {
      text = print(document);
      this.texts.set(document, text);
    }
    return text;
  }
}

/** An error the gateway answered with (its `extensions.code`), or NETWORK / LIVE for the transports. */
export class GatewayRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface GraphQLBody<TData> {
  data?: TData | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function isCloseEvent(value: unknown): value is CloseEvent {
  return typeof value === "object" && value !== null && "code" in value && "reason" in value;
}
