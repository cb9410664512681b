import { useEffect, useMemo, useState } from "react";
import { SearchIndicatorsDocument, SegmentPreviewDocument, type SearchIndicatorsQuery } from "../../schema/generated/operations";
import { Chart, type ChartOption } from "../shared/chart";
import { useQuery } from "../shared/hooks";
import { useI18n } from "../shared/i18n";

type Indicator = SearchIndicatorsQuery["searchIndicators"][number];

/** One condition of the visual editor: a tag held, a tag's value, or an attribute compared with a number. */
interface Condition {
  key: number;
  indicator: Indicator;
  op: "=" | "!=" | "<" | "<=" | ">" | ">=";
  value: string;
  negate: boolean;
}

const OPS: Condition["op"][] = ["=", "!=", ">", ">=", "<", "<="];

/** The segment language's JSON form (src/segments/expression) for one condition. */
function conditionJson(c: Condition): unknown {
  const i = c.indicator;
  let node: unknown;
  if (i.kind === "ATTRIBUTE") {
    const numeric = c.value.trim() !== "" && Number.isFinite(Number(c.value));
    node = { kind: "compare", op: c.op, left: { kind: "attribute", name: i.code }, right: { kind: "literal", value: numeric ? Number(c.value) : c.value } };
  } else if (i.value != null) {
    node = { kind: "compare", op: "=", left: { kind: "tagValue", code: i.code }, right: { kind: "literal", value: i.value } };
  } else {
    node = { kind: "tag", code: i.code };
  }
  return c.negate ? { kind: "not", of: node } : node;
}

/**
 * The segment builder: indicator search on the left, the visual editor on the JSON form in the
 * middle with its text beside it, and the count, share and a distribution on the right, asked of
 * segmentPreview (nothing saved) as the expression changes.
 */
export function SegmentBuilder() {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [search, setSearch] = useState("");
  const [conditions, setConditions] = useState<Condition[]>([]);
  const [joiner, setJoiner] = useState<"and" | "or">("and");
  useEffect(() => {
    // A keystroke's search waits for the next: one request per pause in typing.
    const timer = setTimeout(() => setSearch(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text]);
  const found = useQuery(SearchIndicatorsDocument, { text: search, first: 12 }, search === "");
  const json = useMemo(() => {
    if (conditions.length === 0) return null;
    const parts = conditions.map(conditionJson);
    return parts.length === 1 ? parts[0] : { kind: joiner, of: parts };
  }, [conditions, joiner]);
  const preview = useQuery(SegmentPreviewDocument, { json, distributed: true, attribute: "arpu", intervals: 8, sample: 5 }, json === null);
  const result = json === null ? null : preview.data?.segmentPreview;

  const update = (key: number, change: Partial<Condition>) => setConditions((list) => list.map((c) => (c.key === key ? { ...c, ...change } : c)));
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
              <button type="button" className="secondary" disabled={!i.usable} data-testid="add-indicator" onClick={() => setConditions((list) => [...list, { key: Date.now() + Math.random(), indicator: i, op: ">=", value: "0", negate: false }])}>
                +
              </button>
            </li>
          ))}
        </ul>
      </section>

      <section className="card grid">
        <div className="row">
          <h2 style={{ flex: 1 }}>{t("console.expression")}</h2>
          <select value={joiner} onChange={(e) => setJoiner(e.target.value as "and" | "or")}>
            <option value="and">{t("console.all")}</option>
            <option value="or">{t("console.any")}</option>
          </select>
        </div>
        {conditions.length === 0 && <p className="muted">{t("console.emptyExpression")}</p>}
        {conditions.map((c) => (
          <div className="condition" key={c.key} data-testid="condition">
            <label>
              <input type="checkbox" checked={c.negate} onChange={(e) => update(c.key, { negate: e.target.checked })} /> NOT
            </label>
            <strong>
              {c.indicator.name}
              {c.indicator.valueLabel ? `：${c.indicator.valueLabel}` : ""}
            </strong>
            {c.indicator.kind === "ATTRIBUTE" && (
              <>
                <select value={c.op} onChange={(e) => update(c.key, { op: e.target.value as Condition["op"] })}>
                  {OPS.map((op) => (
                    <option key={op}>{op}</option>
                  ))}
                </select>
                <input data-testid="condition-value" style={{ width: 90 }} value={c.value} onChange={(e) => update(c.key, { value: e.target.value })} />
              </>
            )}
            <button type="button" className="link" onClick={() => setConditions((list) => list.filter((x) => x.key !== c.key))}>
              {t("console.remove")}
            </button>
          </div>
        ))}
        <div className="expression-text" data-testid="expression-text">
          {result?.expression ?? ""}
        </div>
        <pre className="expression-text" data-testid="expression-json">
          {json === null ? "" : JSON.stringify(json, null, 2)}
        </pre>
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
