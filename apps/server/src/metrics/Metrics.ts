import { Effect } from "effect"

/**
 * A small Prometheus registry: counters, gauges and histograms with fixed buckets,
 * rendered in the text exposition format. Labels are pre-rendered strings, kept few.
 */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

interface Histogram {
  readonly buckets: ReadonlyArray<number>
  readonly counts: Array<number>
  sum: number
  count: number
}

const labelText = (labels?: Readonly<Record<string, string | number>>): string => {
  if (!labels) return ""
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, "_")}"`)
  return parts.length ? `{${parts.join(",")}}` : ""
}

export class Metrics extends Effect.Service<Metrics>()("Metrics", {
  sync: () => {
    const counters = new Map<string, number>()
    const gauges = new Map<string, () => number>()
    const histograms = new Map<string, Histogram>()
    const help = new Map<string, string>()

    const inc = (name: string, labels?: Readonly<Record<string, string | number>>, by = 1) => {
      const key = name + labelText(labels)
      counters.set(key, (counters.get(key) ?? 0) + by)
    }
    /** A gauge is read when scraped, so it can never go stale. */
    const gauge = (name: string, read: () => number, description?: string) => {
      gauges.set(name, read)
      if (description) help.set(name, description)
    }
    const observe = (name: string, value: number) => {
      let h = histograms.get(name)
      if (!h) {
        const buckets = name.endsWith("_size") ? SIZE_BUCKETS : BUCKETS
        h = { buckets, counts: buckets.map(() => 0), sum: 0, count: 0 }
        histograms.set(name, h)
      }
      for (let i = 0; i < h.buckets.length; i++) if (value <= h.buckets[i]!) h.counts[i]!++
      h.sum += value
      h.count++
    }
    const render = (): string => {
      const out: Array<string> = []
      const byBase = new Map<string, Array<[string, number]>>()
      for (const [key, v] of counters) {
        const base = key.split("{")[0]!
        byBase.set(base, [...(byBase.get(base) ?? []), [key, v]])
      }
      for (const [base, entries] of byBase) {
        out.push(`# TYPE ${base} counter`)
        for (const [key, v] of entries) out.push(`${key} ${v}`)
      }
      for (const [name, read] of gauges) {
        if (help.has(name)) out.push(`# HELP ${name} ${help.get(name)}`)
        out.push(`# TYPE ${name} gauge`, `${name} ${read()}`)
      }
      for (const [name, h] of histograms) {
        out.push(`# TYPE ${name} histogram`)
        h.buckets.forEach((b, i) => {
          out.push(`${name}_bucket{le="${b}"} ${h.counts[i]}`)
        })
        out.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`)
      }
      return `${out.join("\n")}\n`
    }
    return { inc, gauge, observe, render } as const
  },
}) {}
