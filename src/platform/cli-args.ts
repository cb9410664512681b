import { parseArgs } from "node:util";

/**
 * The command lines' shared parsing: string flags plus --help, strict, no positionals. Returns
 * the values, or the one sentence that says what is wrong (with the usage), for the caller to print.
 */
export function parseFlags<K extends string>(argv: readonly string[], names: readonly K[], usage: string): { values: Partial<Record<K, string>> } | { error: string } {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const name of names) options[name] = { type: "string" };
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    if (values.help) return { error: usage };
    const out: Partial<Record<K, string>> = {};
    for (const name of names) {
      const value = values[name];
      if (typeof value === "string") out[name] = value;
    }
    return { values: out };
  } catch (error) {
    return { error: `${error instanceof Error ? error.message.split("\n")[0] : String(error)} (${usage})` };
  }
}

/** `text` as a whole number within [min, max], or the sentence naming the flag and its range. */
export function wholeNumberFlag(flag: string, text: string, min: number, max: number): number | { error: string } {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    return { error: `--${flag} must be a whole number from ${min.toLocaleString("en")} to ${max.toLocaleString("en")}, not "${text}".` };
  }
  return n;
}
