import { useEffect, useMemo, useState, type ReactNode } from "react";
import { SearchIndicatorsDocument, SegmentPreviewDocument, type SearchIndicatorsQuery } from "../../schema/generated/operations";
import { Chart, type ChartOption } from "../shared/chart";
import { useQuery } from "../shared/hooks";
import { useI18n } from "../shared/i18n";

type Indicator = Pick<SearchIndicatorsQuery["searchIndicators"][number], "kind" | "code" | "name" | "value" | "valueLabel">;
type Op = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** One condition of the visual editor: a tag held, a tag's or attribute's value, or an attribute compared with a number. */
interface Condition {
  type: "condition";
  key: number;
  indicator: Indicator;
  op: Op;
  value: string;
  negate: boolean;
}

/** A group of the visual editor: its members joined by AND or OR, groups inside groups. */
interface Group {
  type: "group";
  key: number;
  joiner: "and" | "or";
  negate: boolean;
  children: Node[];
}

type Node = Condition | Group;

const OPS: Op[] = ["=", "!=", ">", ">=", "<", "<="];
let nextKey = 1;
const newKey = (): number => nextKey++;
const emptyRoot = (): Group => ({ type: "group", key: 0, joiner: "and", negate: false, children: [] });

/** The segment language's JSON form (src/segments/expression) of a node; null for an empty group. */
function toJson(n: Node): unknown {
  let node: unknown;
  if (n.type === "group") {
    const parts = n.children.map(toJson).filter((x) => x !== null);
    if (parts.length === 0) return null;
    node = parts.length === 1 ? parts[0] : { kind: n.joiner, of: parts };
  } else {
    const i = n.indicator;
    if (i.kind === "ATTRIBUTE") {
      const numeric = n.value.trim() !== "" && Number.isFinite(Number(n.value));
      node = { kind: "compare", op: n.op, left: { kind: "attribute", name: i.code }, right: { kind: "literal", value: numeric ? Number(n.value) : n.value } };
    } else if (i.kind === "ATTRIBUTE_VALUE" && i.value != null) {
      node = { kind: "compare", op: "=", left: { kind: "attribute", name: i.code }, right: { kind: "literal", value: i.value } };
    } else if (i.value != null) {
      node = { kind: "compare", op: "=", left: { kind: "tagValue", code: i.code }, right: { kind: "literal", value: i.value } };
    } else {
      node = { kind: "tag", code: i.code };
    }
  }
  return n.negate ? { kind: "not", of: node } : node;
}

/**
 * The visual editor's tree for a JSON expression typed beside it; throws saying what the editor
 * cannot draw. Until the text draws, the editor (and the count) keep the last expression that did.
 */
function fromJson(value: unknown, negate = false): Node {
  const v = value as { kind?: unknown; of?: unknown; op?: unknown; code?: unknown; left?: { kind?: unknown; name?: unknown; code?: unknown }; right?: { kind?: unknown; value?: unknown } } | null;
  if (!v || typeof v !== "object") throw new Error("each node is an object with a `kind`");
  if (v.kind === "not") return fromJson(v.of, !negate);
  if (v.kind === "and" || v.kind === "or") {
    if (!Array.isArray(v.of)) throw new Error(`\`${v.kind}\` takes \`of\`: a list of nodes`);
    return { type: "group", key: newKey(), joiner: v.kind, negate, children: v.of.map((x) => fromJson(x)) };
  }
  if (v.kind === "tag" && typeof v.code === "string") return { type: "condition", key: newKey(), negate, op: ">=", value: "0", indicator: { kind: "TAG", code: v.code, name: v.code, value: null, valueLabel: null } };
  if (v.kind === "compare" && typeof v.op === "string" && OPS.includes(v.op as Op) && v.right?.kind === "literal") {
    const literal = v.right.value;
    if (v.left?.kind === "attribute" && typeof v.left.name === "string") {
      return { type: "condition", key: newKey(), negate, op: v.op as Op, value: String(literal), indicator: { kind: "ATTRIBUTE", code: v.left.name, name: v.left.name, value: null, valueLabel: null } };
    }
    if (v.left?.kind === "tagValue" && typeof v.left.code === "string" && v.op === "=") {
      return { type: "condition", key: newKey(), negate, op: "=", value: "", indicator: { kind: "TAG_VALUE", code: v.left.code, name: v.left.code, value: String(literal), valueLabel: String(literal) } };
    }
  }
  throw new Error(`the visual editor draws and, or, not, tag, and compare on an attribute or a tag's value; not ${JSON.stringify(value).slice(0, 80)}`);
}

