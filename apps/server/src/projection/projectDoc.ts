import { Data, Effect } from "effect"
import type { LoroPool } from "../pool/LoroPool.js"
import { type PoolFailure, poolCalls } from "../pool/LoroPoolService.js"
import { ProjectionFaults } from "./ProjectionFaults.js"
import { fitsOneStatement, type ProjectionStore } from "./ProjectionStore.js"
import { docKey } from "./Scheduler.js"

/** The pool's copy or the database moved under this batch (a restart, a rebuild, another node): redo it. */
export class ProjectionConflict extends Data.TaggedError("ProjectionConflict")<{ readonly message: string }> {}

export interface BatchOptions {
  readonly batchUpdates: number
  readonly batchBytes: number
  readonly snapshotEvery: number
  readonly snapshotBytes: number
}

export interface BatchOutcome {
  readonly updates: number
  readonly entityChanges: number
  readonly quarantined: number
  readonly issues: number
  /** False when the document was already caught up. */
  readonly progressed: boolean
  /** The batch stopped at its update or byte limit: more is probably waiting. */
  readonly full: boolean
}

/**
 * Projects the next batch of one document, exactly once:
 *  1. read `projected_seq` = P and the committed updates after it; from zero (a new document,
 *     a rebuild) the batch starts with the newest stored snapshot instead, and the updates after it;
 *  2. the pool imports them into the projection's copy (`importStored`: these bytes were
 *     validated before they were stored, so no health check; one that does not import is
 *     refused, and quarantined below) and reports the rows of every entity that changed since
 *     the copy's committed state, which must be P (else the copy is stale: drop it, it reloads
 *     from the database's state at P);
 *  3. one transaction writes rows + quarantine and moves `projected_seq` P → last seq,
 *     only if it is still P;
 *  4. the copy's new state becomes committed; every `snapshotEvery` updates, or after a batch
 *     of at least `snapshotBytes`, a snapshot is stored (and once the document is quiet, when a
 *     new device could not be served the stored one: `Projector`, `snapshotDue`).
 * Any failure or interruption between 2 and 4 drops the copy, so it can never run ahead of
 * the database: a restart recomputes from the last committed state.
 */
export const projectBatch = (
  store: ProjectionStore,
  pool: LoroPool,
  ws: string,
  doc: string,
  options: BatchOptions,
  useSnapshot = true,
): Effect.Effect<BatchOutcome, PoolFailure | ProjectionConflict | import("@effect/sql").SqlError.SqlError> =>
  Effect.gen(function* () {
    const faults = yield* ProjectionFaults
    const calls = poolCalls(pool)
    const target = { ws, doc }
    const read = yield* store.stateAndUpdates(ws, doc, options.batchUpdates, options.batchBytes)
    const { projectedSeq: from, snapshotSeq } = read?.state ?? (yield* store.state(ws, doc))
    // The rows are empty at zero, so a snapshot's state can be projected as one batch: it
    // saves importing (and diffing) the whole log, by far the most expensive part of a replay.
    const start = from === 0 && useSnapshot ? yield* store.newestSnapshot(ws, doc) : undefined
    const after = start?.seq ?? from
    const updates =
      read !== undefined && from > 0
        ? read.updates
        : yield* store.updatesAfter(ws, doc, after, options.batchUpdates, options.batchBytes)
    if (updates.length === 0 && start === undefined)
      return { updates: 0, entityChanges: 0, quarantined: 0, issues: 0, progressed: false, full: false }
    yield* faults.step("loaded", target)
    const to = updates.length === 0 ? after : updates[updates.length - 1]!.seq
    const blobs = updates.map((u) => u.bytes)
    const bytes = blobs.reduce((n, b) => n + b.byteLength, 0)
    const full = updates.length >= options.batchUpdates || bytes >= options.batchBytes
    let clean = false
    const outcome = yield* Effect.gen(function* () {
      const imported = yield* calls.importStored(ws, doc, start === undefined ? blobs : [start.bytes, ...blobs])
      if (start !== undefined && imported[0]?.ok !== true) return undefined
      const results = start === undefined ? imported : imported.slice(1)
      yield* faults.step("imported", target)
      const changes = yield* calls.run(ws, doc, "projectEntities", { ws })
      if (changes.fromSeq !== from)
        return yield* new ProjectionConflict({ message: `pool copy at ${changes.fromSeq}, projection at ${from}` })
      yield* faults.step("projected", target)
      const skipped = updates.flatMap((u, i) => {
        const r = results[i]
        return r !== undefined && !r.ok ? [{ seq: u.seq, reason: r.reason }] : []
      })
      const applied = yield* store.apply(
        ws,
        doc,
        from,
        to,
        changes,
        skipped,
        faults.step("statement", target),
        start?.seq,
      )
      if (!applied)
        return yield* new ProjectionConflict({ message: `projected_seq of ${ws}/${doc} moved from ${from}` })
      yield* faults.step("committed", target)
      yield* calls.markCommitted(ws, doc, to)
      clean = true
      return {
        updates: updates.length,
        entityChanges: changes.entityChanges,
        quarantined: skipped.length,
        issues: changes.issues.length,
        progressed: true,
        full,
      }
    }).pipe(Effect.onExit(() => (clean ? Effect.void : calls.discard(ws, doc))))
    if (outcome === undefined) {
      yield* Effect.logWarning(`stored snapshot ${start?.seq} of ${ws}/${doc} does not import; replaying the log`)
      return yield* projectBatch(store, pool, ws, doc, options, false)
    }
    if (to - Math.max(snapshotSeq, start?.seq ?? 0) >= options.snapshotEvery || bytes >= options.snapshotBytes)
      yield* storeSnapshot(store, pool, ws, doc, (seq) => seq === to)
    return outcome
  })

