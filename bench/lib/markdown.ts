/** A Markdown table; every row must have as many cells as there are headers. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly ("l" | "r")[]): string {
  const rule = headers.map((_, i) => (align?.[i] === "r" ? "---:" : "---"));
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(rule), ...rows.map(line)].join("\n");
}

/**
 * 12345.6 → "12,346", 42.25 → "42.3", 4.225 → "4.23" (with digits 2): small numbers keep their
 * decimals so they stay readable. Digits 0 always rounds to a whole number.
 */
export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  const decimals = magnitude < 10 ? digits : magnitude < 100 ? Math.min(digits, 1) : 0;
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** 0.9612 → "96.1 %". */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}