/** `tree` with `change` applied to the node keyed `key` (null: removed). */
function edit(tree: Group, key: number, change: (n: Node) => Node | null): Group {
  const walk = (n: Node): Node | null => {
    if (n.key === key) return change(n);
    if (n.type === "condition") return n;
    return { ...n, children: n.children.map(walk).filter((c): c is Node => c !== null) };
  };
  return walk(tree) as Group;
}

function groupsOf(n: Node, depth = 0): Array<{ key: number; depth: number }> {
  return n.type === "group" ? [{ key: n.key, depth }, ...n.children.flatMap((c) => groupsOf(c, depth + 1))] : [];
}

/**
 * The segment builder: indicator search on the left; in the middle the visual editor (conditions
 * in AND/OR groups, groups inside groups; a search result goes into the group marked as the
 * target) with the JSON form beside it, either edited and the other following; on the right the
 * count, share and a distribution, asked of segmentPreview (nothing saved) as the expression changes.
 */
export function SegmentBuilder() {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [search, setSearch] = useState("");
  const [tree, setTree] = useState<Group>(emptyRoot);
  const [target, setTarget] = useState(0);
  const [jsonText, setJsonText] = useState("");
  const [jsonError, setJsonError] = useState<string | null>(null);
  useEffect(() => {
    // A keystroke's search waits for the next: one request per pause in typing.
    const timer = setTimeout(() => setSearch(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text]);
  const found = useQuery(SearchIndicatorsDocument, { text: search, first: 12 }, search === "");
  const json = useMemo(() => toJson(tree), [tree]);
  const preview = useQuery(SegmentPreviewDocument, { json, distributed: true, attribute: "arpu", intervals: 8, sample: 5 }, json === null);
  const result = json === null ? null : preview.data?.segmentPreview;

  /** A change made by clicks: the tree, and the JSON text redrawn from it. */
  const commit = (next: Group) => {
    setTree(next);
    const j = toJson(next);
    setJsonText(j === null ? "" : JSON.stringify(j, null, 2));
    setJsonError(null);
    if (!groupsOf(next).some((g) => g.key === target)) setTarget(0);
  };
  /** A change made in the text: the tree follows once the text parses and the editor can draw it. */
  const typed = (value: string) => {
    setJsonText(value);
    if (value.trim() === "") {
      setTree(emptyRoot());
      setJsonError(null);
      return;
    }
    try {
      const node = fromJson(JSON.parse(value));
      setTree(node.type === "group" && !node.negate ? { ...node, key: 0 } : { ...emptyRoot(), children: [node] });
      setTarget(0);
      setJsonError(null);
    } catch (error) {
      setJsonError(error instanceof Error ? error.message : String(error));
    }
  };
  const update = (key: number, change: Partial<Condition> | Partial<Group>) => commit(edit(tree, key, (n) => ({ ...n, ...change }) as Node));
  const remove = (key: number) => commit(edit(tree, key, () => null));
  const addTo = (groupKey: number, node: Node) => commit(edit(tree, groupKey, (g) => (g.type === "group" ? { ...g, children: [...g.children, node] } : g)));

  const distribution = result?.distribution ?? null;
  const option = useMemo<ChartOption | null>(
    () =>
      distribution
        ? {
            tooltip: {},
            grid: { left: 50, right: 10, top: 10, bottom: 40 },
            xAxis: { type: "category", data: distribution.buckets.map((b) => b.label), axisLabel: { rotate: 30 } },
            yAxis: { type: "value" },
            series: [{ type: "bar", data: distribution.buckets.map((b) => b.count), itemStyle: { color: "#0a6cd6" } }],
          }
        : null,
    [distribution],
  );

  const renderNode = (n: Node, depth: number): ReactNode => {
    if (n.type === "condition") {
      return (
        <div className="condition" key={n.key} data-testid="condition">
          <label>
            <input type="checkbox" checked={n.negate} onChange={(e) => update(n.key, { negate: e.target.checked })} /> NOT
          </label>
          <strong>
            {n.indicator.name}
            {n.indicator.valueLabel ? `：${n.indicator.valueLabel}` : ""}
          </strong>
          {n.indicator.kind === "ATTRIBUTE" && (
            <>
              <select value={n.op} onChange={(e) => update(n.key, { op: e.target.value as Op })}>
                {OPS.map((op) => (
                  <option key={op}>{op}</option>
                ))}
              </select>
              <input data-testid="condition-value" style={{ width: 90 }} value={n.value} onChange={(e) => update(n.key, { value: e.target.value })} />
            </>
          )}
          <button type="button" className="link" onClick={() => remove(n.key)}>
            {t("console.remove")}
          </button>
        </div>
      );
    }
    return (
      <div
        key={n.key}
        className="group grid"
        data-testid="group"
        data-depth={depth}
        data-target={target === n.key ? "true" : "false"}
        style={{ borderLeft: `3px solid ${target === n.key ? "#0a6cd6" : "#c9d6e6"}`, paddingLeft: 8, marginLeft: depth === 0 ? 0 : 12 }}
      >
        <div className="row">
          <label>
            <input type="checkbox" checked={n.negate} onChange={(e) => update(n.key, { negate: e.target.checked })} /> NOT
          </label>
          <select data-testid="group-joiner" value={n.joiner} onChange={(e) => update(n.key, { joiner: e.target.value as "and" | "or" })}>
            <option value="and">{t("console.all")}</option>
            <option value="or">{t("console.any")}</option>
          </select>
          <label>
            <input type="radio" name="segment-target" data-testid="group-target" checked={target === n.key} onChange={() => setTarget(n.key)} /> {t("console.target")}
          </label>
          <button
            type="button"
            className="secondary"
            data-testid="add-group"
            onClick={() => {
              const key = newKey();
              addTo(n.key, { type: "group", key, joiner: n.joiner === "and" ? "or" : "and", negate: false, children: [] });
              setTarget(key);
            }}
          >
            {t("console.addGroup")}
          </button>
          {depth > 0 && (
            <button type="button" className="link" onClick={() => remove(n.key)}>
              {t("console.remove")}
            </button>
          )}
        </div>
        {n.children.map((c) => renderNode(c, depth + 1))}
      </div>
    );
  };

  return (
    <div className="builder">
      <section className="card grid">
        <input data-testid="indicator-search" placeholder={t("console.search")} value={text} onChange={(e) => setText(e.target.value)} />
        {found.error && <p className="error">{found.error.message}</p>}
        <ul className="list" data-testid="indicators">
          {(search ? (found.data?.searchIndicators ?? []) : []).map((i) => (
            <li key={`${i.kind}:${i.code}:${i.value ?? ""}`} className="row">
              <span style={{ flex: 1 }}>
                {i.name}
                {i.valueLabel ? `：${i.valueLabel}` : ""} <span className="muted">{i.kind} · {i.customers ?? "—"}</span>
              </span>
              <button
                type="button"
                className="secondary"
                disabled={!i.usable}
                data-testid="add-indicator"
                onClick={() => addTo(target, { type: "condition", key: newKey(), indicator: { kind: i.kind, code: i.code, name: i.name, value: i.value, valueLabel: i.valueLabel }, op: ">=", value: "0", negate: false })}
              >
                +
              </button>
            </li>
          ))}
        </ul>
      </section>

      <section className="card grid">
        <h2>{t("console.expression")}</h2>
        {tree.children.length === 0 && <p className="muted">{t("console.emptyExpression")}</p>}
        {renderNode(tree, 0)}
        <div className="expression-text" data-testid="expression-text">
          {result?.expression ?? ""}
        </div>
        <textarea className="expression-text" data-testid="expression-json" rows={10} spellCheck={false} value={jsonText} onChange={(e) => typed(e.target.value)} />
        {jsonError && <p className="error">{jsonError}</p>}
        {preview.error && json !== null && <p className="error">{preview.error.message}</p>}
      </section>

      <section className="card grid">
        <div>
          <h3>{t("console.count")}</h3>
          <div className="big" data-testid="segment-count" data-count={result ? String(result.count) : ""} data-expression={result ? JSON.stringify(json) : ""}>
            {result ? result.count.toLocaleString() : "—"}
          </div>
          {result && (
            <div className="muted">
              {t("console.share")} {(result.share * 100).toFixed(2)}% / {result.customers.toLocaleString()}
            </div>
          )}
        </div>
        <div>
          <h3>{t("console.distribution")} · ARPU</h3>
          {option && <Chart option={option} height={200} testId="segment-distribution" />}
        </div>
        <div>
          <h3>{t("console.sample")}</h3>
          <ul className="list" data-testid="sample">
            {(result?.sample ?? []).map((s) => (
              <li key={s.id}>
                {s.name} · {s.msisdn} <span className="muted">{s.regionId}</span>
              </li>
            ))}
          </ul>
        </div>
      </section>
    </div>
  );
}
