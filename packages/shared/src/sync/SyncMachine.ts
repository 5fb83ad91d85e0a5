import { type ErrorKind, reactionOf } from "../protocol/errors.js"
import type { SeqBlob } from "../protocol/updatesBody.js"
import { type BackoffOptions, backoffDelay, defaultBackoff, nextRandom } from "./backoff.js"

/**
 * The sync client as a pure transition `(state, event, now) → { state, effects }` (SPEC.md).
 * The engine (`SyncEngine.ts`) owns all IO: it runs the effects and feeds their outcomes
 * back as events tagged with the connection generation they belong to, so an outcome from
 * an abandoned connection is ignored instead of corrupting the current one.
 */
export type Phase = "idle" | "connecting" | "catchingUp" | "live" | "offline" | "stopped"

export interface SyncError {
  readonly kind: ErrorKind
  readonly message: string
}

export interface MachineState {
  readonly phase: Phase
  /** Last network signal from the platform (navigator.onLine, or always true headless). */
  readonly online: boolean
  /** Highest server seq stored locally; only grows (C2). */
  readonly cursor: number
  /** Highest seq the server is known to have (live frames, Subscribed, own push acks). */
  readonly head: number
  /** New device: fetch a snapshot before pulling. */
  readonly needsSnapshot: boolean
  /** Another pull page is known or assumed to be waiting. */
  readonly pullMore: boolean
  /** The socket opened while a pull was in flight: pull once more after it (covers the gap). */
  readonly pullAgain: boolean
  readonly pending: number
  readonly pushing: boolean
  readonly pulling: boolean
  /** Live updates being stored: the last one's seq. */
  readonly storing: number | undefined
  /**
   * Live updates that arrived while the one before them was being stored, in seq order, each
   * following the previous (at most `LIVE_QUEUE_MAX`): stored next instead of pulled.
   */
  readonly liveQueue: ReadonlyArray<SeqBlob>
  readonly attempt: number
  /** The live socket is open. Without it the machine still syncs over HTTP and polls. */
  readonly socketUp: boolean
  /** A socket attempt is under way (it may hang until the transport's auth timeout). */
  readonly socketOpening: boolean
  /** The poll timer is armed (fast while HTTP-only, the slow safety poll while the socket is up). */
  readonly pollArmed: boolean
  readonly socketAttempt: number
  readonly seed: number
  readonly generation: number
  readonly lastSyncedAt: number | undefined
  readonly error: SyncError | undefined
  readonly options: MachineOptions
}

/**
 * How many of the queued live updates go into the next store: they arrived while the one
 * before was stored, so under load a device imports several at once (a Loro import's fixed
 * cost is mostly memory it must touch again, paid once per call, not per update).
 */
const liveBatch = (queue: ReadonlyArray<SeqBlob>): number => {
  let n = 1
  let bytes = queue[0]!.bytes.length
  while (n < queue.length && n < LIVE_BATCH_MAX && bytes + queue[n]!.bytes.length <= LIVE_BATCH_BYTES) {
    bytes += queue[n]!.bytes.length
    n++
  }
  return n
}

export interface MachineOptions {
  readonly backoff: BackoffOptions
  /** Mean interval of the safety pull while the socket is up (C13), jittered ±25%. */
  readonly livePollMs: number
}

export const DEFAULT_LIVE_POLL_MS = 60_000
/** Live updates kept while another is stored; past it, the gap is pulled. */
export const LIVE_QUEUE_MAX = 256
/**
 * Queued live updates stored together at most (one import, one store call): past a few, the
 * saving is made, and a bound keeps one batch's import short.
 */
export const LIVE_BATCH_MAX = 64
const LIVE_BATCH_BYTES = 1 << 20