/** What a group turn did for one of its documents. */
export type GroupOutcome =
  | { readonly _tag: "Projected"; readonly outcome: BatchOutcome }
  /** Not projected here: run its batch alone (`projectBatch`), which has its own retries and errors. */
  | { readonly _tag: "Alone"; readonly reason: string }

/**
 * The batches of many documents (distinct workspaces, each already projected once) as one:
 * one read of their states and logs, one pool message to import and one to project them, one
 * statement for every document's rows (`applyMany`), so a turn's fixed cost (round trips,
 * messages, a commit, a transaction for the feed) is paid once for all. Each document keeps
 * `projectBatch`'s contract on its own: a document the group cannot finish (no state yet, from
 * zero, a refused or failed import, a stale copy, a moved fence, too many rows for one
 * statement) changed nothing, its copy is dropped, and it is handed back to run alone.
 */
export const projectGroup = (
  store: ProjectionStore,
  pool: LoroPool,
  docs: ReadonlyArray<{ readonly ws: string; readonly doc: string }>,
  options: BatchOptions,
): Effect.Effect<Map<string, GroupOutcome>, PoolFailure | import("@effect/sql").SqlError.SqlError> =>
  Effect.gen(function* () {
    const faults = yield* ProjectionFaults
    const calls = poolCalls(pool)
    const out = new Map<string, GroupOutcome>()
    /** Hands a document back to run alone; nothing of it goes on in the group. */
    const alone = (key: string, reason: string): [] => {
      out.set(key, { _tag: "Alone", reason })
      return []
    }
    const read = yield* store.stateAndUpdatesMany(docs, options.batchUpdates, options.batchBytes)
    const loaded = docs.flatMap((d) => {
      const key = docKey(d.ws, d.doc)
      const r = read.get(key)
      if (r === undefined || r.state.projectedSeq === 0) return alone(key, "not projected yet")
      if (r.updates.length === 0) {
        out.set(key, {
          _tag: "Projected",
          outcome: { updates: 0, entityChanges: 0, quarantined: 0, issues: 0, progressed: false, full: false },
        })
        return []
      }
      const bytes = r.updates.reduce((n, u) => n + u.bytes.byteLength, 0)
      const full = r.updates.length >= options.batchUpdates || bytes >= options.batchBytes
      return [
        {
          ...d,
          key,
          from: r.state.projectedSeq,
          to: r.updates[r.updates.length - 1]!.seq,
          snapshotSeq: r.state.snapshotSeq,
          updates: r.updates,
          bytes,
          full,
        },
      ]
    })
    if (loaded.length === 0) return out
    // Every copy the group touched and did not commit is dropped, whatever ends the group.
    const clean = new Set<string>()
    return yield* Effect.gen(function* () {
      for (const d of loaded) yield* faults.step("loaded", d)
      const imported = yield* calls.importStoredMany(
        loaded.map((d) => ({ ws: d.ws, doc: d.doc, blobs: d.updates.map((u) => u.bytes) })),
      )
      const judged = loaded.flatMap((d, i) => {
        const r = imported[i]!
        if (r._tag === "Failed") return alone(d.key, r.error.message)
        // A refused update is quarantined alone, where its reason is recorded with it.
        if (r.results.some((x) => !x.ok)) return alone(d.key, "an update does not import")
        return [d]
      })
      for (const d of judged) yield* faults.step("imported", d)
      const projected = yield* calls.runMany(
        judged.map((d) => ({ ws: d.ws, doc: d.doc, op: "projectEntities" as const, args: { ws: d.ws } })),
      )
      const batches = judged.flatMap((d, i) => {
        const r = projected[i]!
        if (!r.ok) return alone(d.key, r.error.message)
        if (r.value.fromSeq !== d.from) return alone(d.key, `pool copy at ${r.value.fromSeq}, projection at ${d.from}`)
        if (!fitsOneStatement(r.value)) return alone(d.key, "too many rows for one statement")
        return [{ ...d, changes: r.value }]
      })
      for (const d of batches) yield* faults.step("projected", d)
      if (batches.length === 0) return out
      for (const d of batches) yield* faults.step("statement", d)
      const moved = yield* store.applyMany(
        batches.map((d) => ({
          ws: d.ws,
          doc: d.doc,
          fromSeq: d.from,
          toSeq: d.to,
          changes: d.changes,
          skipped: [],
        })),
      )
      for (const d of batches) {
        if (!moved.has(d.key)) {
          alone(d.key, `projected_seq of ${d.ws}/${d.doc} moved from ${d.from}`)
          continue
        }
        yield* faults.step("committed", d)
        yield* calls.markCommitted(d.ws, d.doc, d.to)
        clean.add(d.key)
        out.set(d.key, {
          _tag: "Projected",
          outcome: {
            updates: d.updates.length,
            entityChanges: d.changes.entityChanges,
            quarantined: 0,
            issues: d.changes.issues.length,
            progressed: true,
            full: d.full,
          },
        })
        if (d.to - d.snapshotSeq >= options.snapshotEvery || d.bytes >= options.snapshotBytes)
          yield* storeSnapshot(store, pool, d.ws, d.doc, (seq) => seq === d.to)
      }
      return out
    }).pipe(
      Effect.onExit(() =>
        Effect.forEach(
          loaded.filter((d) => !clean.has(d.key)),
          (d) => calls.discard(d.ws, d.doc),
          { discard: true },
        ),
      ),
    )
  })

/**
 * Stores a snapshot of the projection's copy (its committed state: the projection's watermark)
 * if `keep` wants one at the seq it covers. An optimisation (faster reloads, new devices served
 * a stored snapshot): a failure is logged, never fatal.
 */
export const storeSnapshot = (
  store: ProjectionStore,
  pool: LoroPool,
  ws: string,
  doc: string,
  keep: (seq: number) => boolean,
) =>
  poolCalls(pool)
    .exportSnapshot(ws, doc)
    .pipe(
      Effect.flatMap((s) => (keep(s.seq) ? store.saveSnapshot(ws, doc, s.seq, s.bytes) : Effect.void)),
      Effect.catchAll((e) => Effect.logWarning(`projection snapshot of ${ws}/${doc} failed`, e)),
    )
