/** Small statistics and table helpers shared by the benchmarks (bench/) and the fault harness. */
export const sorted = (xs: ReadonlyArray<number>) => xs.slice().sort((a, b) => a - b)
export const median = (xs: ReadonlyArray<number>) => sorted(xs)[xs.length >> 1] ?? Number.NaN
export const pct = (xs: ReadonlyArray<number>, p: number) =>
  sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? Number.NaN

export const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n")
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")
