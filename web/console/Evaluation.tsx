import { useEffect, useMemo, useState } from "react";
import {
  CampaignAlertFeedDocument,
  CampaignAlertsDocument,
  CampaignRankingDocument,
  CampaignsDocument,
  EvaluationDocument,
  EvaluationTrendDocument,
  OfferNamesDocument,
  StrategiesDocument,
  type CampaignAlertFieldsFragment,
  type EvaluationDimension,
  type EvaluationFilter,
  type EvaluationFiguresFragment,
  type RankingMetric,
  type TrendMetric,
} from "../../schema/generated/operations";
import { Chart, type ChartOption } from "../shared/chart";
import { useQuery } from "../shared/hooks";
import { useI18n, type MessageKey } from "../shared/i18n";
import { useSession } from "../shared/session";

const DAY = 86_400_000;

/** The four steps of the funnel the centre shows, in order (converted = ordered: a purchase after the decision). */
const FUNNEL: Array<{ key: "targeted" | "contacted" | "responded" | "ordered"; label: MessageKey }> = [
  { key: "targeted", label: "eval.targeted" },
  { key: "contacted", label: "eval.contacted" },
  { key: "responded", label: "eval.responded" },
  { key: "ordered", label: "eval.converted" },
];

const RANK_BY: Array<{ by: EvaluationDimension; label: MessageKey }> = [
  { by: "OFFER", label: "eval.byOffer" },
  { by: "CHANNEL", label: "eval.byChannel" },
  { by: "STRATEGY_VERSION", label: "eval.byStrategy" },
  { by: "WAVE", label: "eval.byWave" },
];

const TRENDS: TrendMetric[] = ["CONTACTED", "RESPONSE_RATE", "ORDER_RATE", "UPLIFT", "REVENUE"];

const pct = (x: number | null | undefined): string => (x == null ? "—" : `${(x * 100).toFixed(1)}%`);

/**
 * The evaluation centre (效果评估): for one campaign or one strategy, the funnel, the uplift over the
 * control group with its 95% interval, rankings by offer / channel / strategy version / wave, a
 * trend over the range, and, for a campaign, its alerts as they are raised.
 */
export function EvaluationCentre() {
  const { t } = useI18n();
  const [mode, setMode] = useState<"campaign" | "strategy">("campaign");
  const [subject, setSubject] = useState<string>("");
  const [days, setDays] = useState(30);
  const campaigns = useQuery(CampaignsDocument, { first: 100 }, mode !== "campaign");
  const strategies = useQuery(StrategiesDocument, {}, mode !== "strategy");
  // The range ends at the next midnight (UTC), so a trend's last day is today, whole.
  const range = useMemo(() => {
    const to = Math.ceil((Date.now() + 1) / DAY) * DAY;
    return { from: new Date(to - days * DAY).toISOString(), to: new Date(to).toISOString() };
  }, [days]);
  const filter = useMemo<EvaluationFilter | null>(() => {
    if (!subject) return null;
    return mode === "campaign" ? { campaignIds: [subject] } : { strategyId: subject, ...range };
  }, [mode, subject, range]);

  const options =
    mode === "campaign"
      ? (campaigns.data?.campaigns.edges ?? []).map(({ node }) => ({ id: node.id, label: `${node.name} · ${node.status}` }))
      : (strategies.data?.strategies ?? []).map((s) => ({ id: s.id, label: `${s.code} ${s.name}` }));

  return (
    <section className="section grid" data-testid="evaluation">
      <div className="card row">
        <select data-testid="eval-mode" value={mode} onChange={(e) => {
            setMode(e.target.value as "campaign" | "strategy");
            setSubject("");
          }}>
          <option value="campaign">{t("eval.campaign")}</option>
          <option value="strategy">{t("eval.strategy")}</option>
        </select>
        <select data-testid="eval-subject" style={{ flex: 1 }} value={subject} onChange={(e) => setSubject(e.target.value)}>
          <option value="">{t("eval.pick")}</option>
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </select>
        <select data-testid="eval-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {[7, 30, 90].map((d) => (
            <option key={d} value={d}>
              {t("eval.lastDays").replace("{n}", String(d))}
            </option>
          ))}
        </select>
      </div>
      {filter ? (
        <>
          <div className="builder" style={{ gridTemplateColumns: "1fr 1fr 1fr" }}>
            <Funnel filter={filter} />
            <Rankings filter={filter} />
            <Trend filter={mode === "campaign" ? { ...filter, ...range } : filter} />
          </div>
          {mode === "campaign" && <LiveAlerts campaignId={subject} />}
        </>
      ) : (
        <CampaignRanking
          range={range}
          names={new Map((campaigns.data?.campaigns.edges ?? []).map(({ node }) => [node.id, node.name]))}
          onPick={(id) => {
            setMode("campaign");
            setSubject(id);
          }}
        />
      )}
    </section>
  );
}

