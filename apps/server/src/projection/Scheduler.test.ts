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

  it("[O4] a group takes light, healthy documents of distinct workspaces into one slot, freed when all are done", () => {
    const s = new Scheduler({ ...options, concurrency: 2 })
    s.markHeavy("big", "main")
    for (const ws of ["A", "B", "C", "D", "big"]) s.signal(ws, "main")
    s.signal("A", "second") // A's other document waits for a later group
    const group = s.nextGroup(0, 3)
    expect(group.map((t) => `${t.ws}/${t.doc}`)).toEqual(["A/main", "B/main", "C/main"])
    expect(new Set(group.map((t) => t.slot)).size).toBe(1)
    // One slot is taken, one is left: the next group is D, and A's second document (a new
    // pass of the rotation), never the heavy one.
    const second = s.nextGroup(0, 5)
    expect(second.map((t) => `${t.ws}/${t.doc}`)).toEqual(["D/main", "A/second"])
    expect(s.nextGroup(0, 5)).toEqual([])
    // The first group's slot is free only once all three are done; then the heavy one runs alone.
    s.done(group[0]!, { _tag: "CaughtUp" }, 0)
    s.done(group[1]!, { _tag: "CaughtUp" }, 0)
    expect(s.nextGroup(0, 5)).toEqual([])
    s.done(group[2]!, { _tag: "CaughtUp" }, 0)
    expect(s.nextGroup(0, 5).map((t) => t.ws)).toEqual(["big"])
  })

  it("[O4] a document that failed runs alone until it succeeds again", () => {
    const s = new Scheduler({ ...options, concurrency: 1 })
    s.signal("bad", "main")
    const [t] = s.nextGroup(0, 5)
    s.done(t!, { _tag: "Failed" }, 0)
    s.signal("good", "main")
    s.signal("other", "main")
    // After its backoff the failing document is first in line, and alone.
    const retry = s.nextGroup(5_000, 5)
    expect(retry.map((x) => x.ws)).toEqual(["good", "other"])
    for (const x of retry) s.done(x, { _tag: "CaughtUp" }, 5_000)
    expect(s.nextGroup(5_000, 5).map((x) => x.ws)).toEqual(["bad"])
  })

  it("[O4] under load a document's work gathers for gatherMs before its turn; on a quiet server it runs at once", () => {
    const s = new Scheduler({ ...options, concurrency: 1, gatherMs: 250, gatherFrom: 3 })
    const runAll = (group: ReadonlyArray<DocTurn>, now: number) => {
      for (const t of group) s.done(t, { _tag: "CaughtUp" }, now)
    }
    // Quiet: one document, its turn at once.
    s.signal("A", "main", 0)
    const quiet = s.nextGroup(0, 10)
    expect(quiet.map((t) => t.ws)).toEqual(["A"])
    runAll(quiet, 5)
    // Busy: four at once make a group of four (at least gatherFrom): turns gather from now on.
    for (const ws of ["B", "C", "D", "E"]) s.signal(ws, "main", 10)
    const busy = s.nextGroup(10, 10)
    expect(busy).toHaveLength(4)
    // A commit during the group's turn, and one after it: due 250 ms after each arrived.
    s.signal("B", "main", 20)
    runAll(busy, 30)
    s.signal("C", "main", 100)
    expect(s.nextGroup(30, 10)).toEqual([])
    expect(s.nextDueAt(30)).toBe(270)
    expect(s.nextGroup(269, 10)).toEqual([])
    const gathered = s.nextGroup(270, 10)
    expect(gathered.map((t) => t.ws)).toEqual(["B"])
    runAll(gathered, 280)
    // That turn was small: the load is gone, so the next document goes at once.
    s.signal("D", "main", 290)
    expect(s.nextGroup(290, 10).map((t) => t.ws)).toEqual(["C", "D"])
  })

  it("[O4] while gathering, a document with a backlog (a full batch) or a retry is due at once", () => {
    const s = new Scheduler({ ...options, concurrency: 1, gatherMs: 250, gatherFrom: 2 })
    for (const ws of ["A", "B"]) s.signal(ws, "main", 0)
    const group = s.nextGroup(0, 10)
    expect(group).toHaveLength(2)
    s.done(group[0]!, progressed, 10) // full: more is waiting in the log
    s.done(group[1]!, { _tag: "Failed" }, 10)
    expect(s.nextGroup(10, 10).map((t) => t.ws)).toEqual(["A"])
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
