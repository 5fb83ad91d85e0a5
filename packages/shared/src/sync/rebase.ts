import type { ContainerID, Diff, Frontiers, LoroDoc } from "loro-crdt"
import type { WireError } from "../protocol/errors.js"
import { type ChangeDiff, orphanSummary, summarizeChange, unreadableSummary } from "./changeSummary.js"
import type { OutboxEntry, OutboxInput, RebasePlan, RejectedEntry, StoredDoc } from "./LocalStore.js"
import { type DeltaOp, PositionMap } from "./PositionMap.js"
import {
  docAt,
  frontiersWithout,
  holds,
  loadOrigin,
  pastOf,
  reaches,
  readDiffs,
  retarget,
  type Span,
  spansOf,
  vvOf,
} from "./replay.js"

/** What became of each change in a rebase. */
type Role =
  /** Independent of every left-out change: stays as it is (same bytes and key; it may be on the server). */
  | "keep"
  /** Depends on a left-out change (so the server cannot have it): re-applied as new ops. */
  | "reapply"
  /** Left out of the document: refused now, or refused before (kept in the rejected list). */
  | "drop"

interface Item {
  readonly entry: OutboxEntry
  readonly spans: ReadonlyArray<Span> | undefined
  role: Role
  /** Set for changes that newly join the rejected list. */
  error?: WireError | undefined
}

export interface RebaseInput {
  readonly stored: StoredDoc
  /** The whole outbox, oldest first (acknowledged entries already removed). */
  readonly outbox: ReadonlyArray<OutboxEntry>
  readonly rejected: ReadonlyArray<RejectedEntry>
  /** Outbox entries the server just refused, by id, with its reason. */
  readonly refused: ReadonlyMap<number, WireError>
  /** Every outbox entry is refused for this reason (the token may read but not write). */
  readonly refuseAll?: WireError | undefined
  readonly newKey: () => string
}

export interface RebaseOutcome {
  readonly plan: RebasePlan
  /** Entries that joined the rejected list. */
  readonly rejected: number
  /** Entries re-applied as new commits. */
  readonly reapplied: number
}

const CANNOT_APPLY: WireError = {
  kind: "Conflict",
  message: "this change edits something that only a refused change created, so it cannot be applied without it",
}

const byId = <E extends { readonly id: number }>(a: E, b: E) => a.id - b.id

/**
 * Takes refused changes out of the document and re-applies what depended on them (SPEC C14):
 * the result is the server's state, the acknowledged commits, every independent outbox entry
 * unchanged, and every dependent one as a new commit under a fresh peer id (new key). A change
 * that edits something only a refused change created cannot apply: it joins the rejected list
 * with its summary. Pure: reads and writes nothing; the caller writes the plan atomically.
 */