export type SyncEvent =
  | {
      readonly _tag: "Start"
      readonly cursor: number
      readonly pending: number
      readonly needsSnapshot: boolean
      readonly online: boolean
      readonly seed: number
    }
  | { readonly _tag: "Stop" }
  | { readonly _tag: "SocketOpened"; readonly gen: number }
  /** The live socket could not be opened (HTTP may still work). */
  | { readonly _tag: "SocketFailed"; readonly gen: number; readonly error: SyncError }
  | { readonly _tag: "SocketClosed"; readonly gen: number; readonly error: SyncError | undefined }
  | { readonly _tag: "Subscribed"; readonly gen: number; readonly cursor: number }
  | { readonly _tag: "LiveUpdate"; readonly gen: number; readonly seq: number; readonly bytes: Uint8Array }
  | { readonly _tag: "LiveStored"; readonly gen: number; readonly seq: number }
  /** The push pump had acknowledgements persisted (`seq`: the highest acknowledged). It keeps going. */
  | { readonly _tag: "PushAcked"; readonly gen: number; readonly seq: number; readonly pending: number }
  /** The push pump found the outbox empty (refusals, if any, are already out of it: C8, C14). */
  | { readonly _tag: "PushDone"; readonly gen: number; readonly pending: number }
  | { readonly _tag: "PullPage"; readonly gen: number; readonly cursor: number; readonly more: boolean }
  | { readonly _tag: "SnapshotLoaded"; readonly gen: number; readonly cursor: number }
  /** Any IO step of the current connection failed (push, pull, snapshot, store). */
  | { readonly _tag: "Failed"; readonly gen: number; readonly error: SyncError }
  | { readonly _tag: "LocalCommit"; readonly pending: number }
  | { readonly _tag: "TimerFired"; readonly gen: number }
  | { readonly _tag: "NetworkOnline" }
  | { readonly _tag: "NetworkOffline" }

export type SyncEffect =
  | { readonly _tag: "OpenSocket"; readonly gen: number }
  | { readonly _tag: "CloseSocket" }
  /**
   * Run the push pump: outbox entries in order, several in flight on the socket, each with
   * its stored idempotency key (C3, C4), until the outbox is empty (`PushDone`).
   */
  | { readonly _tag: "PushNext"; readonly gen: number }
  | { readonly _tag: "Pull"; readonly gen: number; readonly after: number }
  | { readonly _tag: "FetchSnapshot"; readonly gen: number }
  /**
   * Store live updates that follow the cursor, in seq order with no gap: one import and one
   * store call for all of them (`LiveStored` with the last seq once done).
   */
  | { readonly _tag: "StoreLive"; readonly gen: number; readonly records: ReadonlyArray<SeqBlob> }
  | { readonly _tag: "ScheduleTimer"; readonly gen: number; readonly delayMs: number }
  | { readonly _tag: "CancelTimer" }
  /** A fatal error stopped syncing; the engine records it (e.g. on the workspace meta). */
  | { readonly _tag: "Fatal"; readonly error: SyncError }

export interface Transition {
  readonly state: MachineState
  readonly effects: ReadonlyArray<SyncEffect>
}

export const initialState = (options: Partial<MachineOptions> = {}): MachineState => ({
  phase: "idle",
  online: true,
  cursor: 0,
  head: 0,
  needsSnapshot: false,
  pullMore: false,
  pullAgain: false,
  pending: 0,
  pushing: false,
  pulling: false,
  storing: undefined,
  liveQueue: [],
  attempt: 0,
  socketUp: false,
  socketOpening: false,
  pollArmed: false,
  socketAttempt: 0,
  seed: 1,
  generation: 0,
  lastSyncedAt: undefined,
  error: undefined,
  options: { backoff: options.backoff ?? defaultBackoff, livePollMs: options.livePollMs ?? DEFAULT_LIVE_POLL_MS },
})

/**
 * Status the UI shows (C16). `online` means connected to the server, not the network signal.
 * `state` is `live` only when nothing is known to be missing (a live connection that knows of
 * newer server updates reports `catchingUp`), so "up to date" is `live` with `pending` 0.
 */
