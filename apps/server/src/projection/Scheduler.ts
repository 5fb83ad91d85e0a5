/**
 * Which document the projection works on next (pure: the clock is passed in; unit-tested).
 *
 * - **One batch per turn.** A document runs one batch, then goes to the back of the line:
 *   a 100,000-update backlog advances batch by batch, interleaved with everyone else. A batch
 *   that was not full reached the log's head: the document rests until signalled again.
 * - **Fair across workspaces.** Ready documents wait in their workspace's line and workspaces
 *   take turns, so a workspace with many documents cannot crowd out one with a single edit.
 * - **Heavy documents never take every slot.** A document known to be large (or whose batch
 *   ran long) is heavy; at most `concurrency - 1` heavy batches run at once, so one slot is
 *   always there for small ones (and the Projector gives heavy ones their own pool worker).
 * - **Failures back off.** A failed batch makes its document wait (exponential, with jitter,
 *   up to `backoffMaxMs`) and halves its batch size; the others go on. Success resets both.
 * - **Batch size adapts** to a time budget: halved after a batch over `batchBudgetMs`, doubled
 *   (up to `batchMax`) after a full batch well under it.
 * - **Groups share a slot.** `nextGroup` hands out several light, healthy documents of distinct
 *   workspaces as one turn (the Projector projects them with one read, one pool message and
 *   one statement): a turn's fixed cost is paid once for all of them.
 * - **Under load, work gathers.** After a group of at least `gatherFrom` documents (many were
 *   ready at once: the projection is busy), a document's turn waits until its work is
 *   `gatherMs` old, so each batch carries several updates of its document (an entity edited
 *   five times is one row written, once) and the projection's cost per update falls as the
 *   load rises, leaving the cores to the push path. On a quiet server turns start at once.
 */

export interface SchedulerOptions {
  readonly concurrency: number
  readonly batchMax: number
  readonly batchBudgetMs: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  /** Under load, how long a document's work waits to gather more (0: never waits). */
  readonly gatherMs?: number
  /** A group of at least this many documents means load: turns gather until a smaller one. */
  readonly gatherFrom?: number
  /** In [0, 1): random spread of backoff delays (tests pass a fixed function). */
  readonly random?: () => number
}

export interface DocTurn {
  readonly ws: string
  readonly doc: string
  readonly key: string
  /** Updates this batch may take. */
  readonly batch: number
  readonly heavy: boolean
  /** Failures in a row before this turn (0: healthy). */
  readonly failures: number
  /** The slot this turn runs in, shared by a group's turns: freed when the last of them is done. */
  readonly slot: { open: number }
}

interface Doc {
  readonly ws: string
  readonly doc: string
  readonly key: string
  state: "idle" | "ready" | "running" | "backoff"
  /** Signalled while running: more work arrived, take another turn after this one. */
  again: boolean
  heavy: boolean
  batch: number
  failures: number
  retryAt: number
  /** When its waiting work arrived (`DUE_NOW` for a backlog or a retry). */
  readyAt: number
}

export type TurnOutcome =
  | { readonly _tag: "Progressed"; readonly seconds: number; readonly full: boolean }
  | { readonly _tag: "CaughtUp" }
  /** Another node holds the workspace's lease: nothing to do here until signalled again. */
  | { readonly _tag: "NotOurs" }
  | { readonly _tag: "Failed" }

export class Scheduler {
  private readonly docs = new Map<string, Doc>()
  /** Per workspace, its ready documents in arrival order. */
  private readonly lines = new Map<string, Array<Doc>>()
  /** Workspaces with ready documents, in turn order. */
  private readonly rotation: Array<string> = []
  private running = 0
  private runningHeavy = 0
  /** Documents in the last turn handed out (see `gatherFrom`). */
  private lastGroup = 0

  constructor(private readonly options: SchedulerOptions) {}

