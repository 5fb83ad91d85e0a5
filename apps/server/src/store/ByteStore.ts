import { SqlClient } from "@effect/sql"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError, type SeqBlob, type Unavailable } from "@vibestack/shared"
import { Effect, Redacted, Runtime } from "effect"
import { DatabaseUrl } from "../db/Database.js"
import { Metrics } from "../metrics/Metrics.js"
import { CommitConnection } from "./CommitConnection.js"
import { readSnapshotTail } from "./snapshotTail.js"
import { assemblePieces, newestSnapshotBlob, type PieceRow, piecesOf, updateBlobs } from "./storedBytes.js"

/**
 * The byte store: per-document append-only logs of opaque Loro blobs.
 *
 * Pushes are group-committed: one transaction is in flight at a time, and everything that
 * queued up while it ran goes into the next one, so one fsync acknowledges many pushes. An
 * idle store commits at once (no timer). More transactions in flight would not help: each
 * commit sends NOTIFY, and Postgres serialises notifying commits, fsync included (async.c),
 * so parallel committers only split the batch.
 * Inside each transaction the documents' rows in `docs` are locked in a fixed order
 * before seqs are allocated, so seqs of one document commit in order (the cursor
 * rule: a reader that has seen up to `c` never later finds a new update ≤ `c`),
 * and idempotency keys are checked under that lock, so a retry is stored once.
 * `appendAll` keeps a group together: its blobs commit in one transaction, in order,
 * so a document's validated batch lands in the log in the order it was validated.
 */
export interface PushInput {
  readonly ws: WorkspaceId
  readonly doc: DocId
  readonly bytes: Uint8Array
  readonly idempotencyKey: string | undefined
  readonly clientId: string | undefined
}
export interface PushOutcome {
  readonly seq: number
  readonly duplicate: boolean
}

/** How a queued group ended; `started` is when its transaction began (performance.now()). */
export type GroupOutcome =
  | { readonly _tag: "Committed"; readonly outcomes: ReadonlyArray<PushOutcome>; readonly started: number }
  | { readonly _tag: "Failed"; readonly error: Unavailable; readonly started: number }
  /** Left out: `stale` said so when its transaction was put together. Nothing was written. */
  | { readonly _tag: "Stale" }

/** A group for the committer, with what the push path needs to keep each document's log in order. */
export interface QueuedGroup {
  readonly group: ReadonlyArray<PushInput>
  readonly origin: string | null
  /** Asked as the group's transaction is put together: true leaves the group out. */
  readonly stale: () => boolean
  /**
   * Told synchronously, before the committer puts its next transaction together: a failure can
   * mark the document's later groups stale before any of them is written.
   */
  readonly settle: (outcome: GroupOutcome) => void
}

const MAX_BATCH = 512

/** A push whose commit failed: nothing of it was acknowledged, and its retry may find it a duplicate. */
export const couldNotCommit = (): Unavailable =>
  apiError("Unavailable", "could not commit; retry with the same Idempotency-Key")
/**
 * A commit that has not answered by then is given up on: its pushes get Unavailable (retry
 * with the same key, S1), so a connection that hangs (seen when Postgres stops mid-transaction)
 * cannot hold a document's lane forever. If it commits after all, the retry is a duplicate.
 */
const COMMIT_TIMEOUT_MS = 20_000
export const MAX_DOCS_PER_WORKSPACE = 1000

