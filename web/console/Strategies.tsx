import { useMemo, useState } from "react";
import { StrategiesDocument, StrategyCubeDocument, type MarketingStatus, type StrategiesQuery } from "../../schema/generated/operations";
import { useQuery } from "../shared/hooks";
import { useI18n } from "../shared/i18n";

type Strategy = StrategiesQuery["strategies"][number];

const DAY = 86_400_000;
/** The cube's axes as the strategy API has them; lifecycleStage null is "any stage" (the cube's ANY). */
const AXES = ["businessLine", "scenario", "lifecycleStage"] as const;
type Axis = (typeof AXES)[number];
const axisValue = (s: Strategy, axis: Axis): string => (axis === "lifecycleStage" ? (s.lifecycleStage ?? "ANY") : s[axis]);
const cellKey = (line: string, scenario: string, stage: string): string => `${line}|${scenario}|${stage}`;

/**
 * The strategy centre by the cube: strategies filtered on business line × scenario × lifecycle
 * stage (× channel) and status, grouped by cell, each cell with what its decisions came to over
 * the last 30 days (strategyCube: decisions, orders, uplift over the control group).
 */
export function StrategiesByCube() {
  const { t, tx } = useI18n();
  const [status, setStatus] = useState<MarketingStatus | "">("ACTIVE");
  const [filter, setFilter] = useState<Record<Axis | "channel", string>>({ businessLine: "", scenario: "", lifecycleStage: "", channel: "" });
  const list = useQuery(StrategiesDocument, { status: status || null });
  const range = useMemo(() => {
    const to = Math.ceil((Date.now() + 1) / DAY) * DAY;
    return { from: new Date(to - 30 * DAY).toISOString(), to: new Date(to).toISOString() };
  }, []);
  const cube = useQuery(StrategyCubeDocument, range);
  const all = useMemo(() => list.data?.strategies ?? [], [list.data]);
  const values = useMemo(() => {
    const of = (f: (s: Strategy) => string[]) => [...new Set(all.flatMap(f))].sort();
    return { businessLine: of((s) => [s.businessLine]), scenario: of((s) => [s.scenario]), lifecycleStage: of((s) => [axisValue(s, "lifecycleStage")]), channel: of((s) => s.channels.map((c) => c.code)) };
  }, [all]);
  const shown = all.filter((s) => AXES.every((a) => !filter[a] || axisValue(s, a) === filter[a]) && (!filter.channel || s.channels.some((c) => c.code === filter.channel)));
  const groups = useMemo(() => {
    const map = new Map<string, Strategy[]>();
    for (const s of shown) {
      const key = cellKey(s.businessLine, s.scenario, axisValue(s, "lifecycleStage"));
      map.set(key, [...(map.get(key) ?? []), s]);
    }
    return [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [shown]);
  const cells = useMemo(() => new Map((cube.data?.strategyCube ?? []).map((c) => [cellKey(c.businessLine, c.scenario, c.lifecycleStage), c])), [cube.data]);

  return (
    <section className="section grid" data-testid="strategies">
      <div className="card row">
        <label>
          {t("console.status")}{" "}
          <select data-testid="strategy-status" value={status} onChange={(e) => setStatus(e.target.value as MarketingStatus | "")}>
            <option value="">{t("strategy.anyStatus")}</option>
            <option value="ACTIVE">ACTIVE</option>
            <option value="RETIRED">RETIRED</option>
          </select>
        </label>
        {(["businessLine", "scenario", "lifecycleStage", "channel"] as const).map((axis) => (
          <label key={axis}>
            {tx(`strategy.${axis}`)}{" "}
            <select data-testid={`strategy-${axis}`} value={filter[axis]} onChange={(e) => setFilter({ ...filter, [axis]: e.target.value })}>
              <option value="">{t("strategy.all")}</option>
              {values[axis].map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
        ))}
        <span className="muted" data-testid="strategy-count" data-count={list.data ? String(shown.length) : ""}>
          {shown.length} / {all.length}
        </span>
      </div>
      {list.error && <p className="error">{list.error.message}</p>}
      {groups.map(([key, strategies]) => {
        const cell = cells.get(key);
        return (
          <div className="card grid" key={key} data-testid="cube-cell" data-cell={key}>
            <h3>
              {key.split("|").join(" × ")}{" "}
              <span className="muted">
                {t("strategy.decisions30")} {cell?.decisions ?? 0} · {t("eval.orderRate")} {cell?.orderRate == null ? "—" : `${(cell.orderRate * 100).toFixed(1)}%`} · {t("eval.uplift")}{" "}
                {cell?.uplift ? `${(cell.uplift.value * 100).toFixed(1)}% [${(cell.uplift.lower * 100).toFixed(1)}%, ${(cell.uplift.upper * 100).toFixed(1)}%]` : "—"}
              </span>
            </h3>
            <table>
              <tbody>
                {strategies.map((s) => (
                  <tr key={s.id} data-testid="strategy" data-strategy-id={s.id}>
                    <td>{s.code}</td>
                    <td>{s.name}</td>
                    <td>
                      {s.status}
                      {s.pendingChange ? <span className="chip warn">{s.pendingChange.action}</span> : null}
                    </td>
                    <td className="muted">{s.channels.map((c) => tx(`channel.${c.code}`)).join("、")}</td>
                    <td className="muted">
                      {s.segment.name} · v{s.version} · {t("strategy.control")} {(s.controlShare * 100).toFixed(0)}%
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </section>
  );
}