  /** The document has work (a commit, the sweep) since `now`: it gets a turn, now or after its backoff. */
  signal(ws: string, doc: string, now = 0): void {
    const d = this.docOf(ws, doc)
    if (d.state === "idle") this.enqueue(d, now)
    else if (d.state === "running" && !d.again) {
      d.again = true
      d.readyAt = now
    }
  }

  /** Marks a document heavy (large, or slow batches): see the class comment. */
  markHeavy(ws: string, doc: string): void {
    this.docOf(ws, doc).heavy = true
  }

  isHeavy(ws: string, doc: string): boolean {
    return this.docs.get(docKey(ws, doc))?.heavy ?? false
  }

  /** The next turn to run, or undefined (nothing ready, all slots busy, or only heavy work and no heavy slot). */
  next(now: number): DocTurn | undefined {
    this.wakeBackoffs(now)
    if (this.running >= this.options.concurrency) return undefined
    const heavySlots = Math.max(1, this.options.concurrency - 1)
    for (let i = 0; i < this.rotation.length; i++) {
      const ws = this.rotation[i]!
      const line = this.lines.get(ws)!
      const at = line.findIndex((d) => (!d.heavy || this.runningHeavy < heavySlots) && this.due(d, now))
      if (at < 0) continue
      const [d] = line.splice(at, 1) as [Doc]
      // This workspace had its turn: to the back of the rotation (or out, if nothing is left).
      this.rotation.splice(i, 1)
      if (line.length > 0) this.rotation.push(ws)
      else this.lines.delete(ws)
      this.running++
      if (d.heavy) this.runningHeavy++
      this.lastGroup = 1
      return this.start(d, { open: 0 })
    }
    return undefined
  }

  /**
   * The next turn and, when it is light, up to `max - 1` more light documents that have not
   * failed, one per workspace, in the rotation's order, all in its slot (see the class comment).
   */
  nextGroup(now: number, max: number): Array<DocTurn> {
    const gathering = this.gathering()
    const first = this.next(now)
    if (first === undefined) return []
    const group = [first]
    if (first.heavy || first.failures > 0) return group
    const taken = new Set([first.ws])
    for (let i = 0; i < this.rotation.length && group.length < max; ) {
      const ws = this.rotation[i]!
      const line = this.lines.get(ws)!
      const at = taken.has(ws)
        ? -1
        : line.findIndex((d) => !d.heavy && d.failures === 0 && (!gathering || this.isDue(d, now)))
      if (at < 0) {
        i++
        continue
      }
      const [d] = line.splice(at, 1) as [Doc]
      taken.add(ws)
      this.rotation.splice(i, 1)
      if (line.length > 0) this.rotation.push(ws)
      else this.lines.delete(ws)
      group.push(this.start(d, first.slot))
    }
    this.lastGroup = group.length
    return group
  }

  /** While turns gather and a slot is free (see the class comment): when the next waiting document falls due. */
  nextDueAt(now: number): number | undefined {
    if (!this.gathering() || this.running >= this.options.concurrency) return undefined
    let at: number | undefined
    for (const line of this.lines.values())
      for (const d of line) {
        const due = d.readyAt + (this.options.gatherMs ?? 0)
        if (due > now && (at === undefined || due < at)) at = due
      }
    return at
  }

