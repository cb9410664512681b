import { useMemo, useState } from "react";
import { DeskCallerDocument, RecordInteractionDocument, RespondToOfferDocument, type ContactKind, type DeskCallerQuery, type ResponseOutcome } from "../../schema/generated/operations";
import { Chart, type ChartOption } from "../shared/chart";
import { useQuery } from "../shared/hooks";
import { useI18n } from "../shared/i18n";
import { useSession } from "../shared/session";
import type { DeskCall } from "./Desk";
import { Trajectory } from "./Trajectory";
import { PlanAdvice } from "../shared/PlanAdvice";

type Customer = NonNullable<DeskCallerQuery["customer"]>;

/** The popped caller: the push's part at once, the unified view's part when it arrives. */
export function CallerView({ call }: { call: DeskCall }) {
  const { t, tx } = useI18n();
  const view = useQuery(DeskCallerDocument, { id: call.customer.id });
  const full = view.data?.customer ?? null;
  const [trajectoryVersion, setTrajectoryVersion] = useState(0);
  const c = call.customer;
  return (
    <main className="desk-main" data-testid="caller" data-event-id={call.event.id}>
      <section className="card full">
        <div className="caller-head">
          <span className="caller-name" data-testid="caller-name">
            {c.name}
          </span>
          <span data-testid="caller-msisdn">{c.msisdn}</span>
          <span className="chip">{tx(`tier.${c.valueTier}`)}</span>
          <span className="chip">{tx(`stage.${c.lifecycleStage}`)}</span>
          {full && (
            <span className="muted">
              {t("desk.arpu")} ¥{full.arpu.toFixed(0)} · {t("desk.tenure")} {full.tenureMonths} {t("desk.months")} · {full.region.name}
            </span>
          )}
        </div>
        <div className="muted" data-testid="headline">
          {call.headline}
        </div>
      </section>

      <section className="card wide">
        <h2>{t("desk.offers")}</h2>
        <div className="grid">
          {call.offers.map((o) => (
            <Offer key={o.id} offer={o} onResponded={() => setTrajectoryVersion((v) => v + 1)} />
          ))}
          {call.offers.length === 0 && <p className="muted">{t("common.none")}</p>}
        </div>
      </section>

      <section className="card">
        <h2>{t("desk.advice")}</h2>
        {full ? full.planAdvice ? <PlanAdvice advice={full.planAdvice} /> : <p className="muted">{t("common.none")}</p> : <p className="muted">{t("common.loading")}</p>}
      </section>

      <section className="card">
        <h2>{t("desk.tags")}</h2>
        {full ? <TagsByLevel tags={full.tags} /> : <div className="chips">{c.tags.map((tag, i) => <span className="chip" key={i}>{tag.tag.name}{tag.value ? `：${tag.value}` : ""}</span>)}</div>}
      </section>

      <section className="card">
        <h2>{t("desk.holdings")}</h2>
        <ul className="list">
          {(full?.subscriptions ?? c.subscriptions.map((s) => ({ since: null, product: { ...s.product, id: s.product.name, monthlyFee: null } }))).map((s) => (
            <li key={s.product.id}>
              {s.product.name} <span className="muted">{s.product.kind}{s.product.monthlyFee != null ? ` · ¥${s.product.monthlyFee}` : ""}</span>
            </li>
          ))}
        </ul>
      </section>

      <section className="card">
        <h2>{t("desk.usage")}</h2>
        {full?.usage ? <UsageChart usage={full.usage} /> : <p className="muted">{view.error ? view.error.message : t("common.loading")}</p>}
      </section>

      <section className="card">
        <h2>{t("desk.circle")}</h2>
        <ul className="list">
          {(full?.circle ?? []).map((m, i) => (
            <li key={i}>
              {m.name} <span className="muted">{m.relations.join("、") || m.relation} · {m.msisdn} · {m.callsPerMonth}/月</span>
            </li>
          ))}
        </ul>
      </section>

      <section className="card wide">
        <h2>{t("desk.trajectory")}</h2>
        <Trajectory customerId={c.id} version={trajectoryVersion} />
      </section>

      <section className="card">
        <h2>{t("desk.note")}</h2>
        <Note customerId={c.id} onSaved={() => setTrajectoryVersion((v) => v + 1)} />
      </section>
    </main>
  );
}

