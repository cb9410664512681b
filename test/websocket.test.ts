import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { print } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { UnifiedViewDocument, type UnifiedViewQuery } from "../schema/generated/operations";
import { CLOSE_SERVICE_RESTART } from "../src/server/server";
import { within } from "./support/eventually";
import { startTestGateway } from "./support/gateway";
import { leftover } from "./support/leftovers";
import { operatorToken } from "./support/auth";

/** A plain graphql-ws client (lazy, as applications use it), disposed with the test. */
function wsClient(httpUrl: string, onClosed?: (code: number) => void): Client {
  const client = createClient({
    url: httpUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: async () => ({ authorization: `Bearer ${await operatorToken()}` }),
    on: onClosed ? { closed: (event) => onClosed((event as { code: number }).code) } : {},
  });
  return leftover("graphql-ws client", client, (c) => c.dispose());
}

describe("graphql-ws on the same port and path as HTTP", () => {
  test("a query over WebSocket answers like HTTP", async () => {
    const gw = await startTestGateway();
    const client = wsClient(gw.url);
    const result = await new Promise<{ data?: UnifiedViewQuery | null }>((resolve, reject) => {
      client.subscribe<UnifiedViewQuery>(
        { query: print(UnifiedViewDocument), variables: { id: "C0000001" } },
        { next: resolve, error: reject, complete: () => undefined },
      );
    });
    const http = await gw.request(UnifiedViewDocument, { id: "C0000001" });
    assert.equal(result.data?.customer?.id, "C0000001");
    assert.deepEqual(result.data, http.data);
  });

  test("shutting down closes sockets with 1012 so clients reconnect elsewhere", async () => {
    const gw = await startTestGateway();
    let resolveCode: (code: number) => void = () => undefined;
    const closed = new Promise<number>((resolve) => (resolveCode = resolve));
    const client = wsClient(gw.url, (code) => resolveCode(code));
    await new Promise<void>((resolve, reject) =>
      client.subscribe({ query: `{ channels { code } }` }, { next: () => undefined, error: reject, complete: resolve }),
    );
    await gw.close();
    assert.equal(await within(closed, { what: "the socket to close" }), CLOSE_SERVICE_RESTART);
  });
});
