import { useState } from "react";
import {
  ApproveChangeDocument,
  CreateTagDocument,
  OfflineTagDocument,
  PublishTagDocument,
  RejectChangeDocument,
  SubmitTagDocument,
  TagDetailDocument,
  TagImpactDocument,
  TagLibraryDocument,
  UpdateTagDocument,
  type TagValueType,
} from "../../schema/generated/operations";
import { useQuery } from "../shared/hooks";
import { useI18n } from "../shared/i18n";
import { useSession } from "../shared/session";

/** The taxonomy's first level, as the tag API takes it (TagInput.level1). */
const TAG_FAMILIES = ["Basic", "Telecom", "Life & Internet", "Value & Lifecycle"] as const;

/**
 * What the signed-in roles may do to tags (docs/SECURITY.md): a MARKETER writes, submits and asks
 * to take offline; an APPROVER approves or rejects (never a change it wrote: the gateway refuses,
 * and the page does not offer it); both publish an approved version. The gateway checks all of it
 * again: this only keeps buttons that would be refused off the screen.
 */
function useTagRights() {
  const { claims } = useSession();
  const roles = new Set(claims.roles);
  const marketer = roles.has("MARKETER");
  const approver = roles.has("APPROVER");
  return { me: claims.sub, write: marketer, approve: approver, publish: marketer || approver };
}

/** The tag library: the list (with the new-tag form for a marketer) and the selected tag's lifecycle. */
export function TagLibrary() {
  const { t } = useI18n();
  const rights = useTagRights();
  const [text, setText] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const tags = useQuery(TagLibraryDocument, { filter: text ? { text } : null, first: 50 });
  return (
    <section className="section builder" style={{ gridTemplateColumns: "1fr 480px" }}>
      <div className="card grid">
        <div className="row">
          <input style={{ flex: 1 }} data-testid="tag-search" placeholder={t("console.search")} value={text} onChange={(e) => setText(e.target.value)} />
          {rights.write && (
            <button type="button" data-testid="tag-new" onClick={() => setCreating(true)}>
              {t("tags.new")}
            </button>
          )}
        </div>
        {creating && (
          <NewTag
            onCancel={() => setCreating(false)}
            onCreated={(id, code) => {
              setCreating(false);
              setText(code);
              setSelected(id);
            }}
          />
        )}
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
              <tr key={node.id} data-code={node.code} onClick={() => setSelected(node.id)} style={{ cursor: "pointer", background: selected === node.id ? "#eef4fc" : undefined }}>
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
      {selected ? <TagPanel key={selected} id={selected} onChanged={() => void tags.refetch()} /> : <div className="card muted">{t("console.pickTag")}</div>}
    </section>
  );
}

/** A marketer's new tag: a DRAFT, served by nothing until submitted, approved and published. */
function NewTag({ onCancel, onCreated }: { onCancel(): void; onCreated(id: string, code: string): void }) {
  const { t } = useI18n();
  const { client } = useSession();
  const [form, setForm] = useState({ code: "", name: "", level1: "Telecom", level2: "", definition: "", valueType: "FLAG" as TagValueType });
  const [error, setError] = useState<string | null>(null);
  const field = (key: keyof typeof form, label: string) => (
    <label className="grid">
      <span className="muted">{label}</span>
      <input data-testid={`tag-new-${key}`} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} required />
    </label>
  );
  return (
    <form
      className="card grid"
      data-testid="tag-new-form"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        client
          .request(CreateTagDocument, { input: { ...form, code: form.code.trim().toUpperCase() } })
          .then((r) => onCreated(r.createTag.id, r.createTag.code))
          .catch((err: Error) => setError(err.message));
      }}
    >
      {field("code", "code (UPPER_SNAKE)")}
      {field("name", t("console.name"))}
      <label className="grid">
        <span className="muted">{t("tags.level1")}</span>
        <select data-testid="tag-new-level1" value={form.level1} onChange={(e) => setForm({ ...form, level1: e.target.value })}>
          {TAG_FAMILIES.map((f) => (
            <option key={f}>{f}</option>
          ))}
        </select>
      </label>
      {field("level2", t("tags.level2"))}
      {field("definition", t("tags.definition"))}
      <label className="grid">
        <span className="muted">{t("tags.valueType")}</span>
        <select value={form.valueType} onChange={(e) => setForm({ ...form, valueType: e.target.value as TagValueType })}>
          {["FLAG", "CATEGORY", "SCORE"].map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </label>
      {error && <p className="error">{error}</p>}
      <div className="row">
        <button type="submit" data-testid="tag-create">
          {t("tags.create")}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t("tags.cancel")}
        </button>
      </div>
    </form>
  );
}

/**
 * One tag's lifecycle: its state, the version worked on, the change waiting, the versions and the
 * publish log, and the next steps the signed-in roles may take (draft → submit → approve →
 * publish → new version / offline).
 */