/** The funnel and the uplift of the whole selection (evaluation by TOTAL). */
function Funnel({ filter }: { filter: EvaluationFilter }) {
  const { t } = useI18n();
  const total = useQuery(EvaluationDocument, { filter, by: "TOTAL" });
  const row: EvaluationFiguresFragment | null = total.data?.evaluation[0] ?? null;
  const option = useMemo<ChartOption | null>(
    () =>
      row && {
        tooltip: {},
        series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "10%", label: { position: "inside", formatter: "{b}: {c}" }, data: FUNNEL.map((f) => ({ name: t(f.label), value: row.funnel[f.key] })) }],
      },
    [row, t],
  );
  if (!row) return <div className="card muted">{total.error?.message ?? (total.loading ? t("common.loading") : t("common.none"))}</div>;
  const u = row.uplift;
  return (
    <div className="card grid" data-testid="eval-funnel">
      <h2>{t("eval.funnel")}</h2>
      {option && <Chart option={option} height={200} testId="eval-funnel-chart" />}
      <dl className="kv">
        {FUNNEL.map((f) => (
          <FunnelStep key={f.key} label={t(f.label)} step={f.key} value={row.funnel[f.key]} />
        ))}
        <dt>{t("eval.heldOut")}</dt>
        <dd data-testid="funnel-heldOut">{row.funnel.heldOut}</dd>
        <dt>{t("eval.orderRate")}</dt>
        <dd>
          {pct(row.funnel.orderRate)} <span className="muted">({t("eval.control")} {pct(row.funnel.controlOrderRate)})</span>
        </dd>
        <dt>{t("eval.uplift")}</dt>
        <dd data-testid="eval-uplift" data-value={u ? String(u.rateDifference.value) : ""}>
          {u ? (
            <>
              {pct(u.rateDifference.value)} <span className="muted">[{pct(u.rateDifference.lower)}, {pct(u.rateDifference.upper)}] 95%</span>
            </>
          ) : (
            t("eval.noControl")
          )}
        </dd>
        {u && (
          <>
            <dt>{t("eval.incrementalOrders")}</dt>
            <dd>
              {u.incrementalOrders.value.toFixed(1)} <span className="muted">[{u.incrementalOrders.lower.toFixed(1)}, {u.incrementalOrders.upper.toFixed(1)}]</span>
            </dd>
            <dt>{t("eval.incrementalRevenue")}</dt>
            <dd>
              ¥{u.incrementalRevenue.value.toFixed(0)} <span className="muted">[¥{u.incrementalRevenue.lower.toFixed(0)}, ¥{u.incrementalRevenue.upper.toFixed(0)}]</span>
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}

function FunnelStep({ label, step, value }: { label: string; step: string; value: number }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={`funnel-${step}`} data-value={String(value)}>
        {value.toLocaleString()}
      </dd>
    </>
  );
}

/** Rows of one breakdown, best order rate first. */
function Rankings({ filter }: { filter: EvaluationFilter }) {
  const { t, tx } = useI18n();
  const [by, setBy] = useState<EvaluationDimension>("OFFER");
  const rows = useQuery(EvaluationDocument, { filter, by });
  // Rows are keyed by id; the names come from the lists the console already reads.
  const offers = useQuery(OfferNamesDocument, {}, by !== "OFFER");
  const strategies = useQuery(StrategiesDocument, {}, by !== "STRATEGY_VERSION");
  const label = (key: string): string => {
    if (by === "OFFER") return offers.data?.offers.find((o) => o.id === key)?.name ?? key;
    if (by === "CHANNEL") return tx(`channel.${key}`);
    if (by === "STRATEGY_VERSION") {
      const [id, version] = key.split("@");
      const s = strategies.data?.strategies.find((x) => x.id === id);
      return s ? `${s.name} v${version}` : key;
    }
    return key;
  };
  const sorted = [...(rows.data?.evaluation ?? [])].sort((a, b) => (b.funnel.orderRate ?? -1) - (a.funnel.orderRate ?? -1));
  return (
    <div className="card grid" data-testid="eval-ranking">
      <div className="row">
        <h2 style={{ flex: 1 }}>{t("eval.ranking")}</h2>
        <select data-testid="eval-rank-by" value={by} onChange={(e) => setBy(e.target.value as EvaluationDimension)}>
          {RANK_BY.map((r) => (
            <option key={r.by} value={r.by}>
              {t(r.label)}
            </option>
          ))}
        </select>
      </div>
      {rows.error && <p className="error">{rows.error.message}</p>}
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>{t("console.name")}</th>
            <th>{t("eval.contacted")}</th>
            <th>{t("eval.orderRate")}</th>
            <th>{t("eval.uplift")}</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((r, i) => (
            <tr key={r.key} data-key={r.key}>
              <td>{i + 1}</td>
              <td title={r.key}>{label(r.key)}</td>
              <td>{r.funnel.contacted}</td>
              <td>{pct(r.funnel.orderRate)}</td>
              <td>{r.uplift ? pct(r.uplift.rateDifference.value) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const RANKING_METRICS: RankingMetric[] = ["INCREMENTAL_REVENUE", "UPLIFT", "ORDER_RATE", "RESPONSE_RATE"];

/** 活动排行: the campaigns with decisions in the range, best first by the metric chosen; a click opens one. */
function CampaignRanking({ range, names, onPick }: { range: { from: string; to: string }; names: Map<string, string>; onPick(id: string): void }) {
  const { t, tx } = useI18n();
  const [metric, setMetric] = useState<RankingMetric>("INCREMENTAL_REVENUE");
  const ranking = useQuery(CampaignRankingDocument, { ...range, metric, first: 20 });
  return (
    <div className="card grid" data-testid="campaign-ranking">
      <div className="row">
        <h2 style={{ flex: 1 }}>{t("eval.campaignRanking")}</h2>
        <select value={metric} onChange={(e) => setMetric(e.target.value as RankingMetric)}>
          {RANKING_METRICS.map((m) => (
            <option key={m} value={m}>
              {tx(`rank.${m}`)}
            </option>
          ))}
        </select>
      </div>
      <p className="muted">{t("eval.pickHint")}</p>
      {ranking.error && <p className="error">{ranking.error.message}</p>}
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>{t("console.name")}</th>
            <th>{t("eval.contacted")}</th>
            <th>{t("eval.orderRate")}</th>
            <th>{t("eval.uplift")}</th>
            <th>{t("eval.incrementalRevenue")}</th>
          </tr>
        </thead>
        <tbody>
          {(ranking.data?.campaignRanking ?? []).map((r, i) => (
            <tr key={r.key} data-key={r.key} style={{ cursor: "pointer" }} onClick={() => onPick(r.key)}>
              <td>{i + 1}</td>
              <td>{names.get(r.key) ?? r.key}</td>
              <td>{r.funnel.contacted}</td>
              <td>{pct(r.funnel.orderRate)}</td>
              <td>{r.uplift ? pct(r.uplift.rateDifference.value) : "—"}</td>
              <td>{r.uplift ? `¥${r.uplift.incrementalRevenue.value.toFixed(0)}` : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One figure per day over the range (ECharts line). */
function Trend({ filter }: { filter: EvaluationFilter }) {
  const { t, tx } = useI18n();
  const [metric, setMetric] = useState<TrendMetric>("CONTACTED");
  const trend = useQuery(EvaluationTrendDocument, { filter, metric });
  const points = trend.data?.evaluationTrend ?? null;
  const option = useMemo<ChartOption | null>(
    () =>
      points && {
        tooltip: { trigger: "axis" },
        grid: { left: 50, right: 10, top: 10, bottom: 40 },
        xAxis: { type: "category", data: points.map((p) => p.day.slice(5)) },
        yAxis: { type: "value" },
        series: [{ type: "line", connectNulls: false, data: points.map((p) => p.value), itemStyle: { color: "#0a6cd6" } }],
      },
    [points],
  );
  return (
    <div className="card grid">
      <div className="row">
        <h2 style={{ flex: 1 }}>{t("eval.trend")}</h2>
        <select value={metric} onChange={(e) => setMetric(e.target.value as TrendMetric)}>
          {TRENDS.map((m) => (
            <option key={m} value={m}>
              {tx(`trend.${m}`)}
            </option>
          ))}
        </select>
      </div>
      {trend.error && <p className="error">{trend.error.message}</p>}
      {option && <Chart option={option} height={220} testId="eval-trend" />}
    </div>
  );
}

/**
 * A campaign's alerts: those raised so far (campaignAlerts) and each new one as it is raised
 * (the campaignAlerts subscription, for the campaign's owners), newest first, one row per id.
 */
function LiveAlerts({ campaignId }: { campaignId: string }) {
  const { t, tx } = useI18n();
  const { client } = useSession();
  const past = useQuery(CampaignAlertsDocument, { campaignId });
  const [live, setLive] = useState<CampaignAlertFieldsFragment[]>([]);
  const [state, setState] = useState<string | null>(null);
  useEffect(() => {
    setLive([]);
    setState(null);
    return client.subscribe(
      CampaignAlertFeedDocument,
      { campaignId },
      {
        next: (data) => setLive((list) => [data.campaignAlerts, ...list.filter((a) => a.id !== data.campaignAlerts.id)]),
        error: (error) => setState(error.message),
      },
    );
  }, [client, campaignId]);
  const alerts = useMemo(() => {
    const seen = new Set<string>();
    return [...live, ...(past.data?.campaignAlerts ?? [])].filter((a) => !seen.has(a.id) && seen.add(a.id)).sort((a, b) => b.at.localeCompare(a.at));
  }, [live, past.data]);
  return (
    <div className="card grid" data-testid="alerts">
      <h2>
        {t("eval.alerts")} <span className={state ? "error" : "ok"}>{state ?? `● ${t("desk.live")}`}</span>
      </h2>
      {alerts.length === 0 && <p className="muted">{t("eval.noAlerts")}</p>}
      <ul className="list">
        {alerts.map((a) => (
          <li key={a.id} data-testid="alert" data-alert-id={a.id} className="row">
            <span className="chip warn">{tx(`alert.${a.kind}`)}</span>
            <span style={{ flex: 1 }}>{a.message}</span>
            <span className="muted">
              {a.waveId} · {new Date(a.at).toLocaleString()}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
