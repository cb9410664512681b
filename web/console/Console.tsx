import { useMemo, useState } from "react";
import { ApproveChangeDocument, CampaignDocument, CampaignsDocument, PendingChangesDocument, RejectChangeDocument } from "../../schema/generated/operations";
import { Chart, type ChartOption } from "../shared/chart";
import { useSession } from "../shared/session";
import { useQuery } from "../shared/hooks";
import { useI18n, type MessageKey } from "../shared/i18n";
import { EvaluationCentre } from "./Evaluation";
import { SegmentBuilder } from "./SegmentBuilder";
import { StrategiesByCube } from "./Strategies";
import { TagLibrary } from "./Tags";

const TABS: Array<{ id: string; label: MessageKey }> = [
  { id: "segments", label: "console.segments" },
  { id: "tags", label: "console.tags" },
  { id: "approvals", label: "console.approvals" },
  { id: "campaigns", label: "console.campaigns" },
  { id: "strategies", label: "console.strategies" },
  { id: "evaluation", label: "console.evaluation" },
];

/** The marketer's console: the segment builder, the tag library, approvals, campaigns, strategies by the cube and the evaluation centre. */
export function Console() {
  const { t } = useI18n();
  const [tab, setTab] = useState("segments");
  return (
    <div className="console">
      <nav>
        {TABS.map((x) => (
          <button type="button" key={x.id} className={tab === x.id ? "active" : ""} data-testid={`tab-${x.id}`} onClick={() => setTab(x.id)}>
            {t(x.label)}
          </button>
        ))}
      </nav>
      {tab === "segments" && <SegmentBuilder />}
      {tab === "tags" && <TagLibrary />}
      {tab === "approvals" && <Approvals />}
      {tab === "campaigns" && <Campaigns />}
      {tab === "strategies" && <StrategiesByCube />}
      {tab === "evaluation" && <EvaluationCentre />}
    </div>
  );
}

/** The approval queue: what waits; an APPROVER (never the author) approves or rejects. */
function Approvals() {
  const { t } = useI18n();
  const { client, claims } = useSession();
  // Only an APPROVER decides, and never on its own change (the gateway refuses both anyway).
  const approver = claims.roles.includes("APPROVER");
  const queue = useQuery(PendingChangesDocument, { first: 50 });
  const [note, setNote] = useState<string | null>(null);
  const decide = (id: string, approve: boolean) =>
    (approve ? client.request(ApproveChangeDocument, { id }) : client.request(RejectChangeDocument, { id, reason: "rejected in the console" }))
      .then(() => queue.refetch())
      .catch((err: Error) => setNote(err.message));
  return (
    <section className="section">
      <div className="card grid">
        {queue.error && <p className="error">{queue.error.message}</p>}
        {note && <p className="error">{note}</p>}
        <table data-testid="approvals">
          <thead>
            <tr>
              <th>{t("console.kind")}</th>
              <th>{t("console.action")}</th>
              <th>{t("console.author")}</th>
              <th>{t("console.submitted")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(queue.data?.pendingChanges.edges ?? []).map(({ node }) => (
              <tr key={node.id}>
                <td>{node.kind}</td>
                <td>{node.action}</td>
                <td>{node.author}</td>
                <td>{new Date(node.submittedAt).toLocaleString()}</td>
                <td className="row">
                  {approver && node.author !== claims.sub && (
                    <>
                  <button type="button" onClick={() => void decide(node.id, true)}>
                    {t("console.approve")}
                  </button>
                  <button type="button" className="secondary" onClick={() => void decide(node.id, false)}>
                    {t("console.reject")}
                  </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** One campaign: its waves, each wave's progress and funnel. */
function CampaignDetail({ id }: { id: string }) {
  const { t } = useI18n();
  const campaign = useQuery(CampaignDocument, { id });
  const c = campaign.data?.campaign;
  const option = useMemo<ChartOption | null>(() => {
    if (!c) return null;
    const f = c.waves.reduce(
      (sum, w) => ({ targeted: sum.targeted + w.funnel.targeted, contacted: sum.contacted + w.funnel.contacted, delivered: sum.delivered + w.funnel.delivered, responded: sum.responded + w.funnel.responded, ordered: sum.ordered + w.funnel.ordered }),
      { targeted: 0, contacted: 0, delivered: 0, responded: 0, ordered: 0 },
    );
    return { tooltip: {}, series: [{ type: "funnel", left: "10%", width: "80%", label: { formatter: "{b}: {c}" }, data: Object.entries(f).map(([name, value]) => ({ name, value })) }] };
  }, [c]);
  if (!c) return <div className="card muted">{campaign.error?.message ?? t("common.loading")}</div>;
  return (
    <div className="card grid" data-testid="campaign">
      <h2>
        {c.name} <span className="muted">{c.status}</span>
      </h2>
      {option && <Chart option={option} height={200} />}
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>{t("console.channel")}</th>
            <th>{t("console.status")}</th>
            <th>{t("console.progress")}</th>
          </tr>
        </thead>
        <tbody>
          {c.waves.map((w) => (
            <tr key={w.id}>
              <td>
                {w.index}/{w.round}
              </td>
              <td>{w.channel}</td>
              <td>{w.status}</td>
              <td>
                <progress max={Math.max(1, w.total)} value={w.done} /> {w.done}/{w.total}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Campaigns() {
  const { t } = useI18n();
  const list = useQuery(CampaignsDocument, { first: 50 });
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <section className="section builder" style={{ gridTemplateColumns: "1fr 1fr" }}>
      <div className="card">
        {list.error && <p className="error">{list.error.message}</p>}
        <table data-testid="campaigns">
          <thead>
            <tr>
              <th>{t("console.name")}</th>
              <th>{t("console.status")}</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.campaigns.edges ?? []).map(({ node }) => (
              <tr key={node.id} onClick={() => setSelected(node.id)} style={{ cursor: "pointer" }}>
                <td>{node.name}</td>
                <td>{node.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected ? <CampaignDetail id={selected} /> : <div className="card muted">{t("console.pickCampaign")}</div>}
    </section>
  );
}
