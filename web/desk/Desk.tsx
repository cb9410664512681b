import { useEffect, useLayoutEffect, useState } from "react";
import { ClaimWorkOrderDocument, DeskFeedDocument, ReportWorkOrderDocument, WorkOrdersDocument, type DeskFeedSubscription, type DeskFeedSubscriptionVariables } from "../../schema/generated/operations";
import { useQuery } from "../shared/hooks";
import { useI18n } from "../shared/i18n";
import { useSession } from "../shared/session";
import { CallerView } from "./CallerView";

/** One call on the desk, as deskFeed pushed it. */
export type DeskCall = DeskFeedSubscription["deskFeed"];

declare global {
  interface Window {
    /** When each call's caller was first painted (ms since the epoch), by event id: the latency the browser test and bench/desk read. */
    __deskShown?: Record<string, number>;
  }
}

/**
 * The agent desktop: waits on deskFeed for this agent's calls; a HOTLINE_CALL_START pops the caller
 * from the push at once (name, value, stage, tags, holdings, offers and scripts), the rest of the
 * unified view following behind. Work orders are in the side list.
 */
export function Desk() {
  const { client, claims } = useSession();
  const { t } = useI18n();
  const [call, setCall] = useState<DeskCall | null>(null);
  const [live, setLive] = useState<string | null>(null);
  const agentId = claims.agentId ?? "";

  useEffect(() => {
    if (!agentId) return;
    // Kept up to date with the last cursor: a reconnect resubscribes from there (see GatewayClient.subscribe).
    const variables: DeskFeedSubscriptionVariables = { agentId };
    return client.subscribe(DeskFeedDocument, variables, {
      next: (data) => {
        variables.since = data.deskFeed.cursor;
        setLive(null);
        setCall(data.deskFeed);
      },
      error: (error) => setLive(error.message),
    });
  }, [client, agentId]);

  // Stamped once the caller is on screen (the frame after React committed it).
  useLayoutEffect(() => {
    if (!call) return;
    const id = call.event.id;
    requestAnimationFrame(() => {
      window.__deskShown ??= {};
      window.__deskShown[id] ??= Date.now();
    });
  }, [call]);

  return (
    <div className="desk">
      <aside className="grid" style={{ alignContent: "start" }}>
        <div className="card">
          <h3>{t("desk.agent")}</h3>
          <div data-testid="agent">{agentId || "—"}</div>
          <div className={live ? "error" : "ok"}>{live ?? `● ${t("desk.live")}`}</div>
        </div>
        <WorkOrders />
      </aside>
      {call ? <CallerView key={call.event.id} call={call} /> : <div className="card waiting" data-testid="waiting">{t("desk.waiting")}</div>}
    </div>
  );
}

/**
 * The work-order pool beside the calls: the OPEN orders of the agent's teams in its regions (to
 * claim) and its own (to report on: reached, not reached, accepted, declined), as workOrders lists
 * them. A claim two agents make at once goes to one; the other sees the gateway's CONFLICT saying who
 * holds it.
 */
function WorkOrders() {
  const { t, tx } = useI18n();
  const { client, claims } = useSession();
  const orders = useQuery(WorkOrdersDocument, { first: 20 });
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const edges = (orders.data?.workOrders.edges ?? []).filter(({ node }) => node.status === "OPEN" || node.status === "CLAIMED");
  const act = (id: string, run: () => Promise<unknown>) => {
    setBusy(id);
    setNote(null);
    // Asked again whatever the answer: a claim lost to another agent shows who holds the order now.
    run()
      .catch((err: Error) => setNote(err.message))
      .then(() => orders.refetch())
      .finally(() => setBusy(null));
  };
  return (
    <div className="card" data-testid="work-orders">
      <h3>
        {t("desk.workOrders")} <span className="muted">/ {t("desk.pool")}</span>
      </h3>
      {orders.error && <p className="error">{orders.error.message}</p>}
      {note && <p className="error">{note}</p>}
      {edges.length === 0 && !orders.loading && <p className="muted">{t("common.none")}</p>}
      <ul className="list">
        {edges.map(({ node }) => {
          const mine = node.status === "CLAIMED" && node.claimedBy === claims.agentId;
          return (
            <li key={node.id} data-testid="work-order" data-order-id={node.id} data-status={node.status}>
              <div>
                {node.kind} · {node.status}
                {node.claimedBy && (
                  <span className="muted">
                    {" "}
                    · {t("desk.claimedBy")} {node.claimedBy}
                  </span>
                )}
              </div>
              <div className="muted">
                {node.customerId} · {t("desk.due")} {new Date(node.dueAt).toLocaleString()}
              </div>
              {node.script && <div>{node.script}</div>}
              {node.status === "OPEN" && (
                <button type="button" disabled={busy === node.id} data-testid="claim" onClick={() => act(node.id, () => client.request(ClaimWorkOrderDocument, { id: node.id }))}>
                  {t("desk.claim")}
                </button>
              )}
              {mine && (
                <div className="row">
                  {(["REACHED", "NOT_REACHED", "ACCEPTED", "DECLINED"] as const).map((feedback) => (
                    <button
                      type="button"
                      key={feedback}
                      className={feedback === "ACCEPTED" ? "" : "secondary"}
                      disabled={busy === node.id}
                      data-testid={`report-${feedback}`}
                      onClick={() => act(node.id, () => client.request(ReportWorkOrderDocument, { id: node.id, feedback }))}
                    >
                      {tx(`wo.${feedback}`)}
                    </button>
                  ))}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
