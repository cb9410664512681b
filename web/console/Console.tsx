import { useState } from "react";
import { CampaignsDocument, TagLibraryDocument } from "../../schema/generated/operations";
import { useQuery } from "../shared/hooks";
import { useI18n, type MessageKey } from "../shared/i18n";
import { SegmentBuilder } from "./SegmentBuilder";

const TABS: Array<{ id: string; label: MessageKey }> = [
  { id: "segments", label: "console.segments" },
  { id: "tags", label: "console.tags" },
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
      {tab === "campaigns" && <Campaigns />}
    </div>
  );
}

function TagLibrary() {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const tags = useQuery(TagLibraryDocument, { filter: text ? { text } : null, first: 50 });
  return (
    <section className="section">
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
              <tr key={node.id}>
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
    </section>
  );
}

function Campaigns() {
  const { t } = useI18n();
  const list = useQuery(CampaignsDocument, { first: 50 });
  return (
    <section className="section">
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
              <tr key={node.id}>
                <td>{node.name}</td>
                <td>{node.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