export interface SyncStatus {
  readonly state: Phase
  readonly online: boolean
  /** Changes in the outbox: saved on this device, not yet acknowledged by the server. */
  readonly pending: number
  /** When the oldest of them was made; undefined when none is waiting. */
  readonly oldestPendingAt: number | undefined
  readonly lastSyncedAt: number | undefined
  readonly error: SyncError | undefined
  /** Changes the server refused, kept aside (C8). */
  readonly rejected: number
}

/** The part of the status the store knows, not the machine. */
export interface OutboxStatus {
  readonly oldestPendingAt: number | undefined
  readonly rejected: number
}

/** The server has updates this device has not stored, beyond one being stored right now. */
const behind = (s: MachineState): boolean => s.needsSnapshot || s.head > Math.max(s.cursor, s.storing ?? 0)

export const statusOf = (
  s: MachineState,
  outbox: OutboxStatus = { oldestPendingAt: undefined, rejected: 0 },
): SyncStatus => ({
  state: s.phase === "live" && behind(s) ? "catchingUp" : s.phase,
  online: s.phase === "live" || s.phase === "catchingUp",
  pending: s.pending,
  oldestPendingAt: s.pending > 0 ? outbox.oldestPendingAt : undefined,
  lastSyncedAt: s.lastSyncedAt,
  error: s.error,
  rejected: outbox.rejected,
})

/** Fully in step with the server: nothing to push, pull or store. */
export const isIdle = (s: MachineState): boolean =>
  s.phase === "live" && s.pending === 0 && !s.pushing && !s.pulling && s.storing === undefined && s.cursor >= s.head

/** HTTP work runs from the moment a connection starts: it never waits for the socket (C13). */
const connected = (s: MachineState): boolean =>
  s.phase === "connecting" || s.phase === "catchingUp" || s.phase === "live"

/** The server answered: the connection is past `connecting`. */
const contact = (s: MachineState): MachineState => (s.phase === "connecting" ? { ...s, phase: "catchingUp" } : s)

const stale = (s: MachineState, e: SyncEvent): boolean => "gen" in e && e.gen !== s.generation