function TagPanel({ id, onChanged }: { id: string; onChanged(): void }) {
  const { t, tx } = useI18n();
  const { client } = useSession();
  const rights = useTagRights();
  const detail = useQuery(TagDetailDocument, { id });
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [definition, setDefinition] = useState<string | null>(null);
  const tag = detail.data?.tag;
  if (!tag) return <div className="card muted">{detail.error?.message ?? t("common.loading")}</div>;

  const act = (run: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setNote(null);
    run()
      .then(async () => {
        setNote(done);
        // The panel first, then the list: both read after the change, the list never behind the panel.
        await detail.refetch();
        onChanged();
      })
      .catch((err: Error) => setNote(err.message))
      .finally(() => setBusy(false));
  };
  const open = tag.openVersion;
  const pending = tag.pendingChange?.status === "PENDING" ? tag.pendingChange : null;
  const mayDecide = rights.approve && pending && pending.author !== rights.me && !(open?.editors ?? []).includes(rights.me);

  return (
    <div className="card grid" data-testid="tag-panel" data-tag-id={tag.id} data-status={tag.status}>
      <h2>
        {tag.name} <span className="muted">{tag.code}</span>
      </h2>
      <div className="row">
        <span className="chip" data-testid="tag-status">
          {tag.status}
        </span>
        <span className="muted">
          {tx(`tagStatus.${tag.status}`)} · v{tag.version}
          {open ? ` · ${t("tags.open")} v${open.version} ${open.status}` : ""}
        </span>
      </div>
      <p className="muted">{tag.definition}</p>
      {pending && (
        <div className="chip warn" data-testid="tag-pending">
          {t("tags.waiting")} {pending.action} · {pending.author}
        </div>
      )}

      <div className="row" data-testid="tag-actions">
        {rights.write && open?.status === "DRAFT" && !pending && (
          <button type="button" disabled={busy} data-testid="tag-submit" onClick={() => act(() => client.request(SubmitTagDocument, { id: tag.id, note: "submitted in the console" }), t("tags.submitted"))}>
            {t("tags.submit")}
          </button>
        )}
        {mayDecide && (
          <>
            <button type="button" disabled={busy} data-testid="tag-approve" onClick={() => act(() => client.request(ApproveChangeDocument, { id: pending.id }), t("tags.approved"))}>
              {t("console.approve")}
            </button>
            <button type="button" className="secondary" disabled={busy} data-testid="tag-reject" onClick={() => act(() => client.request(RejectChangeDocument, { id: pending.id, reason: "rejected in the console" }), t("tags.rejected"))}>
              {t("console.reject")}
            </button>
          </>
        )}
        {rights.publish && open?.status === "APPROVED" && (
          <button type="button" disabled={busy} data-testid="tag-publish" onClick={() => act(() => client.request(PublishTagDocument, { id: tag.id }), t("tags.published"))}>
            {t("tags.publish")}
          </button>
        )}
        {rights.write && tag.status === "PUBLISHED" && !open && !pending && definition === null && (
          <button type="button" className="secondary" data-testid="tag-new-version" onClick={() => setDefinition(tag.definition)}>
            {t("tags.newVersion")}
          </button>
        )}
      </div>
      {definition !== null && (
        <form
          className="grid"
          onSubmit={(e) => {
            e.preventDefault();
            act(() => client.request(UpdateTagDocument, { id: tag.id, input: { definition } }).then(() => setDefinition(null)), t("tags.drafted"));
          }}
        >
          <textarea rows={3} value={definition} onChange={(e) => setDefinition(e.target.value)} />
          <button type="submit" disabled={busy}>
            {t("tags.saveDraft")}
          </button>
        </form>
      )}
      {note && (
        <p className="muted" data-testid="tag-note">
          {note}
        </p>
      )}

      <h3>{t("tags.versions")}</h3>
      <table data-testid="tag-versions">
        <tbody>
          {tag.versions.map((v) => (
            <tr key={v.version} data-version={v.version} data-status={v.status}>
              <td>v{v.version}</td>
              <td>{v.status}</td>
              <td className="muted">{v.createdBy}</td>
              <td className="muted">{v.approvedBy ?? ""}</td>
              <td className="muted">{v.publishedAt ? new Date(v.publishedAt).toLocaleString() : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {tag.publishLog.length > 0 && (
        <>
          <h3>{t("tags.log")}</h3>
          <ul className="list" data-testid="tag-log">
            {tag.publishLog.map((l) => (
              <li key={l.id}>
                {l.action} v{l.version} · {l.by} <span className="muted">{new Date(l.at).toLocaleString()}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {rights.write && tag.status === "PUBLISHED" && !pending && <TagImpact id={tag.id} onProposed={() => (onChanged(), void detail.refetch())} />}
    </div>
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
    <div className="grid" data-testid="tag-impact">
      <h3>{t("console.impact")}</h3>
      {impact.error && <p className="error">{impact.error.message}</p>}
      {x && (
        <>
          <dl className="kv">
            <dt>{t("console.segments")}</dt>
            <dd>{x.segments.map((s) => s.name).join("、") || t("common.none")}</dd>
            <dt>{t("console.strategies")}</dt>
            <dd>{x.strategies.map((s) => `${s.name} (${s.status})`).join("、") || t("common.none")}</dd>
            <dt>{t("console.offers")}</dt>
            <dd>{x.offers.map((o) => o.name).join("、") || t("common.none")}</dd>
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
            <button type="submit" className="secondary" data-testid="tag-offline">
              {t("console.offline")}
            </button>
          </form>
          {note && <p className="muted">{note}</p>}
        </>
      )}
    </div>
  );
}
