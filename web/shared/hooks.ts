import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { useCallback, useEffect, useRef, useState } from "react";
import { useSession } from "./session";
import type { GatewayRequestError } from "./client";

/** A query's state: data once it arrived, the gateway's error otherwise; `refetch` runs it again. */
export interface QueryState<TData> {
  data: TData | null;
  error: GatewayRequestError | null;
  loading: boolean;
  refetch(): Promise<void>;
}

/**
 * Runs `document` with `variables` (skipped while `skip`), again whenever the variables change
 * (compared as JSON). An answer that arrives after newer variables were asked for is dropped.
 */
export function useQuery<TData, TVars extends Record<string, unknown>>(document: TypedDocumentNode<TData, TVars>, variables: TVars, skip = false): QueryState<TData> {
  const { client } = useSession();
  const [state, setState] = useState<{ data: TData | null; error: GatewayRequestError | null; loading: boolean }>({ data: null, error: null, loading: !skip });
  const key = JSON.stringify(variables);
  const latest = useRef(0);
  const run = useCallback(async () => {
    if (skip) return;
    const ticket = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await client.request(document, JSON.parse(key) as TVars);
      if (ticket === latest.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (ticket === latest.current) setState((s) => ({ data: s.data, error: error as GatewayRequestError, loading: false }));
    }
  }, [client, document, key, skip]);
  useEffect(() => {
    void run();
  }, [run]);
  return { ...state, refetch: run };
}