export const transition = (s: MachineState, e: SyncEvent, now: number): Transition => {
  if (s.phase === "stopped" && e._tag !== "NetworkOnline" && e._tag !== "NetworkOffline")
    return { state: s, effects: [] }
  if (stale(s, e)) return { state: s, effects: [] }
  switch (e._tag) {
    case "Start": {
      const base: MachineState = {
        ...s,
        cursor: e.cursor,
        head: e.cursor,
        pending: e.pending,
        needsSnapshot: e.needsSnapshot,
        online: e.online,
        seed: e.seed,
      }
      return e.online ? connect(base) : goOffline(base, undefined)
    }
    case "Stop":
      return {
        state: { ...s, phase: "stopped", generation: s.generation + 1 },
        effects: [{ _tag: "CloseSocket" }, { _tag: "CancelTimer" }],
      }
    case "SocketOpened":
      return drive(
        {
          ...s,
          phase: s.phase === "connecting" ? "catchingUp" : s.phase,
          socketUp: true,
          socketOpening: false,
          socketAttempt: 0,
          pullMore: true,
          pullAgain: s.pulling,
          error: undefined,
        },
        now,
      )
    case "SocketFailed": {
      if (reactionOf(e.error.kind) === "fatal") return fail(s, e.error)
      // Degrade instead of giving up: sync over HTTP, and poll on a timer that also retries
      // the socket. The first failure arms the timer; later ones find it armed.
      const t = drive({ ...s, socketUp: false, socketOpening: false, pullMore: true }, now)
      return s.pollArmed ? t : withPollTimer(t)
    }
    case "SocketClosed":
      return fail(s, e.error ?? { kind: "Unavailable", message: "live socket closed" })
    case "Subscribed":
      return drive({ ...s, head: Math.max(s.head, e.cursor) }, now)
    case "LiveUpdate": {
      if (!connected(s) || e.seq <= s.cursor || (s.storing !== undefined && e.seq <= s.storing)) {
        return { state: s, effects: [] }
      }
      if (e.seq === s.cursor + 1 && !s.pulling && s.storing === undefined && !s.needsSnapshot) {
        const next = { ...s, storing: e.seq, head: Math.max(s.head, e.seq) }
        return {
          state: next,
          effects: [{ _tag: "StoreLive", gen: s.generation, records: [{ seq: e.seq, bytes: e.bytes }] }],
        }
      }
      // Busy storing the one before: it waits its turn. Several writers on one document make
      // this common, and a pull for each would cost a round trip per update.
      const last = s.liveQueue.at(-1)?.seq ?? s.storing
      if (last !== undefined && e.seq === last + 1 && s.liveQueue.length < LIVE_QUEUE_MAX) {
        const liveQueue = [...s.liveQueue, { seq: e.seq, bytes: e.bytes }]
        return { state: { ...s, liveQueue, head: Math.max(s.head, e.seq) }, effects: [] }
      }
      // A gap (or busy pulling): never skip a cursor (C2); fill it by pulling.
      return drive({ ...s, head: Math.max(s.head, e.seq) }, now)
    }
    case "LiveStored": {
      const cursor = Math.max(s.cursor, e.seq)
      const next = s.liveQueue[0]
      if (next !== undefined && next.seq === cursor + 1 && !s.needsSnapshot) {
        // The queue has no gaps (each entry follows the one before), so a prefix is a run.
        const n = liveBatch(s.liveQueue)
        const records = s.liveQueue.slice(0, n)
        const state = { ...s, storing: records.at(-1)!.seq, cursor, liveQueue: s.liveQueue.slice(n) }
        return { state, effects: [{ _tag: "StoreLive", gen: s.generation, records }] }
      }
      return drive({ ...s, storing: undefined, cursor, liveQueue: [] }, now)
    }
    case "PushAcked":
      return drive({ ...contact(s), pending: e.pending, head: Math.max(s.head, e.seq) }, now)
    case "PushDone":
      return drive({ ...s, pushing: false, pending: e.pending }, now)
    case "PullPage": {
      // An empty final page means the server has nothing more: trust it over an announced head,
      // so a head that never materialises cannot spin the pull loop.
      const stuck = !e.more && e.cursor <= s.cursor
      const cursor = Math.max(s.cursor, e.cursor)
      return drive(
        {
          ...contact(s),
          pulling: false,
          cursor,
          pullMore: e.more || s.pullAgain,
          pullAgain: false,
          head: stuck ? cursor : s.head,
        },
        now,
      )
    }
    case "SnapshotLoaded":
      return drive(
        { ...contact(s), pulling: false, needsSnapshot: false, pullMore: true, cursor: Math.max(s.cursor, e.cursor) },
        now,
      )
    case "Failed":
      return fail(s, e.error)
    case "LocalCommit":
      return drive({ ...s, pending: e.pending }, now)
    case "TimerFired":
      if (s.phase === "offline") return connect(s)
      // Live: the socket announces commits, but an announcement can be lost (a NOTIFY missed
      // while the server's LISTEN reconnected); a slow pull guarantees the gap closes anyway.
      if (connected(s) && s.socketUp) return withLivePoll(drive({ ...s, pullMore: true }, now))
      if (connected(s)) {
        // HTTP-only: poll for what the socket would have announced, and try the socket again
        // unless an attempt is still hanging; polling never waits for it.
        const t = withPollTimer(drive({ ...s, pullMore: true, socketOpening: true }, now))
        const open: Array<SyncEffect> = s.socketOpening ? [] : [{ _tag: "OpenSocket", gen: s.generation }]
        return { state: t.state, effects: [...open, ...t.effects] }
      }
      return { state: s, effects: [] }
    case "NetworkOnline":
      if (s.phase === "offline") {
        const t = connect({ ...s, online: true })
        return { state: t.state, effects: [{ _tag: "CancelTimer" }, ...t.effects] }
      }
      return { state: { ...s, online: true }, effects: [] }
    case "NetworkOffline":
      if (s.phase === "stopped") return { state: { ...s, online: false }, effects: [] }
      return goOffline({ ...s, online: false }, s.error)
  }
}

