import { useEffect, useMemo, useState } from "react";
import { HallCustomerDocument, LiveOffersDocument, NextBestOffersDocument, RespondToOfferDocument, type LiveOffersSubscription, type LiveOffersSubscriptionVariables, type ResponseOutcome } from "../../schema/generated/operations";
import { Chart, type ChartOption } from "../shared/chart";
import { useQuery } from "../shared/hooks";
import { useI18n } from "../shared/i18n";
import { PlanAdvice } from "../shared/PlanAdvice";
import { useSession } from "../shared/session";

type Live = LiveOffersSubscription["liveOffers"];

/**
 * The mobile business hall for the signed-in customer (an APP token acts for its own customer):
 * plan and usage, plan advice, the marketing slots (nextBestOffers on APP, decided when the page
 * opens) and a live banner pushed by liveOffers; accept or decline answers the decision.
 */
export function Hall() {
  const { client, claims } = useSession();
  const { t } = useI18n();
  const id = claims.customerId ?? claims.sub;
  const me = useQuery(HallCustomerDocument, { id });
  const customer = me.data?.customer ?? null;
  // A POST: deciding writes the offers to the trajectory (the gateway refuses it over GET).
  const slots = useQuery(NextBestOffersDocument, { customerId: id, channel: "APP", limit: 3 });
  const [live, setLive] = useState<Live | null>(null);

  useEffect(() => {
    const variables: LiveOffersSubscriptionVariables = { customerId: id };
    return client.subscribe(LiveOffersDocument, variables, {
      next: (data) => {
        variables.since = data.liveOffers.cursor;
        setLive(data.liveOffers);
      },
    });
  }, [client, id]);

  const usageOption = useMemo<ChartOption | null>(() => {
    const u = customer?.usage;
    if (!u) return null;
    // One ring per allowance: used against what is left of the quota, the share in the middle.
    const ring = (center: string, label: string, used: number, quota: number) => ({
      type: "pie" as const,
      radius: ["55%", "75%"],
      center: [center, "50%"],
      label: { position: "center" as const, formatter: `${label}\n${quota > 0 ? Math.min(100, Math.round((used / quota) * 100)) : 0}%` },
      data: [
        { value: used, name: t("usage.thisMonth") },
        { value: Math.max(0, quota - used), name: t("usage.quota"), itemStyle: { color: "#e2e6ec" } },
      ],
    });
    return {
      tooltip: {},
      series: [ring("25%", t("usage.data"), u.dataUsedMb, u.dataQuotaMb), ring("75%", t("usage.voice"), u.voiceUsedMinutes, u.voiceQuotaMinutes)],
    };
  }, [customer, t]);

  return (
    <main className="hall">
      {live && <LiveBanner key={live.decision.id} live={live} />}
      <section className="card">
        <h2>{t("hall.myPlan")}</h2>
        {me.error && <p className="error">{me.error.message}</p>}
        {customer && (
          <>
            <div className="muted">
              {customer.name} · {customer.msisdn}
            </div>
            <ul className="list">
              {customer.subscriptions.map((s) => (
                <li key={s.product.id}>
                  {s.product.name} <span className="muted">{s.product.monthlyFee != null ? `¥${s.product.monthlyFee}/月` : ""}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section className="card">
        <h2>{t("hall.usage")}</h2>
        {usageOption && <Chart option={usageOption} height={160} testId="hall-usage" />}
      </section>
      {customer?.planAdvice && (
        <section className="card">
          <h2>{t("desk.advice")}</h2>
          <PlanAdvice advice={customer.planAdvice} />
        </section>
      )}
      <section className="card">
        <h2>{t("hall.forYou")}</h2>
        {slots.error && <p className="error">{slots.error.message}</p>}
        <div className="grid">
          {(slots.data?.nextBestOffers ?? []).map((d) => (
            <Slot key={d.id} decisionId={d.id} name={d.offer.name} text={d.creative ?? d.script ?? ""} />
          ))}
        </div>
      </section>
    </main>
  );
}

function LiveBanner({ live }: { live: Live }) {
  const { t } = useI18n();
  return (
    <section className="banner" data-testid="live-banner" data-decision-id={live.decision.id}>
      <strong>
        {t("hall.live")} · {live.decision.offer.name}
      </strong>
      <div>{live.decision.script ?? live.event.summary}</div>
      <Respond decisionId={live.decision.id} />
    </section>
  );
}

function Slot({ decisionId, name, text }: { decisionId: string; name: string; text: string }) {
  return (
    <div className="offer" data-testid="slot">
      <strong>{name}</strong>
      {text && <div>{text}</div>}
      <Respond decisionId={decisionId} />
    </div>
  );
}

function Respond({ decisionId }: { decisionId: string }) {
  const { client } = useSession();
  const { t } = useI18n();
  const [done, setDone] = useState<ResponseOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const respond = (outcome: ResponseOutcome) =>
    client
      .request(RespondToOfferDocument, { decisionId, outcome })
      .then(() => setDone(outcome))
      .catch((e: Error) => setError(e.message));
  if (done) return <div data-testid="hall-responded">{t("hall.thanks")}</div>;
  return (
    <div className="row">
      <button type="button" onClick={() => void respond("ACCEPTED")}>
        {t("hall.accept")}
      </button>
      <button type="button" className="secondary" onClick={() => void respond("DECLINED")}>
        {t("hall.decline")}
      </button>
      {error && <span className="error">{error}</span>}
    </div>
  );
}
