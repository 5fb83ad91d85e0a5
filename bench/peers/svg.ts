/** Plain SVG text for the peer benchmark's charts (no chart library): CDFs and rate ramps. */
import { sorted } from "@vibestack/server/src/test/stats.js"

export const colors: Record<string, string> = {
  VibeStack: "#d62728",
  Hocuspocus: "#1f77b4",
  "y-websocket": "#2ca02c",
  "loro-websocket": "#9467bd",
}

const W = 720
const H = 420
const M = { l: 64, r: 170, t: 40, b: 52 }
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;")

const frame = (title: string, xLabel: string, yLabel: string, body: Array<string>) =>
  [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    // A title makes the chart readable to screen readers (and biome's a11y lint).
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<text x="${M.l + (W - M.l - M.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${M.t + (H - M.t - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n")

const logTicks = (lo: number, hi: number) => {
  const ticks: Array<number> = []
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e
      if (v >= lo && v <= hi) ticks.push(v)
    }
  return ticks
}

const legend = (names: ReadonlyArray<string>) =>
  names.map(
    (n, i) =>
      `<rect x="${W - M.r + 16}" y="${M.t + i * 20}" width="14" height="3" fill="${colors[n] ?? "#333"}"/>` +
      `<text x="${W - M.r + 36}" y="${M.t + i * 20 + 5}">${esc(n)}</text>`,
  )

/** Cumulative distribution of latencies per system, log-scale x axis. */
export const cdfChart = (title: string, series: ReadonlyArray<{ name: string; values: ReadonlyArray<number> }>) => {
  const all = series.flatMap((s) => s.values).filter((v) => v > 0)
  if (all.length === 0) return frame(title, "no data", "", [])
  // reduce, not spread: hundreds of thousands of samples overflow the argument stack.
  const lo = Math.max(0.05, all.reduce((a, b) => Math.min(a, b)) * 0.8)
  const hi = all.reduce((a, b) => Math.max(a, b)) * 1.2
  const x = (v: number) =>
    M.l + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / Math.log10(hi / lo)) * (W - M.l - M.r)
  const y = (p: number) => H - M.b - p * (H - M.t - M.b)
  const body: Array<string> = []
  for (const t of logTicks(lo, hi))
    body.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${M.t}" y2="${H - M.b}" stroke="#eee"/>`,
      `<text x="${x(t)}" y="${H - M.b + 16}" text-anchor="middle">${t}</text>`,
    )
  for (const p of [0, 0.25, 0.5, 0.75, 0.9, 0.99])
    body.push(
      `<line x1="${M.l}" x2="${W - M.r}" y1="${y(p)}" y2="${y(p)}" stroke="${p === 0.5 || p === 0.99 ? "#ccc" : "#f3f3f3"}"/>`,
      `<text x="${M.l - 6}" y="${y(p) + 4}" text-anchor="end">p${Math.round(p * 100)}</text>`,
    )
  for (const s of series) {
    const xs = sorted(s.values)
    if (xs.length === 0) continue
    const step = Math.max(1, Math.floor(xs.length / 400))
    const pts: Array<string> = []
    for (let i = 0; i < xs.length; i += step) pts.push(`${x(xs[i]!).toFixed(1)},${y((i + 1) / xs.length).toFixed(1)}`)
    pts.push(`${x(xs[xs.length - 1]!).toFixed(1)},${y(1).toFixed(1)}`)
    body.push(`<polyline fill="none" stroke="${colors[s.name] ?? "#333"}" stroke-width="2" points="${pts.join(" ")}"/>`)
  }
  body.push(...legend(series.map((s) => s.name)))
  return frame(title, "latency, ms (log scale)", "share of deliveries", body)
}

/** p99 acknowledgement latency against the offered rate, per system, log-log. */
export const rampChart = (
  title: string,
  series: ReadonlyArray<{ name: string; points: ReadonlyArray<{ rate: number; p99: number }> }>,
  limitMs: number,
) => {
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.p99))
  if (pts.length === 0) return frame(title, "no passing step", "", [])
  const rLo = Math.min(...pts.map((p) => p.rate)) / 1.3
  const rHi = Math.max(...pts.map((p) => p.rate)) * 1.3
  const lLo = Math.max(0.1, Math.min(...pts.map((p) => p.p99)) / 1.5)
  const lHi = Math.max(limitMs * 2, ...pts.map((p) => p.p99)) * 1.2
  const x = (r: number) => M.l + (Math.log10(r / rLo) / Math.log10(rHi / rLo)) * (W - M.l - M.r)
  const y = (v: number) => H - M.b - (Math.log10(Math.max(v, lLo) / lLo) / Math.log10(lHi / lLo)) * (H - M.t - M.b)
  const body: Array<string> = []
  for (const t of logTicks(rLo, rHi))
    body.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${M.t}" y2="${H - M.b}" stroke="#eee"/>`,
      `<text x="${x(t)}" y="${H - M.b + 16}" text-anchor="middle">${t}</text>`,
    )
  for (const t of logTicks(lLo, lHi))
    body.push(
      `<line x1="${M.l}" x2="${W - M.r}" y1="${y(t)}" y2="${y(t)}" stroke="#f3f3f3"/>`,
      `<text x="${M.l - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`,
    )
  body.push(
    `<line x1="${M.l}" x2="${W - M.r}" y1="${y(limitMs)}" y2="${y(limitMs)}" stroke="#999" stroke-dasharray="6 4"/>`,
    `<text x="${W - M.r - 4}" y="${y(limitMs) - 4}" text-anchor="end" fill="#666">p99 limit ${limitMs} ms</text>`,
  )
  for (const s of series) {
    const ok = s.points.filter((p) => Number.isFinite(p.p99))
    const c = colors[s.name] ?? "#333"
    body.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2" points="${ok.map((p) => `${x(p.rate).toFixed(1)},${y(p.p99).toFixed(1)}`).join(" ")}"/>`,
      ...ok.map((p) => `<circle cx="${x(p.rate).toFixed(1)}" cy="${y(p.p99).toFixed(1)}" r="3" fill="${c}"/>`),
    )
  }
  body.push(...legend(series.map((s) => s.name)))
  return frame(title, "offered edits/s (log scale)", "ack p99, ms (log scale)", body)
}
