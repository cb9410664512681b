import { useMemo, useState } from "react";
import { ApproveChangeDocument, CampaignDocument, CampaignsDocument, OfflineTagDocument, PendingChangesDocument, RejectChangeDocument, TagImpactDocument, TagLibraryDocument } from "../../schema/generated/operations";
import { Chart, type ChartOption } from "../shared/chart";
import { useSession } from "../shared/session";
import { useQuery } from "../shared/hooks";
import { useI18n, type MessageKey } from "../shared/i18n";
import { SegmentBuilder } from "./SegmentBuilder";

const TABS: Array<{ id: string; label: MessageKey }> = [
  { id: "segments", label: "console.segments" },
  { id: "tags", label: "console.tags" },
  { id: "approvals", label: "console.approvals" },
  { id: "campaigns", label: "console.campaigns" },
];

/** The marketer's console: the segment builder, the tag library and the campaigns. */
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
    </div>
  );
}

function TagLibrary() {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const tags = useQuery(TagLibraryDocument, { filter: text ? { text } : null, first: 50 });
  return (
    <section className="section builder" style={{ gridTemplateColumns: "1fr 420px" }}>
      <div className="card grid">
        <input placeholder={t("console.search")} value={text} onChange={(e) => setText(e.target.value)} />
        {tags.error && <p className="error">{tags.error.message}</p>}
        <table data-testid="tag-library">
          <thead>
            <tr>
              <th>{t("console.name")}</th>
              <th>code</th>
              <th>{t("console.status")}</th>
              <th>{t("console.coverage")}</th>
            </tr>
          </thead>
          <tbody>
            {(tags.data?.tags.edges ?? []).map(({ node }) => (
              <tr key={node.id} onClick={() => setSelected(node.id)} style={{ cursor: "pointer", background: selected === node.id ? "#eef4fc" : undefined }}>
                <td>
                  {node.name} <span className="muted">{node.level1}/{node.level2}</span>
                </td>
                <td>{node.code}</td>
                <td>
                  {node.status}
                  {node.pendingChange ? <span className="chip warn">{node.pendingChange.action}</span> : null}
                </td>
                <td>{node.evaluation?.customers ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected ? <TagImpact id={selected} onProposed={() => void tags.refetch()} /> : <div className="card muted">{t("console.pickTag")}</div>}
    </section>
  );
}

/** What stops if the tag goes offline (its lineage), and the proposal to take it offline. */
function TagImpact({ id, onProposed }: { id: string; onProposed(): void }) {
  const { t } = useI18n();
  const { client } = useSession();
  const impact = useQuery(TagImpactDocument, { id });
  const [reason, setReason] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const x = impact.data?.tagImpact;
  return (
    <div className="card grid" data-testid="tag-impact">
      <h2>{t("console.impact")}</h2>
      {impact.error && <p className="error">{impact.error.message}</p>}
      {x && (
        <>
          <div>
            <strong>{x.tag.name}</strong> <span className="muted">{x.tag.code} · {x.tag.status}</span>
          </div>
          <dl className="kv">
            <dt>{t("console.segments")}</dt>
            <dd>{x.segments.map((s) => s.name).join("、") || t("common.none")}</dd>
            <dt>{t("console.strategies")}</dt>
            <dd>{x.strategies.map((s) => `${s.name} (${s.status})`).join("、") || t("common.none")}</dd>
            <dt>{t("console.offers")}</dt>
            <dd>{x.offers.map((o) => o.name).join("、") || t("common.none")}</dd>
            <dt>{t("console.campaigns")}</dt>
            <dd>{x.campaignIds.join("、") || t("common.none")}</dd>
          </dl>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              client
                .request(OfflineTagDocument, { id, reason })
                .then(() => {
                  setNote(t("console.proposed"));
                  onProposed();
                })
                .catch((err: Error) => setNote(err.message));
            }}
          >
            <input style={{ flex: 1 }} placeholder={t("console.reason")} value={reason} onChange={(e) => setReason(e.target.value)} required />
            <button type="submit" className="secondary">
              {t("console.offline")}
            </button>
          </form>
          {note && <p className="muted">{note}</p>}
        </>
      )}
    </div>
  );
}

/** The approval queue: what waits; an APPROVER (never the author) approves or rejects. */
function Approvals() {
  const { t } = useI18n();
  const { client } = useSession();
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
                  <button type="button" onClick={() => void decide(node.id, true)}>
                    {t("console.approve")}
                  </button>
                  <button type="button" className="secondary" onClick={() => void decide(node.id, false)}>
                    {t("console.reject")}
                  </button>
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