export const planRebase = (input: RebaseInput): RebaseOutcome => {
  const { outbox, rejected, refused, refuseAll } = input
  const origin = loadOrigin(
    input.stored,
    [...outbox, ...rejected].map((e) => e.bytes),
  )
  try {
    const vv = vvOf(origin)
    const spans = (bytes: Uint8Array) => {
      const s = spansOf(bytes)
      return s !== undefined && holds(vv, s) ? s : undefined
    }
    const old = rejected.map((entry): Item => ({ entry, spans: spans(entry.bytes), role: "drop" }))
    // Every change not on the server yet is out of the base; what comes back is decided below.
    const base = frontiersWithout(
      origin,
      [...outbox, ...rejected].flatMap((e) => spans(e.bytes) ?? []),
    )
    const excluded: Array<ReadonlyArray<Span>> = old.flatMap((i) => (i.spans ? [i.spans] : []))
    const needed = new Set<Item>()
    const items = outbox.map((entry): Item => {
      const item: Item = { entry, spans: spans(entry.bytes), role: "keep" }
      const past = item.spans ? pastOf(origin, item.spans) : undefined
      const dependent = past !== undefined && excluded.some((s) => reaches(past, s))
      const error = refuseAll ?? refused.get(entry.id)
      if (refuseAll !== undefined || (error !== undefined && !dependent)) {
        item.role = "drop"
        item.error = error
      } else if (dependent) item.role = "reapply"
      if (past !== undefined && item.role !== "keep") {
        excluded.push(item.spans!)
        for (const o of old) if (o.spans && reaches(past, o.spans)) needed.add(o)
      }
      return item
    })
    // Earlier refused changes come back into the run only where something depends on them.
    const run = [...old.filter((o) => needed.has(o)), ...items].sort((a, b) => byId(a.entry, b.entry))
    const { doc: reader, diffs } = readDiffs(
      origin,
      base,
      run.map((i) => i.entry.bytes),
    )
    const diffOf = new Map(run.map((item, k) => [item, diffs[k]]))
    try {
      const out = replayRun(origin, base, reader, run, diffOf, input.newKey)
      const fresh = items
        .filter((i) => i.error !== undefined)
        .map((i): RejectedEntry => {
          const d = diffOf.get(i)
          const bytes = i.entry.bytes
          const summary = d ? summarizeChange(d) : spansOf(bytes) ? orphanSummary(bytes) : unreadableSummary(bytes)
          return { ...i.entry, error: i.error!, ...summary }
        })
      return {
        plan: {
          expectOutbox: outbox.map((e) => e.id),
          expectRejected: rejected.map((e) => e.id),
          snapshot: out.snapshot,
          outbox: out.outbox,
          rejected: [...rejected, ...fresh].sort(byId),
        },
        rejected: fresh.length,
        reapplied: items.filter((i) => i.role === "reapply").length,
      }
    } finally {
      reader.free()
    }
  } finally {
    origin.free()
  }
}

/**
 * Rebuilds `run` on a copy of `base`: kept changes by their own bytes, re-applied ones by
 * their effect (text and list positions moved past left-out changes), left-out ones not at
 * all. A re-applied change that has nowhere to go becomes a rejected one (its `error`).
 */
const replayRun = (
  origin: LoroDoc,
  base: Frontiers,
  reader: LoroDoc,
  run: ReadonlyArray<Item>,
  diffOf: ReadonlyMap<Item, ChangeDiff | undefined>,
  newKey: () => string,
): { readonly snapshot: Uint8Array; readonly outbox: Array<OutboxInput> } => {
  const doc = docAt(origin, base)
  const outbox: Array<OutboxInput> = []
  // Per text or list a left-out change edited (by its id in the reader): where things moved.
  const moved = new Map<ContainerID, PositionMap>()
  /** The change's diff with text and list positions moved past left-out changes. */
  const transform = (diff: ChangeDiff, leftOut: boolean): ChangeDiff =>
    diff.map((e) => {
      if (e.diff.type !== "text" && e.diff.type !== "list") return e
      let map = moved.get(e.target)
      if (leftOut && map === undefined) moved.set(e.target, (map = new PositionMap()))
      if (map === undefined) return e
      const ops = e.diff.diff as ReadonlyArray<DeltaOp>
      if (leftOut) {
        map.leftOut(ops)
        return e
      }
      return { ...e, diff: { ...e.diff, diff: map.kept(ops) } as Diff }
    })
  try {
    for (const item of run) {
      const diff = diffOf.get(item)
      if (item.role === "keep") {
        try {
          doc.import(item.entry.bytes)
        } catch {}
        if (diff) transform(diff, false)
        const { bytes, idempotencyKey, createdAt } = item.entry
        outbox.push({ bytes, idempotencyKey, createdAt })
        continue
      }
      if (item.role === "reapply") {
        const placed = diff === undefined ? undefined : retarget(reader, doc, transform(diff, false))
        if (placed === undefined || placed.missing) {
          item.role = "drop"
          item.error = CANNOT_APPLY
        } else {
          const from = doc.oplogVersion()
          if (placed.batch.length > 0) doc.applyDiff(placed.batch)
          doc.commit()
          if (doc.oplogVersion().compare(from) !== 0) {
            const bytes = doc.export({ mode: "update", from })
            outbox.push({ bytes, idempotencyKey: newKey(), createdAt: item.entry.createdAt })
          }
          continue
        }
      }
      if (diff) transform(diff, true)
    }
    return { snapshot: doc.export({ mode: "snapshot" }), outbox }
  } finally {
    doc.free()
  }
}

