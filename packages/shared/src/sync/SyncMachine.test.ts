import { describe, expect, it } from "vitest"
import { backoffDelay } from "./backoff.js"
import {
  DEFAULT_LIVE_POLL_MS,
  initialState,
  isIdle,
  LIVE_BATCH_MAX,
  LIVE_QUEUE_MAX,
  type MachineState,
  type SyncEffect,
  type SyncEvent,
  statusOf,
  transition,
} from "./SyncMachine.js"

const NOW = 1_000
const start = (over: Partial<Extract<SyncEvent, { _tag: "Start" }>> = {}) =>
  transition(
    initialState(),
    { _tag: "Start", cursor: 5, pending: 0, needsSnapshot: false, online: true, seed: 7, ...over },
    NOW,
  )

/** Applies events in order, collecting every effect tag. */
const run = (s0: MachineState, events: ReadonlyArray<SyncEvent>) => {
  let s = s0
  const effects: Array<string> = []
  for (const e of events) {
    const t = transition(s, e, NOW)
    s = t.state
    effects.push(...t.effects.map((x) => x._tag))
  }
  return { s, effects }
}

const live = () => {
  const t = start()
  const g = t.state.generation
  const s = run(t.state, [
    { _tag: "SocketOpened", gen: g },
    { _tag: "PullPage", gen: g, cursor: 5, more: false },
    { _tag: "PullPage", gen: g, cursor: 5, more: false },
  ]).s
  if (!isIdle(s)) throw new Error("not live")
  return s
}

