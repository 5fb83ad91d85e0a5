import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { ErrorKind } from "../protocol/errors.js"
import type { SeqBlob } from "../protocol/updatesBody.js"
import type { BackoffOptions } from "./backoff.js"
import { type Clock, systemClock } from "./Clock.js"
import type { DocHost } from "./DocHost.js"
import type { LocalStore, OutboxEntry, OutboxStats, RebasePlan, StoredDoc } from "./LocalStore.js"
import type { Lock } from "./Lock.js"
import { OwnCommits } from "./OwnCommits.js"
import { type AckedEntry, type PushOutcome, pushOutbox } from "./pushOutbox.js"
import { planRebase, planRetry, planSetAside } from "./rebase.js"
import {
  initialState,
  isIdle,
  type MachineState,
  type SyncEffect,
  type SyncError,
  type SyncEvent,
  type SyncStatus,
  statusOf,
  transition,
} from "./SyncMachine.js"
import { type LiveConnection, type Transport, TransportError } from "./Transport.js"

export interface SyncEngineOptions {
  readonly store: LocalStore
  readonly transport: Transport
  readonly host: DocHost
  readonly workspaceId: WorkspaceId
  readonly docId: DocId
  readonly token: string
  readonly clock?: Clock
  /** In [0, 1); seeds the backoff jitter and idempotency keys when `newKey` is absent. */
  readonly random?: () => number
  readonly newKey?: () => string
  /** Held for the engine's lifetime: one leader per document per origin. */
  readonly lock?: Lock
  /**
   * The stored document the caller has just read (its host was built from it): the engine
   * takes its cursor from it instead of reading the whole document again (tens of MB for a
   * large workspace). Ignored with a `lock`, which must be held before the store is read.
   */
  readonly stored?: StoredDoc
  readonly pullLimit?: number
  /** Compact the local update log after this many stored updates at least (see `compactionDue`). */
  readonly compactEvery?: number
  /**
   * Each compaction's thresholds are scaled by 1 + spread × random() (default 0.5), drawn anew
   * after every compaction. Every device of a workspace stores the same stream, so without it
   * they all compact (an O(document) snapshot) at the same entry: devices sharing a thread or
   * a machine stalled together (`bench/peers.ts`' writers: 25 engines a thread, ~300 ms).
   */
  readonly compactSpread?: number
  readonly backoff?: BackoffOptions
  /** Mean interval of the safety pull while live (C13); default one minute. */
  readonly livePollMs?: number
  readonly online?: boolean
  /** Observes every batch of remote updates stored, in order (tests check I2/I4 with it). */
  readonly onRemoteStored?: (records: ReadonlyArray<SeqBlob>, cursor: number, viaSnapshot: boolean) => void
  /**
   * A snapshot as it arrives from the server, before this engine applies and stores it (then
   * `onRemoteStored` reports it too). The server holds it durably, so others holding the document
   * (the web app's tabs) may import it at once rather than after the store's write: a new
   * device's first board waits for it. `cursor`: the seq it covers (the same `onRemoteStored` gets).
   */
  readonly onSnapshotFetched?: (bytes: Uint8Array, cursor: number) => void
  /** Pushes in flight on the socket at most (default `PUSH_WINDOW`, at most 64). */
  readonly pushWindow?: number
  /**
   * The store was rewritten and the host reloaded (refused changes taken out, C14): anything
   * else holding the document (other tabs) must load it again from the store.
   */
  readonly onDocReset?: () => void
  /** The engine appended a commit of its own (a retried refused change, C15): show it elsewhere too. */
  readonly onCommitAdded?: (entry: OutboxEntry) => void
  /** Observes acknowledgements once persisted, in order (benchmarks time them). */
  readonly onPushAcked?: (acks: ReadonlyArray<AckedEntry>) => void
}

const toSyncError = (e: unknown, fallback: ErrorKind = "Internal"): SyncError =>
  e instanceof TransportError ? { kind: e.kind, message: e.message } : { kind: fallback, message: String(e) }