/**
 * The fallback when the document cannot be rebuilt (a Loro failure): the refused changes are
 * set aside as they are, the rest of the outbox stays, and the document keeps their ops
 * locally (later commits that depend on them will be refused in turn and set aside too).
 * Nothing is lost; sync of dependent changes stops, with the reason on the status.
 */
export const planSetAside = (input: RebaseInput): RebasePlan => {
  const origin = loadOrigin(input.stored, [])
  try {
    const aside = input.outbox.filter((e) => input.refuseAll !== undefined || input.refused.has(e.id))
    return {
      expectOutbox: input.outbox.map((e) => e.id),
      expectRejected: input.rejected.map((e) => e.id),
      snapshot: origin.export({ mode: "snapshot" }),
      outbox: input.outbox
        .filter((e) => !aside.includes(e))
        .map((e) => ({ bytes: e.bytes, idempotencyKey: e.idempotencyKey, createdAt: e.createdAt })),
      rejected: [
        ...input.rejected,
        ...aside.map((e) => ({
          ...e,
          error: input.refuseAll ?? input.refused.get(e.id)!,
          ...unreadableSummary(e.bytes),
        })),
      ].sort(byId),
    }
  } finally {
    origin.free()
  }
}

export interface RetryInput {
  readonly stored: StoredDoc
  readonly outbox: ReadonlyArray<OutboxEntry>
  readonly rejected: ReadonlyArray<RejectedEntry>
  /** The rejected entry to apply again. */
  readonly id: number
  readonly newKey: () => string
  readonly now: number
}

/**
 * A refused change applied again on top of the current document, as a new commit (SPEC C15):
 * its effect as it was made, moved past everything since. Refused changes it depends on stay
 * out (their effect is undone); when it edits something only they created, it cannot apply
 * and the reason is returned instead.
 */
export const planRetry = (input: RetryInput): OutboxInput | { readonly error: string } => {
  const target = input.rejected.find((e) => e.id === input.id)
  if (target === undefined) return { error: "this change is no longer in the list" }
  const origin = loadOrigin(
    input.stored,
    [...input.outbox, ...input.rejected].map((e) => e.bytes),
  )
  try {
    const vv = vvOf(origin)
    const spans = (bytes: Uint8Array) => {
      const s = spansOf(bytes)
      return s !== undefined && holds(vv, s) ? s : undefined
    }
    const own = spans(target.bytes)
    if (own === undefined) return { error: "this change cannot be read any more" }
    const base = frontiersWithout(
      origin,
      input.rejected.flatMap((e) => spans(e.bytes) ?? []),
    )
    const past = pastOf(origin, own)
    const run: Array<Item> = input.rejected
      .filter((e) => e.id !== target.id)
      .map((entry): Item => ({ entry, spans: spans(entry.bytes), role: "drop" }))
      .filter((i) => i.spans !== undefined && reaches(past, i.spans))
    run.push({ entry: target, spans: own, role: "reapply" })
    run.sort((a, b) => byId(a.entry, b.entry))
    const { doc: reader, diffs } = readDiffs(
      origin,
      base,
      run.map((i) => i.entry.bytes),
    )
    try {
      const out = replayRun(origin, base, reader, run, new Map(run.map((item, k) => [item, diffs[k]])), input.newKey)
      const item = run.find((i) => i.entry.id === target.id)!
      if (item.role === "drop") return { error: `${CANNOT_APPLY.message}; apply that one first` }
      const change = out.outbox.at(-1)
      if (change === undefined) return { error: "this change has nothing left to apply" }
      return { ...change, createdAt: input.now }
    } finally {
      reader.free()
    }
  } finally {
    origin.free()
  }
}
