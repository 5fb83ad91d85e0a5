import type { DocId, WorkspaceId } from "@vibestack/schema"
import { reactionOf, type WireError } from "../protocol/errors.js"
import type { LocalStore, OutboxEntry, OutboxStats } from "./LocalStore.js"
import { type LiveConnection, type PushResult, type Transport, TransportError } from "./Transport.js"

/** Frames in flight on the socket at most (the server allows 64 per socket: `maxInFlightPushes`). */
export const PUSH_WINDOW = 32
/** Bytes in flight on the socket at most, so a burst of large changes cannot flood the send buffer. */
export const PUSH_WINDOW_BYTES = 4 * 1024 * 1024
/**
 * Larger changes go over HTTP: a frame over the server's size limit closes the socket (1009),
 * which says nothing about which push was too big, while HTTP answers it with a clear 413.
 */
export const SOCKET_PUSH_MAX_BYTES = 256 * 1024

export interface PushOutboxOptions {
  readonly store: LocalStore
  readonly transport: Transport
  readonly token: string
  readonly workspaceId: WorkspaceId
  readonly docId: DocId
  /** The open socket, if any: pushes go over it (pipelined); otherwise over HTTP, one at a time. */
  readonly live: () => LiveConnection | undefined
  /** False once the connection this run belongs to was abandoned: its results no longer count (C4). */
  readonly current: () => boolean
  /**
   * Asked when a push is answered `Forbidden`: may this token write at all? Throws (a fatal
   * error) when the token itself is no longer valid (C6).
   */
  readonly mayWrite: () => Promise<boolean>
  /**
   * Acknowledged entries were removed from the outbox, in order, each with the seq it got;
   * `stats` is the outbox as that removal left it.
   */
  readonly onAcked: (acks: ReadonlyArray<AckedEntry>, stats: OutboxStats) => Promise<void>
  readonly window?: number
}

export interface AckedEntry {
  readonly id: number
  readonly idempotencyKey: string
  readonly seq: number
}

/** What a run ended with: refusals to take out of the document (C14); empty maps mean drained. */
export interface PushOutcome {
  readonly refused: ReadonlyMap<number, WireError>
  /** The token may read but not write: every outbox entry is refused for this reason. */
  readonly refuseAll: WireError | undefined
}

type Answer = { readonly ok: true; readonly result: PushResult } | { readonly ok: false; readonly error: unknown }

interface InFlight {
  readonly entry: OutboxEntry
  readonly http: boolean
  readonly answer: Promise<Answer>
  settled: boolean
}

const settle = (p: Promise<PushResult>): Promise<Answer> =>
  p.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  )

/**
 * Pushes the outbox oldest first until it is empty or a change is refused (C3). On the socket,
 * up to `window` frames (and `PUSH_WINDOW_BYTES`) are in flight; the server handles one
 * document's pushes in arrival order, so answers are applied in order and acknowledgements are
 * persisted in batches. Over HTTP, one request at a time (parallel requests could arrive out
 * of order). Reads the outbox window by window, never all of it.
 *
 * A refused change (a `rejected` kind, or `Forbidden` for a token that may not write) stops
 * new sends; what is in flight is still awaited, so the caller rebases knowing every answer.
 * Any other failure is thrown (the engine drops the connection and retries; C7).
 */
export const pushOutbox = async (o: PushOutboxOptions): Promise<PushOutcome | undefined> => {
  const window = Math.max(1, Math.min(o.window ?? PUSH_WINDOW, 64))
  const inFlight: Array<InFlight> = []
  const refused = new Map<number, WireError>()
  let refuseAll: WireError | undefined
  let sentUpTo = 0
  let bytesInFlight = 0
  let drained = false
  let acked: Array<AckedEntry> = []
  let writable: boolean | undefined

  // Acknowledgements are persisted off the sending path (in order, one write per batch):
  // the window keeps filling while the store writes. Everything is awaited before returning.
  let persisting: Promise<void> = Promise.resolve()
  const flushAcks = () => {
    if (acked.length === 0) return
    const acks = acked
    acked = []
    persisting = persisting.then(async () => {
      const stats = await o.store.ackOutbox(
        o.workspaceId,
        o.docId,
        acks.map((a) => a.id),
      )
      if (o.current()) await o.onAcked(acks, stats)
    })
    // Awaited by `settleAcks`; a run abandoned meanwhile must not leave it unhandled.
    persisting.catch(() => undefined)
  }
  const settleAcks = async () => {
    flushAcks()
    await persisting
  }

  const send = (entry: OutboxEntry, live: LiveConnection | undefined): InFlight => {
    const { bytes, idempotencyKey } = entry
    const request = live
      ? live.push(o.docId, bytes, idempotencyKey)
      : o.transport.push(o.token, o.workspaceId, o.docId, bytes, idempotencyKey)
    const f: InFlight = { entry, http: live === undefined, answer: settle(request), settled: false }
    void f.answer.then(() => {
      f.settled = true
    })
    return f
  }

  /** Sends what the window allows: the next entries after the last one sent. */
  const fill = async () => {
    while (!drained && refused.size === 0 && refuseAll === undefined) {
      const live = o.live()
      // HTTP never overlaps anything: an earlier push must be answered before the next leaves.
      if (inFlight.some((f) => f.http) || (live === undefined && inFlight.length > 0)) return
      const room = live ? window - inFlight.length : 1
      if (room <= 0 || bytesInFlight >= PUSH_WINDOW_BYTES) return
      const next = await o.store.outboxWindow(o.workspaceId, o.docId, sentUpTo, room)
      if (!o.current()) return
      if (next.length === 0) {
        drained = true
        return
      }
      for (const entry of next) {
        // Read again now: the socket may have closed while the window was read.
        const via = entry.bytes.length > SOCKET_PUSH_MAX_BYTES ? undefined : o.live()
        // An HTTP push leaves only once everything before it is answered.
        if (via === undefined && inFlight.length > 0) return
        sentUpTo = entry.id
        bytesInFlight += entry.bytes.length
        inFlight.push(send(entry, via))
        // The last of a window short of `room` is the last the outbox held: reading again would
        // only find it empty (a read per push). What a tab appends meanwhile is the next run's:
        // the engine pushes again while anything waits.
        if (entry === next.at(-1) && next.length < room) drained = true
        if (via === undefined) return
      }
    }
  }

  for (let guard = 0; guard < 10_000_000; guard++) {
    await fill()
    if (!o.current()) return undefined
    const head = inFlight.shift()
    if (head === undefined) break
    const answer = await head.answer
    if (!o.current()) return undefined
    bytesInFlight -= head.entry.bytes.length
    if (answer.ok) {
      const { id, idempotencyKey } = head.entry
      acked.push({ id, idempotencyKey, seq: answer.result.seq })
      // Batched: one store write for every answer already here.
      if (inFlight[0]?.settled !== true || acked.length >= 64) flushAcks()
      continue
    }
    const e = answer.error
    if (!(e instanceof TransportError)) throw e
    const error: WireError = { kind: e.kind, message: e.message }
    if (reactionOf(e.kind) === "rejected") {
      refused.set(head.entry.id, error)
      continue
    }
    if (e.kind === "Forbidden") {
      await settleAcks()
      // Fatal only if the token itself is refused (mayWrite throws); otherwise it may read.
      writable ??= await o.mayWrite()
      if (!writable) refuseAll ??= error
      else refused.set(head.entry.id, error)
      if (!o.current()) return undefined
      continue
    }
    await settleAcks()
    throw e
  }
  await settleAcks()
  return { refused, refuseAll }
}
