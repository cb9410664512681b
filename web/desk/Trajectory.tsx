import { useCallback, useEffect, useRef, useState } from "react";
import { TrajectoryDocument, type ChannelCode, type TrajectoryQuery } from "../../schema/generated/operations";
import { useI18n } from "../shared/i18n";
import { useSession } from "../shared/session";

type Edge = NonNullable<TrajectoryQuery["customer"]>["contacts"]["edges"][number];
const CHANNELS: ChannelCode[] = ["HOTLINE", "APP", "WEB", "SMS", "OUTBOUND_CALL", "STORE", "WECHAT"];

/**
 * The contact trajectory, newest first, a page at a time as the list scrolls to its end, filtered
 * by channel and start date. `version` changing reloads the first page (a response or a note was
 * just recorded).
 */
export function Trajectory({ customerId, version }: { customerId: string; version: number }) {
  const { client } = useSession();
  const { t, tx } = useI18n();
  const [channel, setChannel] = useState<ChannelCode | "">("");
  const [since, setSince] = useState("");
  const [edges, setEdges] = useState<Edge[]>([]);
  const [page, setPage] = useState<{ hasNextPage: boolean; endCursor: string | null }>({ hasNextPage: false, endCursor: null });
  const [error, setError] = useState<string | null>(null);
  const loading = useRef(false);
  const generation = useRef(0);
  const sentinel = useRef<HTMLLIElement>(null);

  const load = useCallback(
    async (after: string | null) => {
      const mine = after === null ? ++generation.current : generation.current;
      loading.current = true;
      try {
        const data = await client.request(TrajectoryDocument, {
          id: customerId,
          first: 20,
          after,
          channels: channel ? [channel] : null,
          since: since ? new Date(`${since}T00:00:00`).toISOString() : null,
        });
        if (mine !== generation.current) return;
        const contacts = data.customer?.contacts;
        setEdges((old) => (after === null ? (contacts?.edges ?? []) : [...old, ...(contacts?.edges ?? [])]));
        setPage(contacts?.pageInfo ?? { hasNextPage: false, endCursor: null });
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        loading.current = false;
      }
    },
    [client, customerId, channel, since],
  );

  useEffect(() => {
    void load(null);
  }, [load, version]);

  useEffect(() => {
    const node = sentinel.current;
    if (!node || !page.hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !loading.current) void load(page.endCursor);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [load, page]);

  return (
    <div className="grid">
      <div className="row">
        <select value={channel} data-testid="trajectory-channel" onChange={(e) => setChannel(e.target.value as ChannelCode | "")}>
          <option value="">{t("desk.allChannels")}</option>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {tx(`channel.${c}`)}
            </option>
          ))}
        </select>
        <label className="row">
          {t("desk.since")}
          <input type="date" value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
      </div>
      {error && <p className="error">{error}</p>}
      <ul className="timeline" data-testid="trajectory">
        {edges.map(({ node }) => (
          <li key={node.id} data-kind={node.kind} data-decision-id={node.decision?.id} data-testid="contact">
            <div className="when">
              {new Date(node.at).toLocaleString()} · {tx(`channel.${node.channel.code}`)} · {tx(`kind.${node.kind}`)}
              {node.outcome ? ` · ${tx(`outcome.${node.outcome}`)}` : ""}
            </div>
            <div>{node.summary}</div>
          </li>
        ))}
        <li ref={sentinel} className="muted" style={{ listStyle: "none" }}>
          {page.hasNextPage ? t("common.loading") : t("desk.end")}
        </li>
      </ul>
    </div>
  );
}
