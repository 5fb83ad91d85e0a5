import { describe, expect, it } from "vitest"
import { adaptBatch, type DocTurn, Scheduler } from "./Scheduler.js"

const options = {
  concurrency: 2,
  batchMax: 500,
  batchBudgetMs: 2000,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
  random: () => 0.5, // no jitter: delays are exact
}
/** A full batch: there may be more. */
const progressed = { _tag: "Progressed", seconds: 0.5, full: true } as const
const take = (s: Scheduler, now = 0): DocTurn => {
  const t = s.next(now)
  if (t === undefined) throw new Error("nothing runnable")
  return t
}

describe("projection Scheduler", () => {
  it("[O4] runs one batch per turn and lets workspaces take turns, whatever their number of documents", () => {
    const s = new Scheduler({ ...options, concurrency: 1 })
    for (const doc of ["a1", "a2", "a3"]) s.signal("A", doc)
    s.signal("B", "b1")
    const order: Array<string> = []
    for (let i = 0; i < 6; i++) {
      const t = take(s)
      order.push(t.doc)
      // a1 and b1 have more work after their first batch; the rest catch up at once.
      const more = (t.doc === "a1" || t.doc === "b1") && order.filter((d) => d === t.doc).length === 1
      s.done(t, more ? progressed : { _tag: "CaughtUp" }, 0)
    }
    expect(order).toEqual(["a1", "b1", "a2", "b1", "a3", "a1"])
    expect(s.next(0)).toBeUndefined()
  })

  it("[O4] heavy documents never take every slot: a small document always finds one", () => {
    const s = new Scheduler(options)
    s.markHeavy("big1", "main")
    s.markHeavy("big2", "main")
    s.signal("big1", "main")
    s.signal("big2", "main")
    s.signal("small", "main")
    const first = take(s)
    expect(first).toMatchObject({ ws: "big1", heavy: true })
    // The second heavy one waits: the last slot is the small workspace's.
    expect(take(s)).toMatchObject({ ws: "small", heavy: false })
    expect(s.next(0)).toBeUndefined()
    s.done(first, { _tag: "CaughtUp" }, 0)
    expect(take(s)).toMatchObject({ ws: "big2" })
  })

  it("[O4] a failing document backs off exponentially with a smaller batch, without stalling the others", () => {
    const s = new Scheduler(options)
    s.signal("bad", "main")
    s.signal("good", "main")
    let t = take(s, 0)
    expect(t.ws).toBe("bad")
    expect(s.done(t, { _tag: "Failed" }, 0)).toBe(1000)
    // Commits to the failing document do not cut its backoff short.
    s.signal("bad", "main")
    expect(take(s, 10)).toMatchObject({ ws: "good" })
    expect(s.next(500)).toBeUndefined()
    expect(s.failing()).toBe(1)
    expect(s.nextRetryAt()).toBe(1000)
    t = take(s, 1000)
    expect(t).toMatchObject({ ws: "bad", batch: 250, failures: 1 })
    expect(s.done(t, { _tag: "Failed" }, 1000)).toBe(2000)
    t = take(s, 3000)
    expect(t).toMatchObject({ batch: 125, failures: 2 })
    s.done(t, progressed, 3000)
    expect(s.failing()).toBe(0)
    expect(take(s, 3000)).toMatchObject({ ws: "bad", failures: 0 })
  })

  it("[O4] backoff stops growing at its maximum", () => {
    const s = new Scheduler({ ...options, concurrency: 1, backoffMaxMs: 5000 })
    s.signal("bad", "main")
    let now = 0
    const delays: Array<number | undefined> = []
    for (let i = 0; i < 6; i++) {
      const t = take(s, now)
      const d = s.done(t, { _tag: "Failed" }, now)
      delays.push(d)
      now += d ?? 0
    }
    expect(delays).toEqual([1000, 2000, 4000, 5000, 5000, 5000])
  })

  it("[O4] a signal during a batch brings the document back after it; another node's lease does not", () => {
    const s = new Scheduler(options)
    s.signal("A", "main")
    let t = take(s)
    s.signal("A", "main")
    s.done(t, { _tag: "CaughtUp" }, 0)
    t = take(s)
    expect(t.ws).toBe("A")
    s.signal("A", "main")
    s.done(t, { _tag: "NotOurs" }, 0)
    expect(s.next(0)).toBeUndefined()
  })

  it("[O4] a batch that was not full reached the head: no second turn unless a commit signalled during it", () => {
    const s = new Scheduler(options)
    s.signal("A", "main")
    let t = take(s)
    s.done(t, { ...progressed, full: false }, 0)
    expect(s.next(0)).toBeUndefined()
    s.signal("A", "main")
    t = take(s)
    s.signal("A", "main")
    s.done(t, { ...progressed, full: false }, 0)
    expect(take(s)).toMatchObject({ ws: "A", doc: "main" })
  })

  it("[O4] batch size adapts to the time budget", () => {
    const o = { batchMax: 500, batchBudgetMs: 2000 }
    expect(adaptBatch(500, 5, true, o)).toBe(250)
    expect(adaptBatch(1, 50, true, o)).toBe(1)
    expect(adaptBatch(100, 0.1, true, o)).toBe(200)
    expect(adaptBatch(400, 0.1, true, o)).toBe(500)
    // Quick but not full: the backlog is gone, no reason to grow.
    expect(adaptBatch(100, 0.1, false, o)).toBe(100)
    expect(adaptBatch(100, 1, true, o)).toBe(100)
  })
})
