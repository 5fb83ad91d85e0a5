/**
 * Just enough PromQL to draw docs/grafana/vibestack-dashboard.json from scraped samples (no
 * Grafana or Prometheus here): selectors with `=` matchers, `rate` and `increase` over a range,
 * `sum|max [by (labels)] (expr)`, `histogram_quantile(q, expr)` (linear within a bucket, as
 * Prometheus does) and `expr / number`. Anything else is refused, so the picture shows
 * exactly what the dashboard's queries would.
 */

export type Labels = Readonly<Record<string, string>>
/** One scrape: series key → value, plus each key's labels. */
export interface Scrape {
  readonly t: number
  readonly values: ReadonlyMap<string, { readonly name: string; readonly labels: Labels; readonly value: number }>
}
export interface Series {
  readonly labels: Labels
  readonly value: number
}

type Node =
  | { _tag: "Selector"; name: string; matchers: Array<[string, string]> }
  | { _tag: "Range"; fn: "rate" | "increase"; selector: Node & { _tag: "Selector" }; windowS: number }
  | { _tag: "Aggregate"; op: "sum" | "max"; by: Array<string> | undefined; expr: Node }
  | { _tag: "Quantile"; q: number; expr: Node }
  | { _tag: "Divide"; expr: Node; by: number }

/** Parses the exposition text format (what /metrics answers). */
export const parseExposition = (text: string, t: number): Scrape => {
  const values = new Map<string, { name: string; labels: Labels; value: number }>()
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    values.set(line.slice(0, line.lastIndexOf(" ")), { name: m[1]!, labels, value: Number(m[3]) })
  }
  return { t, values }
}

const tokenize = (s: string) => s.match(/[a-zA-Z_:][\w:]*|\d+(?:\.\d+)?(?:e\d+)?[smh]?|"[^"]*"|[(){}[\],=/]/g) ?? []

export const parse = (expr: string): Node => {
  const toks = tokenize(expr)
  let i = 0
  const peek = () => toks[i]
  const take = (want?: string) => {
    const t = toks[i++]
    if (t === undefined || (want !== undefined && t !== want)) throw new Error(`${expr}: expected ${want} at ${t}`)
    return t
  }
  const labelList = () => {
    take("(")
    const out: Array<string> = []
    while (peek() !== ")") {
      out.push(take())
      if (peek() === ",") take(",")
    }
    take(")")
    return out
  }
  const selector = (): Node & { _tag: "Selector" } => {
    const name = take()
    const matchers: Array<[string, string]> = []
    if (peek() === "{") {
      take("{")
      while (peek() !== "}") {
        const k = take()
        take("=")
        matchers.push([k, take().slice(1, -1)])
        if (peek() === ",") take(",")
      }
      take("}")
    }
    return { _tag: "Selector", name, matchers }
  }
  const primary = (): Node => {
    const t = peek()!
    if (t === "rate" || t === "increase") {
      take()
      take("(")
      const sel = selector()
      take("[")
      const w = take()
      take("]")
      take(")")
      const unit = w.at(-1)
      const n = Number.parseFloat(w)
      return { _tag: "Range", fn: t, selector: sel, windowS: unit === "m" ? n * 60 : unit === "h" ? n * 3600 : n }
    }
    if (t === "sum" || t === "max") {
      take()
      let by: Array<string> | undefined
      if (peek() === "by") {
        take("by")
        by = labelList()
      }
      take("(")
      const inner = expression()
      take(")")
      return { _tag: "Aggregate", op: t, by, expr: inner }
    }
    if (t === "histogram_quantile") {
      take()
      take("(")
      const q = Number(take())
      take(",")
      const inner = expression()
      take(")")
      return { _tag: "Quantile", q, expr: inner }
    }
    return selector()
  }
  const expression = (): Node => {
    let node = primary()
    while (peek() === "/") {
      take("/")
      node = { _tag: "Divide", expr: node, by: Number(take()) }
    }
    return node
  }
  const node = expression()
  if (i !== toks.length) throw new Error(`${expr}: unexpected ${toks[i]}`)
  return node
}

const matches = (s: { name: string; labels: Labels }, sel: { name: string; matchers: Array<[string, string]> }) =>
  s.name === sel.name && sel.matchers.every(([k, v]) => s.labels[k] === v)

/** Evaluates `node` at scrape index `at` of `scrapes` (oldest first). */
export const evaluate = (node: Node, scrapes: ReadonlyArray<Scrape>, at: number): Array<Series> => {
  const now = scrapes[at]!
  switch (node._tag) {
    case "Selector":
      return [...now.values.values()].filter((s) => matches(s, node)).map((s) => ({ labels: s.labels, value: s.value }))
    case "Range": {
      // The oldest scrape inside the window, as Prometheus extrapolates from the samples it has.
      let from = at
      while (from > 0 && now.t - scrapes[from - 1]!.t <= node.windowS * 1000) from--
      if (from === at) return []
      const then = scrapes[from]!
      const seconds = (now.t - then.t) / 1000
      const out: Array<Series> = []
      for (const [key, s] of now.values) {
        if (!matches(s, node.selector)) continue
        const before = then.values.get(key)?.value ?? 0
        const delta = Math.max(0, s.value - before)
        out.push({ labels: s.labels, value: node.fn === "rate" ? delta / seconds : (delta / seconds) * node.windowS })
      }
      return out
    }
    case "Aggregate": {
      const groups = new Map<string, { labels: Record<string, string>; value: number }>()
      for (const s of evaluate(node.expr, scrapes, at)) {
        const labels: Record<string, string> = {}
        for (const k of node.by ?? []) if (s.labels[k] !== undefined) labels[k] = s.labels[k]!
        const key = JSON.stringify(labels)
        const g = groups.get(key)
        if (g === undefined) groups.set(key, { labels, value: s.value })
        else g.value = node.op === "sum" ? g.value + s.value : Math.max(g.value, s.value)
      }
      return [...groups.values()]
    }
    case "Quantile": {
      const groups = new Map<string, { labels: Record<string, string>; buckets: Array<[number, number]> }>()
      for (const s of evaluate(node.expr, scrapes, at)) {
        const { le, ...rest } = s.labels
        const key = JSON.stringify(rest)
        let g = groups.get(key)
        if (g === undefined) groups.set(key, (g = { labels: rest, buckets: [] }))
        g.buckets.push([le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), s.value])
      }
      const out: Array<Series> = []
      for (const g of groups.values()) {
        const b = g.buckets.sort((x, y) => x[0] - y[0])
        const total = b.at(-1)?.[1] ?? 0
        if (total <= 0) continue
        const rank = node.q * total
        let i = b.findIndex(([, c]) => c >= rank)
        if (i < 0) i = b.length - 1
        const [upper, count] = b[i]!
        const [lower, below] = i === 0 ? [0, 0] : b[i - 1]!
        const value =
          upper === Number.POSITIVE_INFINITY
            ? lower
            : lower + (upper - lower) * ((rank - below) / Math.max(1e-12, count - below))
        out.push({ labels: g.labels, value })
      }
      return out
    }
    case "Divide":
      return evaluate(node.expr, scrapes, at).map((s) => ({ labels: s.labels, value: s.value / node.by }))
  }
}