describe("SyncMachine", () => {
  it("[C2] starts the socket and the pull together, and pulls once more after the socket opens", () => {
    const t = start()
    const g = t.state.generation
    expect(t.state.phase).toBe("connecting")
    expect(t.effects.slice(0, 2)).toEqual([
      { _tag: "OpenSocket", gen: g },
      { _tag: "Pull", gen: g, after: 5 },
    ])
    // The poll timer is armed at once, in case the socket attempt hangs (C13).
    expect(t.effects[2]?._tag).toBe("ScheduleTimer")
    const o = transition(t.state, { _tag: "SocketOpened", gen: g }, NOW)
    expect(o.state.phase).toBe("catchingUp")
    expect(o.effects).toEqual([])
    // The first pull may have read before the subscription started: one more closes that gap.
    const p = transition(o.state, { _tag: "PullPage", gen: g, cursor: 5, more: false }, NOW)
    expect(p.effects).toEqual([{ _tag: "Pull", gen: g, after: 5 }])
  })

  it("a new device fetches a snapshot before pulling", () => {
    const t = start({ cursor: 0, needsSnapshot: true })
    const g = t.state.generation
    expect(t.effects.map((e) => e._tag)).toEqual(["OpenSocket", "FetchSnapshot", "ScheduleTimer"])
    const p = transition(t.state, { _tag: "SnapshotLoaded", gen: g, cursor: 40 }, NOW)
    expect(p.effects).toEqual([{ _tag: "Pull", gen: g, after: 40 }])
  })

  it("[C2] pulls page after page until the server says no more, then goes live", () => {
    const t = start()
    const g = t.state.generation
    const o = run(t.state, [{ _tag: "PullPage", gen: g, cursor: 8, more: true }])
    expect(o.s.phase).toBe("catchingUp")
    const last = transition(o.s, { _tag: "PullPage", gen: g, cursor: 9, more: false }, NOW)
    expect(last.state.phase).toBe("live")
    expect(last.state.lastSyncedAt).toBe(NOW)
  })

  it("[C2] a live update right after the cursor is stored; one past a gap triggers a pull; an old one is ignored", () => {
    const s = live()
    const g = s.generation
    const bytes = new Uint8Array([1])
    const next = transition(s, { _tag: "LiveUpdate", gen: g, seq: 6, bytes }, NOW)
    expect(next.effects).toEqual([{ _tag: "StoreLive", gen: g, records: [{ seq: 6, bytes }] }])
    const gap = transition(s, { _tag: "LiveUpdate", gen: g, seq: 8, bytes }, NOW)
    expect(gap.effects).toEqual([{ _tag: "Pull", gen: g, after: 5 }])
    expect(transition(s, { _tag: "LiveUpdate", gen: g, seq: 5, bytes }, NOW).effects).toEqual([])
    expect(transition(s, { _tag: "LiveUpdate", gen: g, seq: 3, bytes }, NOW).state).toBe(s)
  })

  it("[C2] live updates arriving while the one before is stored wait their turn, in order, without a pull, and are stored together; a gap after them is pulled", () => {
    const s = live()
    const g = s.generation
    const b = (n: number) => new Uint8Array([n])
    const r = (n: number) => ({ seq: n, bytes: b(n) })
    const first = transition(s, { _tag: "LiveUpdate", gen: g, seq: 6, bytes: b(6) }, NOW)
    expect(first.effects).toEqual([{ _tag: "StoreLive", gen: g, records: [r(6)] }])
    // 7 and 8 arrive while 6 is stored (several writers on one document).
    const queued = run(first.state, [
      { _tag: "LiveUpdate", gen: g, seq: 7, bytes: b(7) },
      { _tag: "LiveUpdate", gen: g, seq: 8, bytes: b(8) },
    ])
    expect(queued.effects).toEqual([])
    // Both queued updates go into one store: one import, one store call.
    const after6 = transition(queued.s, { _tag: "LiveStored", gen: g, seq: 6 }, NOW)
    expect(after6.effects).toEqual([{ _tag: "StoreLive", gen: g, records: [r(7), r(8)] }])
    expect(after6.state.storing).toBe(8)
    // 8 again (a duplicate frame) is ignored while it is being stored.
    expect(transition(after6.state, { _tag: "LiveUpdate", gen: g, seq: 8, bytes: b(8) }, NOW).effects).toEqual([])
    // 10 skips 9: a gap, remembered as the head; 7 and 8 are stored first, then the gap is pulled.
    const gap = transition(after6.state, { _tag: "LiveUpdate", gen: g, seq: 10, bytes: b(10) }, NOW)
    expect(gap.effects).toEqual([])
    const after8 = transition(gap.state, { _tag: "LiveStored", gen: g, seq: 8 }, NOW)
    expect(after8.effects).toEqual([{ _tag: "Pull", gen: g, after: 8 }])
    expect(after8.state.cursor).toBe(8)
    expect(after8.state.liveQueue).toEqual([])
  })

  it("[C2] a long queue of live updates is stored in bounded batches, in order, every seq once", () => {
    const s = live()
    const g = s.generation
    const bytes = (n: number) => new Uint8Array(n % 7 === 0 ? 300_000 : 10).fill(n % 256)
    const first = transition(s, { _tag: "LiveUpdate", gen: g, seq: 6, bytes: bytes(6) }, NOW)
    const events: Array<SyncEvent> = []
    for (let seq = 7; seq < 7 + LIVE_QUEUE_MAX; seq++)
      events.push({ _tag: "LiveUpdate", gen: g, seq, bytes: bytes(seq) })
    let state = run(first.state, events).s
    const stored: Array<number> = [6]
    let last = 6
    for (let guard = 0; guard < 1000; guard++) {
      const t = transition(state, { _tag: "LiveStored", gen: g, seq: last }, NOW)
      state = t.state
      const store = t.effects.find((e) => e._tag === "StoreLive")
      if (store === undefined || store._tag !== "StoreLive") break
      expect(store.records.length).toBeLessThanOrEqual(LIVE_BATCH_MAX)
      const size = store.records.reduce((n, rec) => n + rec.bytes.length, 0)
      expect(store.records.length === 1 || size <= 1 << 20).toBe(true)
      for (const rec of store.records) stored.push(rec.seq)
      last = store.records.at(-1)!.seq
    }
    expect(stored).toEqual(Array.from({ length: LIVE_QUEUE_MAX + 1 }, (_, i) => 6 + i))
    expect(state.cursor).toBe(6 + LIVE_QUEUE_MAX)
    expect(state.storing).toBeUndefined()
  })

  it("[C2] an empty final page ends the pull loop even if a larger head was announced", () => {
    const s = live()
    const g = s.generation
    const r = run(s, [
      { _tag: "Subscribed", gen: g, cursor: 9 },
      { _tag: "PullPage", gen: g, cursor: 5, more: false },
    ])
    expect(r.effects).toEqual(["Pull"])
    expect(isIdle(r.s)).toBe(true)
  })

  it("[C3] runs one push pump at a time; acks it reports raise the known head; it restarts when more is pending", () => {
    const s = live()
    const g = s.generation
    const a = transition(s, { _tag: "LocalCommit", pending: 1 }, NOW)
    expect(a.effects).toEqual([{ _tag: "PushNext", gen: g }])
    const b = transition(a.state, { _tag: "LocalCommit", pending: 2 }, NOW)
    expect(b.effects).toEqual([])
    // Progress does not end the pump: no second one starts.
    const c = transition(b.state, { _tag: "PushAcked", gen: g, seq: 6, pending: 1 }, NOW)
    expect(c.effects.map((e) => e._tag)).toEqual(["Pull"])
    expect(c.state).toMatchObject({ pushing: true, head: 6, pending: 1 })
    // It ended while a commit arrived: a new one starts.
    const d = transition(c.state, { _tag: "PushDone", gen: g, pending: 1 }, NOW)
    expect(d.effects).toEqual([{ _tag: "PushNext", gen: g }])
  })

  it("[C16] the status is up to date only when nothing waits and nothing is known to be missing", () => {
    const s = live()
    const outbox = { oldestPendingAt: 500, rejected: 2 }
    expect(statusOf(s, outbox)).toMatchObject({ state: "live", pending: 0, oldestPendingAt: undefined, rejected: 2 })
    const waiting = transition(s, { _tag: "LocalCommit", pending: 3 }, NOW).state
    expect(statusOf(waiting, outbox)).toMatchObject({ state: "live", pending: 3, oldestPendingAt: 500 })
    // A live announcement of seq 9 with the cursor at 5: the gap is being pulled.
    const behind = transition(s, { _tag: "LiveUpdate", gen: s.generation, seq: 9, bytes: new Uint8Array() }, NOW)
    expect(statusOf(behind.state).state).toBe("catchingUp")
    // The next seq being stored live is not "behind".
    const next = transition(s, { _tag: "LiveUpdate", gen: s.generation, seq: 6, bytes: new Uint8Array() }, NOW)
    expect(statusOf(next.state).state).toBe("live")
  })

  it("[C7] a retryable failure backs off with growing, jittered, capped delays and retries on the timer", () => {
    let s = live()
    const delays: Array<number> = []
    for (let i = 0; i < 12; i++) {
      const f = transition(s, { _tag: "Failed", gen: s.generation, error: { kind: "Unavailable", message: "x" } }, NOW)
      const timer = f.effects.find((e) => e._tag === "ScheduleTimer")
      if (timer?._tag !== "ScheduleTimer") throw new Error("no timer")
      delays.push(timer.delayMs)
      expect(f.state.phase).toBe("offline")
      const fired = transition(f.state, { _tag: "TimerFired", gen: timer.gen }, NOW)
      expect(fired.effects[0]).toEqual({ _tag: "OpenSocket", gen: fired.state.generation })
      s = transition(fired.state, { _tag: "SocketOpened", gen: fired.state.generation }, NOW).state
    }
    delays.forEach((d, i) => {
      const window = Math.min(30_000, 500 * 2 ** i)
      expect(d).toBeGreaterThanOrEqual(window / 2)
      expect(d).toBeLessThanOrEqual(window)
    })
    expect(new Set(delays.slice(-4)).size).toBeGreaterThan(1) // jitter: capped delays still differ
  })

  it("[C7] the same seed gives the same delays; the network coming back reconnects at once", () => {
    const fail = (seed: number) => {
      const s = live()
      const t = transition(
        { ...s, seed },
        { _tag: "Failed", gen: s.generation, error: { kind: "Internal", message: "" } },
        NOW,
      )
      return t
    }
    expect(fail(3).effects).toEqual(fail(3).effects)
    const on = transition(fail(3).state, { _tag: "NetworkOnline" }, NOW)
    expect(on.effects.map((e) => e._tag)).toEqual(["CancelTimer", "OpenSocket", "Pull", "ScheduleTimer"])
    expect(backoffDelay(0, 0)).toBe(250)
  })

  it("[C6] a fatal error stops the machine with the reason; later events do nothing", () => {
    const s = live()
    const error = { kind: "Unauthorized", message: "revoked" } as const
    const t = transition(s, { _tag: "SocketClosed", gen: s.generation, error }, NOW)
    expect(t.state.phase).toBe("stopped")
    expect(t.effects.map((e) => e._tag)).toEqual(["CloseSocket", "CancelTimer", "Fatal"])
    expect(statusOf(t.state)).toMatchObject({ state: "stopped", error })
    expect(transition(t.state, { _tag: "TimerFired", gen: t.state.generation }, NOW).effects).toEqual([])
    expect(transition(t.state, { _tag: "LocalCommit", pending: 3 }, NOW).effects).toEqual([])
  })

  it("outcomes of an abandoned connection are ignored", () => {
    const s = live()
    const f = transition(s, { _tag: "Failed", gen: s.generation, error: { kind: "Unavailable", message: "" } }, NOW)
    const late = transition(f.state, { _tag: "PullPage", gen: s.generation, cursor: 99, more: false }, NOW)
    expect(late.state).toBe(f.state)
    expect(late.effects).toEqual([])
  })

  it("an offline signal closes the socket and keeps a retry timer; pending commits wait", () => {
    const s = live()
    const off = transition(s, { _tag: "NetworkOffline" }, NOW)
    expect(off.state.phase).toBe("offline")
    expect(off.effects.map((e) => e._tag)).toEqual(["CloseSocket", "ScheduleTimer"])
    const commit = transition(off.state, { _tag: "LocalCommit", pending: 1 }, NOW)
    expect(commit.effects).toEqual([])
    expect(statusOf(commit.state)).toMatchObject({ online: false, pending: 1 })
  })

  it("[C13] without a socket it syncs over HTTP, polls, and retries the socket on a timer", () => {
    const t = start({ pending: 1 })
    const g = t.state.generation
    expect(t.effects.map((e) => e._tag)).toEqual(["OpenSocket", "Pull", "PushNext", "ScheduleTimer"])
    const failed = transition(
      t.state,
      { _tag: "SocketFailed", gen: g, error: { kind: "Unavailable", message: "no ws" } },
      NOW,
    )
    expect(failed.state).toMatchObject({ socketUp: false, pollArmed: true })
    expect(failed.effects).toEqual([]) // the poll timer is already armed
    const caughtUp = run(failed.state, [
      { _tag: "PullPage", gen: g, cursor: 5, more: false },
      { _tag: "PushAcked", gen: g, seq: 6, pending: 0 },
      { _tag: "PushDone", gen: g, pending: 0 },
      { _tag: "PullPage", gen: g, cursor: 6, more: false },
    ]).s
    expect(isIdle(caughtUp)).toBe(true)
    const poll = transition(caughtUp, { _tag: "TimerFired", gen: g }, NOW)
    expect(poll.effects.map((e) => e._tag)).toEqual(["OpenSocket", "Pull", "ScheduleTimer"])
    // A socket attempt that hangs does not hold up polling, and is not doubled.
    const polled = transition(poll.state, { _tag: "PullPage", gen: g, cursor: 6, more: false }, NOW)
    const again = transition(polled.state, { _tag: "TimerFired", gen: g }, NOW)
    expect(again.effects.map((e) => e._tag)).toEqual(["Pull", "ScheduleTimer"])
    const up = transition(again.state, { _tag: "SocketOpened", gen: g }, NOW)
    expect(up.state).toMatchObject({ socketUp: true, socketOpening: false })
    // Once the socket is up the same timer becomes the slow safety poll (next test); the pull
    // the socket's opening started is still in flight, so it only re-arms.
    expect(transition(up.state, { _tag: "TimerFired", gen: g }, NOW).effects.map((e) => e._tag)).toEqual([
      "ScheduleTimer",
    ])
    const fatal = transition(t.state, { _tag: "SocketFailed", gen: g, error: { kind: "Forbidden", message: "" } }, NOW)
    expect(fatal.state.phase).toBe("stopped")
  })

  it("[C13] while live, a slow jittered safety poll pulls, so a lost announcement still arrives", () => {
    let s = live()
    const g = s.generation
    const delays: Array<number> = []
    for (let i = 0; i < 50; i++) {
      const fired = transition(s, { _tag: "TimerFired", gen: g }, NOW)
      expect(fired.effects.map((e) => e._tag)).toEqual(["Pull", "ScheduleTimer"])
      const timer = fired.effects[1] as Extract<SyncEffect, { _tag: "ScheduleTimer" }>
      delays.push(timer.delayMs)
      // The server had seq 7 committed but its announcement never came: the poll finds it.
      const pull = fired.effects[0] as Extract<SyncEffect, { _tag: "Pull" }>
      const page = transition(fired.state, { _tag: "PullPage", gen: g, cursor: pull.after + 1, more: false }, NOW)
      expect(page.state.cursor).toBe(pull.after + 1)
      expect(isIdle(page.state)).toBe(true)
      s = page.state
    }
    const mean = DEFAULT_LIVE_POLL_MS
    for (const d of delays) expect(d >= mean * 0.75 && d <= mean * 1.25).toBe(true)
    expect(new Set(delays).size).toBeGreaterThan(40) // jittered, so devices do not poll in step
  })
})
