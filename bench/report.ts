/**
 * The bench's printout, built up as the run goes and printed once at the end: the setting
 * (machine, data set, load), then one table per thing measured, then notes. Later benches add a
 * table or rows (decisions per second, push latency) through {@link BenchReport.table}; they do
 * not print on their own, so every figure appears in one place and one format.
 */

/** A table cell: numbers are formatted by their column, null prints as "–". */
export type Cell = string | number | null;

export interface Column {
  key: string;
  title: string;
  /** How a number in this column is printed (default: up to one decimal). */
  format?: (value: number) => string;
}

/** Formats a number with `digits` decimals and thousands separators. */
export function fixed(digits: number): (value: number) => string {
  return (value) => (Number.isFinite(value) ? value.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–");
}

/** A titled table whose rows are keyed by column. */
export class FigureTable {
  private readonly rows: Array<Record<string, Cell>> = [];

  constructor(
    readonly title: string,
    private readonly columns: readonly Column[],
  ) {}

  row(cells: Record<string, Cell>): this {
    this.rows.push(cells);
    return this;
  }

  render(): string {
    const text = (column: Column, cell: Cell | undefined): string => {
      if (cell === null || cell === undefined) return "–";
      if (typeof cell === "string") return cell;
      return (column.format ?? fixed(1))(cell);
    };
    const grid = [this.columns.map((c) => c.title), ...this.rows.map((r) => this.columns.map((c) => text(c, r[c.key])))];
    const widths = this.columns.map((_, i) => Math.max(...grid.map((line) => displayWidth(line[i] ?? ""))));
    // The first column is a label (left-aligned); figures are right-aligned so digits line up.
    const line = (cells: readonly string[]): string =>
      cells.map((cell, i) => (i === 0 ? padEnd(cell, widths[i] ?? 0) : padStart(cell, widths[i] ?? 0))).join("  ");
    const [header, ...body] = grid;
    const rule = widths.map((w) => "-".repeat(w)).join("  ");
    return [this.title, line(header ?? []), rule, ...body.map(line)].join("\n");
  }
}

/** The whole printout. */
export class BenchReport {
  private readonly setting: Array<[string, string]> = [];
  private readonly tables: FigureTable[] = [];
  private readonly notes: string[] = [];

  constructor(private readonly title: string) {}

  /** A line of the setting, e.g. ("machine", "2 cores, 23.4 GiB"). */
  set(label: string, value: string): this {
    this.setting.push([label, value]);
    return this;
  }

  /** The table with this title, created with `columns` the first time it is asked for. */
  table(title: string, columns: readonly Column[]): FigureTable {
    const existing = this.tables.find((t) => t.title === title);
    if (existing) return existing;
    const created = new FigureTable(title, columns);
    this.tables.push(created);
    return created;
  }

  note(text: string): this {
    this.notes.push(text);
    return this;
  }

  render(): string {
    const labelWidth = Math.max(0, ...this.setting.map(([label]) => label.length));
    const parts = [
      `== ${this.title} ==`,
      this.setting.map(([label, value]) => `${label.padEnd(labelWidth)}  ${value}`).join("\n"),
      ...this.tables.map((t) => t.render()),
    ];
    if (this.notes.length > 0) parts.push(["notes", ...this.notes.map((n) => `- ${n}`)].join("\n"));
    return parts.filter((p) => p.length > 0).join("\n\n");
  }
}

/** Width in terminal columns: CJK characters take two. */
function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return width;
}

function padEnd(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - displayWidth(s)));
}

function padStart(s: string, width: number): string {
  return " ".repeat(Math.max(0, width - displayWidth(s))) + s;
}