  /** A turn ended. Returns the delay before a failed document's retry (ms), else undefined. */
  done(turn: DocTurn, outcome: TurnOutcome, now: number): number | undefined {
    const d = this.docs.get(turn.key)
    if (d === undefined || d.state !== "running") return undefined
    if (--turn.slot.open === 0) {
      this.running--
      if (turn.heavy) this.runningHeavy--
    }
    let delay: number | undefined
    switch (outcome._tag) {
      case "Progressed": {
        d.failures = 0
        d.batch = adaptBatch(d.batch, outcome.seconds, outcome.full, this.options)
        // A full batch may have left more: another turn, at the back of the line. One that was
        // not full read the log to its head; a commit after that read signalled (`again`).
        // Without this, every commit on a quiet server cost a second turn that read the state
        // and the log only to find nothing: two queries per push of the six it made.
        if (outcome.full) {
          this.enqueue(d, DUE_NOW)
          return undefined
        }
        break
      }
      case "CaughtUp":
        d.failures = 0
        break
      case "NotOurs":
        d.again = false
        break
      case "Failed": {
        d.failures++
        d.batch = Math.max(1, Math.floor(d.batch / 2))
        const base = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (d.failures - 1))
        delay = Math.round(base * (0.8 + 0.4 * (this.options.random ?? Math.random)()))
        d.state = "backoff"
        d.retryAt = now + delay
        return delay
      }
    }
    d.state = "idle"
    if (d.again) this.enqueue(d, d.readyAt)
    return delay
  }

  /** When the earliest backoff ends (ms since epoch), for the caller to wake then. */
  nextRetryAt(): number | undefined {
    let at: number | undefined
    for (const d of this.docs.values())
      if (d.state === "backoff" && (at === undefined || d.retryAt < at)) at = d.retryAt
    return at
  }

  /** Documents waiting out a backoff. */
  failing(): number {
    let n = 0
    for (const d of this.docs.values()) if (d.state === "backoff") n++
    return n
  }

  /** Whether any document of the workspace is ready, running or backing off (its lease is in use). */
  active(ws: string): boolean {
    for (const d of this.docs.values()) if (d.ws === ws && d.state !== "idle") return true
    return false
  }

  runningCount(): { light: number; heavy: number } {
    return { light: this.running - this.runningHeavy, heavy: this.runningHeavy }
  }

  private start(d: Doc, slot: { open: number }): DocTurn {
    d.state = "running"
    d.again = false
    slot.open++
    return { ws: d.ws, doc: d.doc, key: d.key, batch: d.batch, heavy: d.heavy, failures: d.failures, slot }
  }

  private wakeBackoffs(now: number): void {
    for (const d of this.docs.values()) if (d.state === "backoff" && d.retryAt <= now) this.enqueue(d, DUE_NOW)
  }

  private gathering(): boolean {
    return (this.options.gatherMs ?? 0) > 0 && this.lastGroup >= (this.options.gatherFrom ?? Number.POSITIVE_INFINITY)
  }

  private isDue(d: Doc, now: number): boolean {
    return d.readyAt + (this.options.gatherMs ?? 0) <= now
  }

  private due(d: Doc, now: number): boolean {
    return !this.gathering() || this.isDue(d, now)
  }

  private enqueue(d: Doc, readyAt: number): void {
    d.state = "ready"
    d.again = false
    d.readyAt = readyAt
    let line = this.lines.get(d.ws)
    if (line === undefined) {
      this.lines.set(d.ws, (line = []))
      this.rotation.push(d.ws)
    }
    line.push(d)
  }

  private docOf(ws: string, doc: string): Doc {
    const key = docKey(ws, doc)
    let d = this.docs.get(key)
    if (d === undefined) {
      d = {
        ws,
        doc,
        key,
        state: "idle",
        again: false,
        heavy: false,
        batch: this.options.batchMax,
        failures: 0,
        retryAt: 0,
        readyAt: 0,
      }
      this.docs.set(key, d)
    }
    return d
  }
}

/** The next batch size after a batch of `batch` updates took `seconds` (see the class comment). */
export const adaptBatch = (
  batch: number,
  seconds: number,
  full: boolean,
  options: Pick<SchedulerOptions, "batchMax" | "batchBudgetMs">,
): number => {
  const ms = seconds * 1000
  if (ms > options.batchBudgetMs) return Math.max(1, Math.floor(batch / 2))
  if (full && ms < options.batchBudgetMs / 4) return Math.min(options.batchMax, batch * 2)
  return batch
}

/** The `readyAt` of work that must not wait to gather (a backlog, a retry). */
const DUE_NOW = Number.NEGATIVE_INFINITY

/** A document's key in the projection's maps (the scheduler's, a group turn's outcomes). */
export const docKey = (ws: string, doc: string) => `${ws}\u0000${doc}`
