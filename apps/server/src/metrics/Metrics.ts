import { Effect } from "effect"
import * as prom from "prom-client"
import { type CounterName, catalog, type GaugeName, type HistogramName, type MetricDef } from "./catalog.js"

export type LabelValues = Readonly<Record<string, string | number>>
/** A gauge's value when scraped: one number, or one per label set. */
export type GaugeReading = number | ReadonlyArray<readonly [LabelValues, number]>

/**
 * The server's Prometheus registry (prom-client), one per server so several servers can run
 * in one process. Every metric of `catalog.ts` is registered when the service starts, at zero,
 * with Node's process and event-loop metrics beside them. Call sites keep a small API:
 * `inc` a counter, `observe` a histogram, `gauge` binds a reader called at scrape (so a gauge
 * never goes stale), `render` the text exposition.
 */
export class Metrics extends Effect.Service<Metrics>()("Metrics", {
  sync: () => {
    const registry = new prom.Registry()
    prom.collectDefaultMetrics({ register: registry })
    const readers = new Map<string, () => GaugeReading>()
    const counters = new Map<string, prom.Counter>()
    const histograms = new Map<string, prom.Histogram>()

    /** Each metric's label names, in the catalog's order (`childOf`). */
    const labelNamesOf = new Map<string, ReadonlyArray<string>>()

    for (const [name, def] of Object.entries(catalog) as Array<[string, MetricDef]>) {
      const labelNames = [...(def.labels ?? [])]
      labelNamesOf.set(name, labelNames)
      if (def.type === "counter") {
        const c = new prom.Counter({ name, help: def.help, labelNames, registers: [registry] })
        for (const labels of def.initial ?? []) c.inc(labels, 0)
        counters.set(name, c)
      } else if (def.type === "histogram") {
        const h = new prom.Histogram({
          name,
          help: def.help,
          labelNames,
          buckets: [...def.buckets],
          registers: [registry],
        })
        for (const labels of def.initial ?? []) h.zero(labels)
        histograms.set(name, h)
      } else {
        new prom.Gauge({
          name,
          help: def.help,
          labelNames,
          registers: [registry],
          collect() {
            const read = readers.get(name)
            if (read === undefined) {
              if (labelNames.length === 0) this.set(0)
              return
            }
            const value = read()
            if (typeof value === "number") this.set(value)
            else {
              // Label sets come and go (the most lagging workspaces): only the current ones are shown.
              this.reset()
              for (const [labels, v] of value) this.set(labels, v)
            }
          },
        })
      }
    }

    /**
     * prom-client hashes a label object on every call (sorted keys joined into a string); a
     * push observes several labelled metrics, so children are kept in maps keyed by the label
     * values in the metric's label order, and a call finds its child without allocating. A
     * child is made (and its labels validated by prom-client) on its first use.
     */
    const children = new Map<string, Map<unknown, unknown>>()
    const childOf = <C>(name: string, metric: { labels(labels: LabelValues): C }, labels: LabelValues): C => {
      const names = labelNamesOf.get(name)!
      let given = 0
      for (const _ in labels) given++
      // Labels the catalog does not name: prom-client refuses them, so let it.
      if (given !== names.length || names.length === 0) return metric.labels(labels)
      let level = children.get(name)
      if (level === undefined) children.set(name, (level = new Map()))
      for (let i = 0; i < names.length - 1; i++) {
        const value = labels[names[i]!]
        let next = level.get(value) as Map<unknown, unknown> | undefined
        if (next === undefined) level.set(value, (next = new Map()))
        level = next
      }
      const last = labels[names[names.length - 1]!]
      let child = level.get(last) as C | undefined
      if (child === undefined) level.set(last, (child = metric.labels(labels)))
      return child
    }

    const inc = (name: CounterName, labels?: LabelValues, by = 1) => {
      const c = counters.get(name)!
      if (labels === undefined) c.inc(by)
      else childOf(name, c, labels).inc(by)
    }
    const observe = (name: HistogramName, value: number, labels?: LabelValues) => {
      const h = histograms.get(name)!
      if (labels === undefined) h.observe(value)
      else childOf(name, h, labels).observe(value)
    }
    /** Binds the reader of a gauge (the last binding wins); `_description` is kept for old call sites. */
    const gauge = (name: GaugeName, read: () => GaugeReading, _description?: string) => {
      readers.set(name, read)
    }
    const render: Effect.Effect<string> = Effect.promise(() => registry.metrics())
    return { inc, observe, gauge, render, contentType: registry.contentType } as const
  },
}) {}
