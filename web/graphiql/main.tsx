import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import { GraphiQL } from "graphiql";
import { getOperationAST, parse } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

/**
 * GraphiQL bundled with the gateway (no CDN), served for a browser's GET /graphql in development
 * only (src/server/pages.ts). The headers editor starts with the development ADMIN token when the
 * gateway has one (`npm start` with its own secret, to this machine); subscriptions go over the
 * same graphql-ws endpoint, signed with whatever Authorization the headers editor holds.
 */
type FetcherParams = { query: string; variables?: Record<string, unknown> | null; operationName?: string | null };

const sockets = new Map<string, Client>();

function socketFor(authorization: string): Client {
  let socket = sockets.get(authorization);
  if (!socket) {
    socket = createClient({ url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`, connectionParams: authorization ? { authorization } : {} });
    sockets.set(authorization, socket);
  }
  return socket;
}

async function fetcher(params: FetcherParams, options?: { headers?: Record<string, unknown> }) {
  const headers = Object.fromEntries(Object.entries(options?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  let operation: string | undefined;
  try {
    operation = getOperationAST(parse(params.query), params.operationName ?? undefined)?.operation;
  } catch {
    operation = undefined;
  }
  if (operation === "subscription") return socketFor(headers.authorization ?? "").iterate({ query: params.query, variables: params.variables ?? {}, ...(params.operationName ? { operationName: params.operationName } : {}) });
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...headers },
    body: JSON.stringify(params),
  });
  return response.json() as Promise<Record<string, unknown>>;
}

function App() {
  const [headers, setHeaders] = useState<string | null>(null);
  useEffect(() => {
    fetch("/dev/tokens")
      .then(async (res) => (res.ok ? ((await res.json()) as { tokens: Array<{ label: string; token: string }> }).tokens : []))
      .catch(() => [])
      .then((tokens) => {
        const admin = tokens.find((t) => t.label === "ADMIN");
        setHeaders(JSON.stringify(admin ? { Authorization: `Bearer ${admin.token}` } : { Authorization: "Bearer <token>" }, null, 2));
      });
  }, []);
  if (headers === null) return null;
  return <GraphiQL fetcher={fetcher as never} initialHeaders={headers} shouldPersistHeaders={false} defaultEditorToolsVisibility="headers" />;
}

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