function Offer({ offer, onResponded }: { offer: DeskCall["offers"][number]; onResponded(): void }) {
  const { t, tx } = useI18n();
  const { client } = useSession();
  const [outcome, setOutcome] = useState<ResponseOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const respond = async (value: ResponseOutcome) => {
    setBusy(true);
    setError(null);
    try {
      const answer = await client.request(RespondToOfferDocument, { decisionId: offer.id, outcome: value });
      setOutcome(answer.respondToOffer.outcome ?? value);
      onResponded();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="offer" data-testid="offer" data-decision-id={offer.id}>
      <strong>{offer.offer.name}</strong>
      {offer.script && <div className="script">{offer.script}</div>}
      <details open>
        <summary>{t("desk.why")}</summary>
        <ul>
          {offer.reasons.map((r, i) => (
            <li key={i}>{r.text}</li>
          ))}
        </ul>
      </details>
      {outcome ? (
        <div className="ok" data-testid="responded">
          {t("desk.responded")}
          {tx(`outcome.${outcome}`)}
        </div>
      ) : (
        <div className="row">
          <button type="button" disabled={busy} data-testid="accept" onClick={() => void respond("ACCEPTED")}>
            {t("desk.accept")}
          </button>
          <button type="button" className="secondary" disabled={busy} data-testid="decline" onClick={() => void respond("DECLINED")}>
            {t("desk.decline")}
          </button>
        </div>
      )}
      {error && <div className="error">{error}</div>}
    </div>
  );
}

function TagsByLevel({ tags }: { tags: Customer["tags"] }) {
  const groups = useMemo(() => {
    const byLevel = new Map<string, Customer["tags"]>();
    for (const tag of tags) byLevel.set(tag.tag.level1, [...(byLevel.get(tag.tag.level1) ?? []), tag]);
    return [...byLevel.entries()];
  }, [tags]);
  return (
    <div className="grid">
      {groups.map(([level, list]) => (
        <div key={level}>
          <h3>{level}</h3>
          <div className="chips">
            {list.map((tag) => (
              <span className="chip" key={tag.tag.id} title={tag.tag.definition ?? ""}>
                {tag.tag.name}
                {tag.value ? `：${tag.value}` : ""}
              </span>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}

/** This month's use against the plan and the three-month average. */
export function UsageChart({ usage }: { usage: NonNullable<Customer["usage"]> }) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 40, right: 10, top: 10, bottom: 50 },
      xAxis: { type: "category", data: [t("usage.data"), t("usage.voice"), t("usage.sms")] },
      yAxis: { type: "log", logBase: 10, min: 1 },
      series: [
        { name: t("usage.thisMonth"), type: "bar", data: [usage.dataUsedMb, usage.voiceUsedMinutes, usage.smsUsed].map((v) => Math.max(1, v)) },
        { name: t("usage.avg3m"), type: "bar", data: [usage.avgDataMb3m, usage.avgVoiceMinutes3m, usage.avgSms3m].map((v) => Math.max(1, Math.round(v))) },
        { name: t("usage.quota"), type: "bar", data: [usage.dataQuotaMb, usage.voiceQuotaMinutes, null] },
      ],
    }),
    [usage, t],
  );
  return <Chart option={option} testId="usage-chart" />;
}

const NOTE_KINDS: ContactKind[] = ["CONSULTATION", "COMPLAINT", "HANDLING", "NOTE"];

function Note({ customerId, onSaved }: { customerId: string; onSaved(): void }) {
  const { t, tx } = useI18n();
  const { client } = useSession();
  const [kind, setKind] = useState<ContactKind>("CONSULTATION");
  const [summary, setSummary] = useState("");
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="grid"
      onSubmit={(e) => {
        e.preventDefault();
        if (!summary.trim()) return;
        client
          .request(RecordInteractionDocument, { input: { customerId, kind, channel: "HOTLINE", summary: summary.trim() } })
          .then(() => {
            setSummary("");
            setError(null);
            onSaved();
          })
          .catch((err: Error) => setError(err.message));
      }}
    >
      <label className="row">
        {t("desk.noteKind")}
        <select value={kind} onChange={(e) => setKind(e.target.value as ContactKind)}>
          {NOTE_KINDS.map((k) => (
            <option key={k} value={k}>
              {tx(`kind.${k}`)}
            </option>
          ))}
        </select>
      </label>
      <textarea rows={3} data-testid="note" placeholder={t("desk.notePlaceholder")} value={summary} onChange={(e) => setSummary(e.target.value)} />
      {error && <p className="error">{error}</p>}
      <button type="submit" data-testid="note-save">
        {t("desk.noteSave")}
      </button>
    </form>
  );
}