const connect = (s: MachineState): Transition => {
  const generation = s.generation + 1
  const next: MachineState = {
    ...s,
    phase: "connecting",
    generation,
    pushing: false,
    pulling: false,
    storing: undefined,
    liveQueue: [],
    socketUp: false,
    socketOpening: true,
    pollArmed: false,
    pullMore: true,
  }
  // The poll timer is armed from the start: a socket attempt that hangs (no answer, no
  // error) must not leave the client without polling until the transport gives up.
  const t = withPollTimer(drive(next, 0))
  return { state: t.state, effects: [{ _tag: "OpenSocket", gen: generation }, ...t.effects] }
}

/** Leave the current connection and retry on a jittered timer (C7). */
const goOffline = (s: MachineState, error: SyncError | undefined): Transition => {
  const r = nextRandom(s.seed)
  const generation = s.generation + 1
  const delayMs = backoffDelay(s.attempt, r.value, s.options.backoff)
  return {
    state: {
      ...s,
      phase: "offline",
      generation,
      seed: r.seed,
      attempt: s.attempt + 1,
      socketUp: false,
      socketOpening: false,
      pollArmed: false,
      pushing: false,
      pulling: false,
      storing: undefined,
      liveQueue: [],
      error,
    },
    effects: [{ _tag: "CloseSocket" }, { _tag: "ScheduleTimer", gen: generation, delayMs }],
  }
}

/** Arms the HTTP-only poll timer: jittered backoff over the poll count, capped like reconnects. */
const withPollTimer = (t: Transition): Transition => {
  const s = t.state
  const r = nextRandom(s.seed)
  const delayMs = backoffDelay(s.socketAttempt, r.value, s.options.backoff)
  return {
    state: { ...s, seed: r.seed, socketAttempt: s.socketAttempt + 1, pollArmed: true },
    effects: [...t.effects, { _tag: "ScheduleTimer", gen: s.generation, delayMs }],
  }
}

/** Arms the safety poll of a live connection: `livePollMs` ±25%. */
const withLivePoll = (t: Transition): Transition => {
  const s = t.state
  const r = nextRandom(s.seed)
  const delayMs = Math.round(s.options.livePollMs * (0.75 + 0.5 * r.value))
  return {
    state: { ...s, seed: r.seed, pollArmed: true },
    effects: [...t.effects, { _tag: "ScheduleTimer", gen: s.generation, delayMs }],
  }
}

const fail = (s: MachineState, error: SyncError): Transition => {
  if (reactionOf(error.kind) === "fatal") {
    return {
      state: { ...s, phase: "stopped", error, generation: s.generation + 1 },
      effects: [{ _tag: "CloseSocket" }, { _tag: "CancelTimer" }, { _tag: "Fatal", error }],
    }
  }
  return goOffline(s, error)
}

/** Starts whatever IO the connected state still needs, and notices when it is caught up. */
const drive = (s0: MachineState, now: number): Transition => {
  if (!connected(s0)) return { state: s0, effects: [] }
  let s = s0
  const effects: Array<SyncEffect> = []
  if (!s.pulling && s.storing === undefined) {
    if (s.needsSnapshot) {
      s = { ...s, pulling: true }
      effects.push({ _tag: "FetchSnapshot", gen: s.generation })
    } else if (s.pullMore || s.cursor < s.head) {
      s = { ...s, pulling: true }
      effects.push({ _tag: "Pull", gen: s.generation, after: s.cursor })
    }
  }
  if (s.pending > 0 && !s.pushing) {
    s = { ...s, pushing: true }
    effects.push({ _tag: "PushNext", gen: s.generation })
  }
  if (s.phase === "catchingUp" && !s.pulling && !s.needsSnapshot && s.storing === undefined) {
    s = { ...s, phase: "live" }
  }
  // Backoff resets only once fully in sync, so a push that keeps failing right after each
  // reconnect still backs off further every time.
  if (isIdle(s)) s = { ...s, lastSyncedAt: now, attempt: 0 }
  return { state: s, effects }
}