export class ByteStore extends Effect.Service<ByteStore>()("ByteStore", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const metrics = yield* Metrics
    const commits = new CommitConnection(Redacted.value(yield* DatabaseUrl))
    yield* Effect.addFinalizer(() => Effect.sync(() => commits.close()))

    /**
     * One round trip: `vibestack_append_updates` (migration 0006) creates and locks the documents'
     * rows in a fixed order, checks idempotency keys under the lock, allocates seqs per document
     * in input order, inserts, and queues one NOTIFY per grown document, all in one statement
     * (its own transaction). `origin` (migration 0009) names the node in the NOTIFY payload.
     * One push has statements of its own (migration 0013: a quarter less time than 0012's), calls
     * of up to 16 run as plain statements (0012: a third of the Postgres CPU per commit at the
     * sizes most commits have), larger ones as 0009's set-based statement.
     */
    const commitBatch = (batch: ReadonlyArray<PushInput>, origin: string | null): Promise<Array<PushOutcome>> =>
      // On the byte store's own session (CommitConnection.ts), prepared once per session.
      commits
        .query<{ ord: number; seq: string; duplicate: boolean }>(
          "vibestack_append_updates",
          "select ord, seq, duplicate from vibestack_append_updates($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::text)",
          [
            batch.map((p) => p.ws),
            batch.map((p) => p.doc),
            batch.map((p) => Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength)),
            batch.map((p) => p.clientId ?? null),
            batch.map((p) => p.idempotencyKey ?? null),
            origin,
          ],
          COMMIT_TIMEOUT_MS,
        )
        .then((rows) => {
          if (rows.length !== batch.length) throw new Error(`append returned ${rows.length} rows for ${batch.length}`)
          return rows.map((r) => ({ seq: Number(r.seq), duplicate: r.duplicate }))
        })

    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const committer = new Committer(commitBatch, {
      committed: (ms, size) => {
        metrics.observe("vibestack_push_batch_seconds", ms / 1000)
        metrics.observe("vibestack_push_batch_size", size)
      },
      failed: (e) => void runFork(Effect.logWarning("push batch failed; nothing acknowledged", e)),
    })

    /**
     * Appends blobs in one transaction, in order; resolves only after it committed, rejects with
     * Unavailable otherwise (retry with the same key). `origin`: the node that sends these
     * updates to its own subscribers from memory (it then skips the commit's NOTIFY); without it
     * every node, this one included, reads them back. A promise, no fiber.
     */
    const appendAllNow = (group: ReadonlyArray<PushInput>, origin?: string): Promise<ReadonlyArray<PushOutcome>> =>
      committer.append(group, origin ?? null)

    /**
     * The push path's entry: `appendAllNow` with callbacks, so a document's batches can be queued
     * as soon as each is validated (in validation order) and a failed one can keep the
     * document's later batches out of the log (see `QueuedGroup`).
     */
    const enqueue = (group: QueuedGroup): void => committer.enqueue(group)

    /** `appendAllNow` as an Effect. */
    const appendAll = (group: ReadonlyArray<PushInput>, origin?: string) =>
      Effect.tryPromise({ try: () => appendAllNow(group, origin), catch: (e) => e as Unavailable })

    /** Appends one blob; succeeds only after its transaction committed. */
    const append = (input: PushInput) => Effect.map(appendAll([input]), (outcomes) => outcomes[0]!)

    /** Updates after `after`, at most `limit` records and about `maxBytes` (always at least one). */
    const pull = Effect.fn("ByteStore.pull")(function* (
      ws: WorkspaceId,
      doc: DocId,
      after: number,
      limit: number,
      maxBytes: number,
    ) {
      // The page is cut in SQL (at most `limit`, and within `maxBytes` but for the first), so only
      // its bytes are read, as base64 pieces (`storedBytes.ts`); `candidates` counts the rows
      // that could have come (one more than `limit` says there are more).
      const p = piecesOf(sql, "sized")
      const rows = yield* sql<PieceRow & { candidates: number }>`
        select ${p.columns}, sized.candidates from (
          select seq, bytes, row_number() over (order by seq) as n, count(*) over () as candidates,
            sum(octet_length(bytes)) over (order by seq) as upto
          from (select seq, bytes from doc_updates where workspace_id = ${ws} and doc_id = ${doc} and seq > ${after}
                order by seq limit ${limit + 1}) first
        ) sized cross join lateral ${p.series}
        where sized.n <= ${limit} and (sized.n = 1 or sized.upto <= ${maxBytes})
        order by seq, piece_at`
      const records: Array<SeqBlob> = assemblePieces(rows)
      return { records, more: Number(rows[0]?.candidates ?? 0) > records.length }
    })

    const docCursors = (ws: WorkspaceId) =>
      sql<{
        docId: DocId
        cursor: number
      }>`select doc_id, last_seq as cursor from docs where workspace_id = ${ws} order by doc_id`

    const docCursor = (ws: WorkspaceId, doc: DocId) =>
      Effect.map(
        sql<{ lastSeq: number }>`select last_seq from docs where workspace_id = ${ws} and doc_id = ${doc}`,
        (rows) => rows[0]?.lastSeq,
      )

    const countDocs = (ws: WorkspaceId) =>
      Effect.map(
        sql<{ n: number }>`select count(*)::int8 as n from docs where workspace_id = ${ws}`,
        (r) => r[0]?.n ?? 0,
      )

    /**
     * The newest stored snapshot and every update after it: what a fresh copy of the document is
     * built from. Read in pieces (`storedBytes.ts`): a large document's would block the event loop.
     */
    const loadDoc = Effect.fn("ByteStore.loadDoc")(function* (ws: string, doc: string) {
      const snapshot = yield* newestSnapshotBlob(sql, ws, doc)
      const snapshotSeq = snapshot?.seq ?? 0
      const updates = yield* updateBlobs(sql, ws, doc, snapshotSeq)
      return { snapshot: snapshot?.bytes, snapshotSeq, updates }
    })

    /**
     * The newest stored snapshot of a document (bytes built in the pool from validated data), if
     * any, read in pieces (`storedBytes.ts`).
     */
    const newestSnapshot = (ws: string, doc: string) => newestSnapshotBlob(sql, ws, doc)

    /** The newest stored snapshot's seq and size, and the log after it (`snapshotTail.ts`). */
    const snapshotTail = (ws: string, doc: string) => readSnapshotTail(sql, ws, doc)

    const saveSnapshot = (ws: string, doc: string, seq: number, bytes: Uint8Array) =>
      sql`insert into doc_snapshots (workspace_id, doc_id, seq, bytes)
          values (${ws}, ${doc}, ${seq}, ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)})
          on conflict do nothing`.pipe(Effect.asVoid)

    return {
      append,
      appendAll,
      appendAllNow,
      enqueue,
      pull,
      docCursors,
      docCursor,
      countDocs,
      loadDoc,
      newestSnapshot,
      snapshotTail,
      saveSnapshot,
    } as const
  }),
}) {}