const randomKey = (): string => {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")
}

/**
 * Runs the sync machine's effects against a transport, a local store and a document host
 * for one document. Every async step ends in an event, never in an unhandled rejection.
 */
export class SyncEngine {
  private state: MachineState
  private readonly clock: Clock
  private readonly random: () => number
  private readonly newKey: () => string
  private readonly listeners = new Set<(s: SyncStatus) => void>()
  private status: SyncStatus
  private live: LiveConnection | undefined
  private timer: unknown
  private queue: Array<SyncEvent> = []
  private dispatching = false
  private localChain: Promise<unknown> = Promise.resolve()
  private lastLocal: Promise<OutboxEntry | undefined> = Promise.resolve(undefined)
  private remoteChain: Promise<unknown> = Promise.resolve()
  /** This document's latest commits: their echo from the server is stored, not imported again. */
  private readonly own = new OwnCommits()
  private storedCursor = 0
  private pending = 0
  private oldestPendingAt: number | undefined
  private rejected = 0
  /**
   * The local log after the stored snapshot: entries stored since the last compaction or squash
   * (`fresh`), and the bytes of every entry (`bytes`).
   */
  private log = { fresh: 0, bytes: 0 }
  /**
   * Where the last compaction or squash left the log: entries above `afterId` are the fresh ones,
   * and every change the document held at `version` was stored by then (at `afterId` or below, or
   * in the snapshot), so the changes since `version` cover the fresh entries. Unknown after a
   * start or a rebase: the next compaction is a full one.
   */
  private squashPoint: { readonly afterId: number; readonly version: Uint8Array } | undefined
  /** The size of the snapshot the log sits on: a compaction costs about that much to write. */
  private snapshotBytes = 0
  /** This cycle's scale of the compaction thresholds (`compactSpread`). */
  private compactScale = 1
  private localError: SyncError | undefined
  /** Local commits seen (counted synchronously): a rebase checks none came while it planned. */
  private localCommits = 0
  private unsubscribeHost: (() => void) | undefined
  private release: (() => void) | undefined
  private stopped = false

