import { evaluate, parse, type Scrape } from "./promql.js"

interface Panel {
  readonly title: string
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  readonly fieldConfig: { readonly defaults: { readonly unit: string } }
  readonly targets: ReadonlyArray<{ readonly expr: string; readonly legendFormat: string }>
}

const COLORS = ["#3b82f6", "#f97316", "#22c55e", "#e11d48", "#8b5cf6", "#06b6d4", "#eab308", "#ec4899"]
const W = 560
const H = 250
const PAD = { l: 58, r: 12, t: 26, b: 66 }
const MAX_SERIES = 8

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

const fmt = (v: number, unit: string): string => {
  const n = (x: number, d = 2) => Number(x.toPrecision(d)).toString()
  if (unit === "s") return v === 0 ? "0" : v < 1e-3 ? `${n(v * 1e6)} µs` : v < 1 ? `${n(v * 1e3)} ms` : `${n(v)} s`
  if (unit === "bytes") return v < 1024 ? `${n(v)} B` : v < 1024 ** 2 ? `${n(v / 1024)} KiB` : `${n(v / 1024 ** 2)} MiB`
  if (unit === "reqps") return `${n(v)}/s`
  return v >= 1000 ? `${n(v / 1000)}k` : n(v)
}

const legend = (format: string, labels: Readonly<Record<string, string>>) =>
  format.replace(/\{\{(\w+)\}\}/g, (_, k: string) => labels[k] ?? "")

/** One panel as an SVG group: every target evaluated at every scrape, one line per series. */
const panelSvg = (panel: Panel, scrapes: ReadonlyArray<Scrape>, ox: number, oy: number): string => {
  const unit = panel.fieldConfig.defaults.unit
  const lines = new Map<string, Array<[number, number]>>()
  for (const target of panel.targets) {
    const node = parse(target.expr)
    for (let i = 0; i < scrapes.length; i++)
      for (const s of evaluate(node, scrapes, i)) {
        if (!Number.isFinite(s.value)) continue
        const name = legend(target.legendFormat, s.labels) || target.legendFormat
        let pts = lines.get(name)
        if (pts === undefined) lines.set(name, (pts = []))
        pts.push([scrapes[i]!.t, s.value])
      }
  }
  // The busiest series first; a panel shows at most MAX_SERIES of them.
  const shown = [...lines]
    .sort((a, b) => Math.max(...b[1].map((p) => p[1])) - Math.max(...a[1].map((p) => p[1])))
    .slice(0, MAX_SERIES)
  const t0 = scrapes[0]!.t
  const t1 = scrapes.at(-1)!.t
  const peak = Math.max(0, ...shown.flatMap(([, pts]) => pts.map((p) => p[1])))
  // An all-zero panel (no timeouts: good news) keeps a readable 0–1 scale.
  const maxV = peak > 0 ? peak : 1
  const x = (t: number) => ox + PAD.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.l - PAD.r)
  const y = (v: number) => oy + PAD.t + (1 - v / maxV) * (H - PAD.t - PAD.b)
  const out: Array<string> = [
    `<rect x="${ox}" y="${oy}" width="${W}" height="${H}" rx="4" fill="#181b1f" stroke="#2c3235"/>`,
    `<text x="${ox + 10}" y="${oy + 17}" fill="#d8d9da" font-size="12" font-weight="600">${esc(panel.title)}</text>`,
  ]
  for (const f of [0, 0.5, 1]) {
    const yy = y(maxV * f)
    out.push(
      `<line x1="${ox + PAD.l}" x2="${ox + W - PAD.r}" y1="${yy}" y2="${yy}" stroke="#2c3235"/>`,
      `<text x="${ox + PAD.l - 6}" y="${yy + 4}" fill="#8e8e8e" font-size="10" text-anchor="end">${esc(fmt(maxV * f, unit))}</text>`,
    )
  }
  const minutes = (t1 - t0) / 60_000
  out.push(
    `<text x="${ox + PAD.l}" y="${oy + H - PAD.b + 14}" fill="#8e8e8e" font-size="10">0</text>`,
    `<text x="${ox + W - PAD.r}" y="${oy + H - PAD.b + 14}" fill="#8e8e8e" font-size="10" text-anchor="end">${minutes.toFixed(1)} min</text>`,
  )
  if (shown.length === 0)
    out.push(
      `<text x="${ox + W / 2}" y="${oy + H / 2}" fill="#8e8e8e" font-size="11" text-anchor="middle">no data in this run</text>`,
    )
  shown.forEach(([name, pts], k) => {
    const color = COLORS[k % COLORS.length]!
    const d = pts.map(([t, v], i) => `${i === 0 ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join("")
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`)
    const lx = ox + 14 + (k % 2) * 270
    const ly = oy + H - 38 + Math.floor(k / 2) * 12
    out.push(
      `<rect x="${lx}" y="${ly - 7}" width="8" height="8" fill="${color}"/>`,
      `<text x="${lx + 12}" y="${ly}" fill="#c7d0d9" font-size="10">${esc(name.replace("/api/v1", "").slice(0, 46))}</text>`,
    )
  })
  return out.join("")
}

/** The whole dashboard as one SVG, laid out on Grafana's grid (24 columns). */
export const renderDashboard = (
  dashboard: { readonly title: string; readonly panels: ReadonlyArray<Panel> },
  scrapes: ReadonlyArray<Scrape>,
  caption: string,
): string => {
  const cols = 2
  const rows = Math.ceil(dashboard.panels.length / cols)
  const width = cols * (W + 10) + 10
  const height = rows * (H + 10) + 50
  const body = dashboard.panels.map((p, i) =>
    panelSvg(p, scrapes, 10 + (p.gridPos.x >= 12 ? 1 : 0) * (W + 10), 40 + Math.floor(i / cols) * (H + 10)),
  )
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Inter, Helvetica, Arial, sans-serif">`,
    `<title>${esc(dashboard.title)}: ${esc(caption)}</title>`,
    `<rect width="${width}" height="${height}" fill="#111217"/>`,
    `<text x="10" y="25" fill="#d8d9da" font-size="15" font-weight="600">${esc(dashboard.title)}</text>`,
    `<text x="${width - 10}" y="25" fill="#8e8e8e" font-size="11" text-anchor="end">${esc(caption)}</text>`,
    ...body,
    "</svg>",
  ].join("\n")
}