/**
 * The group committer: one transaction in flight; the groups that queued while it ran go into
 * the next one, in queue order, up to MAX_BATCH pushes and one origin per statement. Plain
 * callbacks (no fiber, queue or deferred per commit). A group is settled with its own outcomes
 * after COMMIT, or Failed if the statement failed (nothing of it was acknowledged; a timed-out
 * one may have committed, and its retry is then a duplicate), or Stale if its `stale` said so
 * when the transaction was put together. Every settle of a transaction runs before the next
 * transaction is put together, so a failure can keep a document's later groups out of it.
 */
export class Committer {
  private queue: Array<QueuedGroup> = []
  private running = false

  constructor(
    private readonly commit: (batch: ReadonlyArray<PushInput>, origin: string | null) => Promise<Array<PushOutcome>>,
    private readonly on: { committed: (ms: number, size: number) => void; failed: (error: unknown) => void },
  ) {}

  enqueue(group: QueuedGroup): void {
    if (group.group.length === 0) this.tell(group, { _tag: "Committed", outcomes: [], started: performance.now() })
    else {
      this.queue.push(group)
      if (!this.running) void this.run()
    }
  }

  append(group: ReadonlyArray<PushInput>, origin: string | null): Promise<ReadonlyArray<PushOutcome>> {
    return new Promise((resolve, reject) =>
      this.enqueue({
        group,
        origin,
        stale: () => false,
        settle: (o) =>
          o._tag === "Committed" ? resolve(o.outcomes) : reject(o._tag === "Failed" ? o.error : couldNotCommit()),
      }),
    )
  }

  /** A settle that throws is a bug; the committer goes on, or later pushes would go unanswered. */
  private tell(group: QueuedGroup, outcome: GroupOutcome): void {
    try {
      group.settle(outcome)
    } catch (e) {
      this.on.failed(e)
    }
  }

  /**
   * The next transaction's groups, in queue order; stale ones are settled and left out. A
   * document has at most one group in a transaction: a later one may have been validated on
   * top of the earlier one, and is only judged stale or not once the earlier one has settled.
   * What is left waits for the next transaction, each document's groups still in order.
   */
  private take(): Array<QueuedGroup> {
    const groups: Array<QueuedGroup> = []
    const taken = new Set<string>()
    const held = new Set<string>()
    const rest: Array<QueuedGroup> = []
    let size = 0
    for (const [i, next] of this.queue.entries()) {
      if (size >= MAX_BATCH) {
        rest.push(...this.queue.slice(i))
        break
      }
      const docs = next.group.map((p) => `${p.ws}\u0000${p.doc}`)
      if ((groups.length > 0 && next.origin !== groups[0]!.origin) || docs.some((d) => taken.has(d) || held.has(d))) {
        rest.push(next)
        for (const d of docs) held.add(d)
      } else if (next.stale()) this.tell(next, { _tag: "Stale" })
      else {
        groups.push(next)
        size += next.group.length
        for (const d of docs) taken.add(d)
      }
    }
    this.queue = rest
    return groups
  }

  private async run(): Promise<void> {
    this.running = true
    try {
      while (this.queue.length > 0) {
        const groups = this.take()
        if (groups.length === 0) continue
        const batch = groups.flatMap((g) => g.group)
        const started = performance.now()
        let outcomes: Array<PushOutcome> | undefined
        try {
          outcomes = await this.commit(batch, groups[0]!.origin)
        } catch (e) {
          // Every failure, bugs included: a committer that stopped would leave later pushes unanswered.
          this.on.failed(e)
        }
        this.on.committed(performance.now() - started, batch.length)
        let at = 0
        for (const g of groups) {
          this.tell(
            g,
            outcomes === undefined
              ? { _tag: "Failed", error: couldNotCommit(), started }
              : { _tag: "Committed", outcomes: outcomes.slice(at, at + g.group.length), started },
          )
          at += g.group.length
        }
      }
    } finally {
      this.running = false
    }
  }
}