  private constructor(private readonly o: SyncEngineOptions) {
    this.clock = o.clock ?? systemClock
    this.random = o.random ?? Math.random
    this.newKey = o.newKey ?? randomKey
    this.state = initialState({
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.livePollMs ? { livePollMs: o.livePollMs } : {}),
    })
    this.status = statusOf(this.state)
    this.drawCompactScale()
  }

  private drawCompactScale(): void {
    this.compactScale = 1 + (this.o.compactSpread ?? 0.5) * this.random()
  }

  /** Loads cursor and outbox from the store, starts listening to local commits and connects. */
  static async start(options: SyncEngineOptions): Promise<SyncEngine> {
    const engine = new SyncEngine(options)
    if (options.lock)
      engine.release = await options.lock.acquire(`vibestack-sync:${options.workspaceId}:${options.docId}`)
    const stored =
      options.stored !== undefined && options.lock === undefined
        ? options.stored
        : await options.store.loadDoc(options.workspaceId, options.docId)
    await engine.refreshOutbox()
    engine.storedCursor = stored.cursor
    engine.log = { fresh: stored.updates.length, bytes: sumBytes(stored.updates.map((u) => u.bytes)) }
    engine.snapshotBytes = stored.snapshot?.length ?? 0
    engine.unsubscribeHost = options.host.onLocalUpdate((bytes) => {
      engine.recordLocal(bytes).catch(() => undefined)
    })
    engine.dispatch({
      _tag: "Start",
      cursor: stored.cursor,
      pending: engine.pending,
      needsSnapshot: stored.cursor === 0,
      online: options.online ?? true,
      seed: Math.floor(engine.random() * 2 ** 31),
    })
    return engine
  }

  getStatus(): SyncStatus {
    return this.status
  }

  get cursor(): number {
    return this.storedCursor
  }

  subscribe(listener: (s: SyncStatus) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Persists a local commit to the outbox (C1); resolves once it counts. The host calls
   * this for every commit; writes are chained so the outbox keeps commit order (C3).
   */
  recordLocal(bytes: Uint8Array): Promise<OutboxEntry> {
    const { store, workspaceId, docId } = this.o
    this.own.add(bytes)
    const createdAt = this.clock.now()
    this.localCommits++
    const write = this.localChain.then(() =>
      store.appendLocal(workspaceId, docId, { bytes, idempotencyKey: this.newKey(), createdAt }),
    )
    this.lastLocal = write.catch(() => undefined)
    this.localChain = write.then(
      async () => {
        this.log.fresh++
        this.log.bytes += bytes.length
        // The count from the store, not a running tally: tabs append to the same outbox.
        await this.refreshOutbox()
        this.dispatch({ _tag: "LocalCommit", pending: this.pending })
      },
      (e) => this.setError(toSyncError(e)),
    )
    return write
  }

  /**
   * Drops refused change `id` from the rejected list (C15). Its ops are already out of the
   * document, so nothing else changes.
   */
  discardRejected(id: number): Promise<void> {
    return this.serialize(async () => {
      await this.o.store.resolveRejected(this.o.workspaceId, this.o.docId, id, undefined)
      await this.refreshOutbox()
      this.publish()
    })
  }

  /**
   * Applies refused change `id` again, as a new commit on top of the document (C15), e.g.
   * after joining again with a link that may write. Resolves to why it cannot, if it cannot.
   */
  retryRejected(id: number): Promise<{ readonly error?: string }> {
    const { store, workspaceId, docId, host } = this.o
    return this.serialize(async () => {
      await this.localChain
      const [stored, outbox, rejected] = await Promise.all([
        store.loadDoc(workspaceId, docId),
        store.outbox(workspaceId, docId),
        store.rejectedOutbox(workspaceId, docId),
      ])
      const change = planRetry({ stored, outbox, rejected, id, newKey: this.newKey, now: this.clock.now() })
      if ("error" in change) return change
      const entry = await store.resolveRejected(workspaceId, docId, id, change)
      if (entry === undefined) return { error: "this change is no longer in the list" }
      await host.applyRemote([entry.bytes])
      this.o.onCommitAdded?.(entry)
      await this.refreshOutbox()
      this.dispatch({ _tag: "LocalCommit", pending: this.pending })
      return {}
    })
  }

  /** Resolves once every local commit seen so far is persisted, with the last one's entry. */
  async flushLocal(): Promise<OutboxEntry | undefined> {
    await this.localChain
    return this.lastLocal
  }

  setOnline(online: boolean): void {
    this.dispatch({ _tag: online ? "NetworkOnline" : "NetworkOffline" })
  }

  /** Resolves when everything is pushed and pulled; rejects if the engine stops or time runs out. */
  async waitIdle(timeoutMs = 10_000): Promise<void> {
    await this.localChain
    if (isIdle(this.state)) return
    await new Promise<void>((resolve, reject) => {
      const deadline = globalThis.setTimeout(() => {
        off()
        reject(new Error(`not idle after ${timeoutMs} ms: ${JSON.stringify(this.status)}`))
      }, timeoutMs)
      const off = this.subscribe((s) => {
        if (isIdle(this.state) || s.state === "stopped") {
          globalThis.clearTimeout(deadline)
          off()
          if (s.state === "stopped") reject(new Error(`sync stopped: ${s.error?.kind ?? "stopped"}`))
          else resolve()
        }
      })
    })
  }

  /** Stops syncing: closes the socket, clears the timer, releases the lock. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.dispatch({ _tag: "Stop" })
    this.stopped = true
    this.unsubscribeHost?.()
    await this.localChain
    this.release?.()
  }

  /** A failure of this device's own (storing a commit, rebuilding after a refusal): shown until the next one clears it. */
  private setError(error: SyncError | undefined): void {
    this.localError = error
    this.publish()
  }

  /** Re-reads what the status says about the outbox and the rejected list (the store is the truth). */
  private async refreshOutbox(): Promise<void> {
    const { store, workspaceId, docId } = this.o
    this.takeStats(await store.outboxStats(workspaceId, docId))
  }

  private takeStats(stats: OutboxStats): void {
    this.pending = stats.count
    this.oldestPendingAt = stats.oldestAt
    this.rejected = stats.rejected
  }

  /** Tells listeners when the status changed (and every time it is idle: `waitIdle` needs it). */
  private publish(): void {
    const status = statusOf(this.state, { oldestPendingAt: this.oldestPendingAt, rejected: this.rejected })
    const next =
      this.localError === undefined || status.error !== undefined ? status : { ...status, error: this.localError }
    const s = this.status
    if (
      next.state !== s.state ||
      next.pending !== s.pending ||
      next.oldestPendingAt !== s.oldestPendingAt ||
      next.rejected !== s.rejected ||
      next.lastSyncedAt !== s.lastSyncedAt ||
      next.error !== s.error ||
      next.online !== s.online ||
      isIdle(this.state)
    ) {
      this.status = next
      for (const l of this.listeners) l(next)
    }
  }

  /** Runs store work that must not interleave with storing remote updates, compaction or a rebase. */
  private serialize<A>(f: () => Promise<A>): Promise<A> {
    const result = this.remoteChain.then(f)
    this.remoteChain = result.catch(() => undefined)
    return result
  }

  private dispatch(event: SyncEvent): void {
    if (this.stopped) return
    this.queue.push(event)
    if (this.dispatching) return
    this.dispatching = true
    try {
      for (let guard = 0; this.queue.length > 0 && guard < 100_000; guard++) {
        const e = this.queue.shift()!
        const t = transition(this.state, e, this.clock.now())
        this.state = t.state
        for (const effect of t.effects) this.run(effect)
      }
    } finally {
      this.dispatching = false
    }
    this.publish()
  }

  private fail(gen: number, e: unknown): void {
    this.dispatch({ _tag: "Failed", gen, error: toSyncError(e) })
  }

  private run(effect: SyncEffect): void {
    switch (effect._tag) {
      case "OpenSocket":
        return void this.openSocket(effect.gen).catch((e) =>
          this.dispatch({ _tag: "SocketFailed", gen: effect.gen, error: toSyncError(e) }),
        )
      case "CloseSocket": {
        const live = this.live
        this.live = undefined
        live?.close()
        return
      }
      case "PushNext":
        return void this.pump(effect.gen).catch((e) => this.fail(effect.gen, e))
      case "Pull":
        return void this.pull(effect.gen, effect.after).catch((e) => this.fail(effect.gen, e))
      case "FetchSnapshot":
        return void this.fetchSnapshot(effect.gen).catch((e) => this.fail(effect.gen, e))
      case "StoreLive":
        return void this.storeLive(effect.gen, effect.records).catch((e) => this.fail(effect.gen, e))
      case "ScheduleTimer":
        this.clearTimer()
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined
          this.dispatch({ _tag: "TimerFired", gen: effect.gen })
        }, effect.delayMs)
        return
      case "CancelTimer":
        this.clearTimer()
        return
      case "Fatal":
        return void this.recordFatal(effect.error).catch(() => undefined)
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private current(gen: number): boolean {
    return !this.stopped && gen === this.state.generation
  }

  private async openSocket(gen: number): Promise<void> {
    const { transport, token, workspaceId, docId } = this.o
    const conn = await transport.connectLive(token, workspaceId, {
      onUpdate: (doc, seq, bytes) => {
        if (doc === docId) this.dispatch({ _tag: "LiveUpdate", gen, seq, bytes })
      },
      onSubscribed: (doc, cursor) => {
        if (doc === docId) this.dispatch({ _tag: "Subscribed", gen, cursor })
      },
      onClose: (error) => this.dispatch({ _tag: "SocketClosed", gen, error }),
    })
    if (!this.current(gen)) return conn.close()
    this.live?.close()
    this.live = conn
    conn.subscribe(docId)
    this.dispatch({ _tag: "SocketOpened", gen })
  }

  /**
   * Pushes the outbox until it is empty (C3): pipelined on the socket, one by one over HTTP.
   * Refused changes are taken out of the document and what depended on them re-applied
   * (C14), then pushing goes on: a refusal never stops sync.
   */
  private async pump(gen: number): Promise<void> {
    const { store, transport, token, workspaceId, docId } = this.o
    await this.localChain
    // Whether the last store call of the run was an acknowledgement: its stats are then current.
    let statsFromAck = false
    for (let round = 0; ; round++) {
      statsFromAck = false
      const outcome = await pushOutbox({
        store,
        transport,
        token,
        workspaceId,
        docId,
        live: () => (this.current(gen) ? this.live : undefined),
        current: () => this.current(gen),
        mayWrite: async () => (await transport.info(token, workspaceId)).role !== "viewer",
        onAcked: async (acks, stats) => {
          this.o.onPushAcked?.(acks)
          this.takeStats(stats)
          statsFromAck = true
          const seq = Math.max(...acks.map((a) => a.seq))
          if (this.current(gen)) this.dispatch({ _tag: "PushAcked", gen, seq, pending: this.pending })
        },
        ...(this.o.pushWindow ? { window: this.o.pushWindow } : {}),
      })
      if (outcome === undefined || !this.current(gen)) return
      if (outcome.refused.size === 0 && outcome.refuseAll === undefined) break
      // Each round takes at least one change out for good; a bound keeps a bug from spinning.
      if (round >= 50) throw new TransportError("Internal", "refused changes keep coming back after rebasing")
      await this.rebase(outcome)
      if (!this.current(gen)) return
    }
    if (!statsFromAck) await this.refreshOutbox()
    if (this.current(gen)) this.dispatch({ _tag: "PushDone", gen, pending: this.pending })
  }

  /**
   * Rewrites the store without the refused changes (C14), in one atomic call that only lands
   * if no commit arrived meanwhile (else it is planned again), and reloads the document.
   *
   * A commit made on the old document after the plan would depend on ops the new one no
   * longer has. So the host is switched to the new document synchronously, right after
   * checking that no commit was made since the plan's reads, and local commits are recorded
   * only once the store holds the new document: every later commit is made on it.
   */
  private rebase(outcome: PushOutcome): Promise<void> {
    const { store, workspaceId, docId, host } = this.o
    return this.serialize(async () => {
      for (let attempt = 0; attempt < 10; attempt++) {
        await this.localChain
        if (this.stopped) return
        const commitsBefore = this.localCommits
        const [stored, outbox, rejected] = await Promise.all([
          store.loadDoc(workspaceId, docId),
          store.outbox(workspaceId, docId),
          store.rejectedOutbox(workspaceId, docId),
        ])
        const input = { stored, outbox, rejected, ...outcome, newKey: this.newKey }
        let plan: RebasePlan
        try {
          plan = planRebase(input).plan
          this.localError = undefined
        } catch (e) {
          // Never lose a change to a bug in the rebuild: set the refused ones aside as they are.
          this.setError({ kind: "Internal", message: `could not rebuild the document: ${String(e)}` })
          plan = planSetAside(input)
        }
        // A commit made while the store was read is not in the plan: plan again.
        if (this.stopped || this.localCommits !== commitsBefore) continue
        this.own.clear()
        const reset = host.reset({ ...stored, snapshot: plan.snapshot, updates: [] })
        const write = store.rebase(workspaceId, docId, plan)
        this.localChain = this.localChain.then(() => write).catch(() => undefined)
        await reset
        if (!(await write)) {
          // Another writer (a tab) appended meanwhile: back to what the store holds, plan again.
          this.own.clear()
          await host.reset(await store.loadDoc(workspaceId, docId))
          continue
        }
        this.log = { fresh: 0, bytes: 0 }
        this.squashPoint = undefined
        this.snapshotBytes = plan.snapshot.length
        await this.refreshOutbox()
        this.o.onDocReset?.()
        this.publish()
        return
      }
      throw new TransportError("Internal", "the outbox kept changing while refused changes were taken out")
    })
  }

  private async pull(gen: number, after: number): Promise<void> {
    const { transport, token, workspaceId, docId } = this.o
    const page = await transport.pull(token, workspaceId, docId, after, this.o.pullLimit ?? 500)
    if (!this.current(gen)) return
    const last = page.updates.at(-1)
    if (page.cursor < after || (last !== undefined && (page.updates[0]!.seq <= after || last.seq > page.cursor))) {
      throw new TransportError("Internal", `pull page inconsistent with cursor ${after}`)
    }
    await this.storeRemote(gen, page.updates, page.cursor, false)
    this.dispatch({ _tag: "PullPage", gen, cursor: page.cursor, more: page.more })
  }

  private async fetchSnapshot(gen: number): Promise<void> {
    const { transport, token, workspaceId, docId } = this.o
    let snap: { readonly bytes: Uint8Array; readonly cursor: number }
    try {
      snap = await transport.snapshot(token, workspaceId, docId)
    } catch (e) {
      // No snapshot yet for this document: start from an empty pull instead.
      if (!(e instanceof TransportError) || e.kind !== "NotFound") throw e
      snap = { bytes: new Uint8Array(), cursor: 0 }
    }
    if (!this.current(gen)) return
    if (snap.cursor > 0) {
      this.o.onSnapshotFetched?.(snap.bytes, snap.cursor)
      await this.storeRemote(gen, [{ seq: snap.cursor, bytes: snap.bytes }], snap.cursor, true)
    }
    this.dispatch({ _tag: "SnapshotLoaded", gen, cursor: snap.cursor })
  }

  private async storeLive(gen: number, records: ReadonlyArray<SeqBlob>): Promise<void> {
    const seq = records.at(-1)!.seq
    await this.storeRemote(gen, records, seq, false)
    this.dispatch({ _tag: "LiveStored", gen, seq })
  }

  /**
   * Applies to the document, then stores and advances the cursor in one store call (C2).
   * Serialised, and anything at or below the stored cursor is skipped, so the cursor only grows.
   */
  private storeRemote(
    gen: number,
    records: ReadonlyArray<SeqBlob>,
    cursor: number,
    viaSnapshot: boolean,
  ): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.current(gen) || cursor <= this.storedCursor) return
      const fresh = viaSnapshot ? records : records.filter((r) => r.seq > this.storedCursor)
      // A snapshot is never an echo; the log's updates may be this document's own commits,
      // which its update log holds already (`appendLocal`): neither imported nor stored again.
      const bytes = fresh.map((r) => r.bytes)
      const foreign = viaSnapshot ? bytes : this.own.foreign(bytes)
      try {
        await this.o.host.applyRemote(foreign)
      } catch (e) {
        throw new TransportError("Internal", `server update did not import: ${String(e)}`)
      }
      await this.o.store.appendRemote(this.o.workspaceId, this.o.docId, foreign, cursor)
      this.storedCursor = cursor
      this.log.fresh += foreign.length
      this.log.bytes += sumBytes(foreign)
      this.o.onRemoteStored?.(fresh, cursor, viaSnapshot)
      const due = compactionDue(this.log, this.snapshotBytes, this.o.compactEvery ?? 500, this.compactScale)
      if (due === "squash" && this.squashPoint !== undefined) await this.squash(this.squashPoint)
      else if (due !== undefined) await this.compact()
    }
    return this.serialize(run)
  }

  /** Replaces the stored log by a snapshot of the document; the outbox is untouched. */
  private async compact(): Promise<void> {
    const { store, workspaceId, docId, host } = this.o
    const version = await this.storedVersion()
    const entries = await store.updatesAfter(workspaceId, docId, 0)
    const upTo = entries.at(-1)?.id
    if (upTo === undefined) return void (this.log = { fresh: 0, bytes: 0 })
    // The document is ahead of the store (apply before store), so this snapshot covers ≤ upTo.
    const snapshot = await host.exportSnapshot(entries.map((e) => e.bytes))
    await store.compact(workspaceId, docId, snapshot, upTo)
    this.log = { fresh: 0, bytes: 0 }
    this.snapshotBytes = snapshot.length
    this.squashPoint = version === undefined ? undefined : { afterId: upTo, version }
    this.drawCompactScale()
  }

  /**
   * Replaces the log's fresh entries (those after the last compaction or squash) by one update
   * holding the document's changes since that point: O(those changes), where a compaction
   * exports the whole document. The next open imports one blob instead of hundreds.
   */
  private async squash(point: { readonly afterId: number; readonly version: Uint8Array }): Promise<void> {
    const { store, workspaceId, docId, host } = this.o
    const version = await this.storedVersion()
    // Only the entries it replaces are read: a squash costs what they hold, in reads as in Loro.
    const replaced = await store.updatesAfter(workspaceId, docId, point.afterId)
    const upTo = replaced.at(-1)?.id
    // Nothing to merge (the counts ran ahead of the store): wait for `every` more entries.
    if (upTo === undefined || replaced.length < 2) return void (this.log.fresh = 0)
    const blobs = replaced.map((e) => e.bytes)
    // After the read: the document holds every change of the entries it replaces.
    const bytes = await host.exportSince(point.version, blobs)
    await store.squash(workspaceId, docId, bytes, point.afterId, upTo)
    // The log's bytes as tallied (the entries before the point are not read again).
    this.log = { fresh: 0, bytes: Math.max(0, this.log.bytes - sumBytes(blobs)) + bytes.length }
    this.squashPoint = version === undefined ? undefined : { afterId: upTo, version }
    this.drawCompactScale()
  }

  /**
   * The document's version at a moment when everything it holds is stored: local commits are
   * appended after they are made, so this waits until none is on its way (remote updates are
   * stored before a compaction runs: both are serialized). Undefined if commits keep coming.
   */
  private async storedVersion(): Promise<Uint8Array | undefined> {
    for (let i = 0; i < 10; i++) {
      const chain = this.localChain
      await chain
      // No commit was made while waiting: the version is read before the next one can be.
      if (chain === this.localChain) return this.o.host.version()
    }
    return undefined
  }

  /** C6: the reason, in the server's words, on the workspace; a new token clears it. */
  private async recordFatal(error: SyncError): Promise<void> {
    const meta = await this.o.store.getWorkspace(this.o.workspaceId)
    if (meta && meta.token === this.o.token) {
      await this.o.store.putWorkspace({ ...meta, fatal: { kind: error.kind, message: error.message } })
    }
  }
}

const sumBytes = (blobs: ReadonlyArray<Uint8Array>) => blobs.reduce((n, b) => n + b.length, 0)

/**
 * Which compaction the local log is due for, if any. Both wait for at least `every` fresh
 * entries (each is an import at the next open). A compaction writes a whole snapshot (O(the
 * document)) and empties the log, so it waits until the log holds twice a snapshot's bytes: its
 * cost per stored update stays the same whatever the document's size (a fixed count made a
 * 100,000-task document write megabytes every 500 small edits). Before that, a squash merges the
 * fresh entries into one update (O(those entries)): the next open imports a few merged updates of
 * at most twice a snapshot's size. (At one snapshot's worth `bench/peers.ts`' ramp failed its
 * 800 edits/s step in 3 of 3 runs; at two it passed 4 of 4, 2 of them on the step's retry.)
 * `scale` (≥ 1, the engine's `compactSpread`) stretches every threshold so devices on one stream
 * compact at different entries.
 */
export const compactionDue = (
  log: { readonly fresh: number; readonly bytes: number },
  snapshotBytes: number,
  every: number,
  scale = 1,
): "compact" | "squash" | undefined =>
  log.fresh < every * scale ? undefined : log.bytes >= snapshotBytes * 2 * scale ? "compact" : "squash"
