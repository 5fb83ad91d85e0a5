import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { ChangeTail, LogChange } from "./ChangeTail.js"
import type { CompiledShape } from "./compileShape.js"
import type { FeedApi } from "./Feed.js"
import { UP_TO_DATE } from "./messages.js"
import { formatOffset, maxOffset, type Offset } from "./offset.js"
import { readLog } from "./readLog.js"
import { shapeMessages } from "./shapeLog.js"

export interface ServeContext {
  readonly sql: SqlClient.SqlClient
  readonly feed: FeedApi
  readonly shape: CompiledShape
  readonly ws: string
  /** The slot epoch the caller's handle names (checked against feed_state already). */
  readonly epoch: number
}

export type LogPage =
  | { readonly _tag: "Page"; readonly body: string; readonly offset: string; readonly upToDate: boolean }
  | { readonly _tag: "MustRefetch" }

/** Changes looked at per round: from the tail, or per change_log query. */
const MAX_CHANGES = 10_000

const MUST_REFETCH = { _tag: "MustRefetch" } as const

/** One look at the log after an offset: the shape's messages (joined) and where it got to. */
type Round =
  | {
      readonly _tag: "Round"
      readonly body: string
      readonly count: number
      readonly offset: Offset
      readonly done: boolean
    }
  | typeof MUST_REFETCH

const round = (
  ctx: ServeContext,
  after: Offset,
  changes: ReadonlyArray<LogChange>,
  complete: boolean,
  head: number,
): Round => {
  const { messages, consumed } = shapeMessages(ctx.shape, ctx.ws, changes, ctx.feed.options.pageBytes)
  const done = complete && consumed === changes.length
  const last: Offset = consumed > 0 ? changes[consumed - 1]! : after
  const offset = done ? maxOffset(last, { lsn: head, pos: 0 }) : last
  return { _tag: "Round", body: messages.join(","), count: messages.length, offset, done }
}

/** From the tail: computed once per tail version for every follower at the same offset. */
const tailRound = (ctx: ServeContext, after: Offset): Round =>
  ctx.feed.tail.memo(`${ctx.shape.key}\u0000${ctx.ws}\u0000${after.lsn}_${after.pos}`, () => {
    const r = ctx.feed.tail.read(ctx.shape.table, ctx.ws, after, MAX_CHANGES)
    if (r.truncated) return MUST_REFETCH
    return round(ctx, after, r.changes, r.changes.length < MAX_CHANGES, r.head)
  })

/** Resolves on the next change to (table, workspace), a truncate or reset, or the deadline. */
const nextChange = (tail: ChangeTail, table: string, ws: string, seen: number, deadline: number) =>
  Effect.async<void>((resume) => {
    if (tail.version !== seen) return resume(Effect.void)
    const done = () => {
      clearTimeout(timer)
      off()
      resume(Effect.void)
    }
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()))
    const off = tail.onChange(table, ws, done)
    return Effect.sync(() => {
      clearTimeout(timer)
      off()
    })
  })

/** What a round means for the request: answer it, look again from `after`, or wait there. */
type Next = LogPage | { readonly _tag: "Again" | "Wait"; readonly after: Offset }

const decide = (r: Round, live: boolean, deadline: number): Next => {
  if (r._tag === "MustRefetch") return r
  if (r.count === 0 && Date.now() < deadline) {
    if (!r.done) return { _tag: "Again", after: r.offset }
    if (live) return { _tag: "Wait", after: r.offset }
  }
  const body = r.done ? (r.count === 0 ? `[${UP_TO_DATE}]` : `[${r.body},${UP_TO_DATE}]`) : `[${r.body}]`
  return { _tag: "Page", body, offset: formatOffset(r.offset), upToDate: r.done }
}

/**
 * A shape's log after an offset: what changed for it, then `up-to-date` and the offset
 * `<head>_0` once nothing below head is missing. Recent offsets read the node's tail (no
 * query), older ones change_log. With `live`, an empty answer waits for the next change
 * to the shape's table and workspace (woken by the tail, never by polling) or the
 * long-poll timeout. Changes the shape filters out still advance the offset.
 */
export const serveLog = (ctx: ServeContext, from: Offset, live: boolean) =>
  Effect.gen(function* () {
    const { feed, shape, ws } = ctx
    const tail = feed.tail
    const deadline = Date.now() + feed.options.longPollMs
    let after = from
    for (;;) {
      if (tail.epoch > ctx.epoch) return MUST_REFETCH
      const seen = tail.version
      let r: Round
      if (tail.epoch === ctx.epoch && tail.covers(after)) r = tailRound(ctx, after)
      else {
        const log = yield* readLog(ctx.sql, { table: shape.table, ws, after, epoch: ctx.epoch, max: MAX_CHANGES })
        r = log._tag === "MustRefetch" ? MUST_REFETCH : round(ctx, after, log.changes, log.complete, log.stored)
      }
      const next = decide(r, live, deadline)
      if (next._tag === "Page" || next._tag === "MustRefetch") return next
      after = next.after
      if (next._tag === "Wait") yield* nextChange(tail, shape.table, ws, seen, deadline)
    }
  })

/**
 * `serveLog` for a follower whose offset the tail covers, with callbacks instead of a
 * fiber: the common request (a long-poll at the tail's end) costs no Effect runtime, which
 * was most of a request's CPU with 100 followers woken per commit. Ends with the page, or
 * `Query` with the offset reached when the tail stopped covering it (the caller goes on
 * with `serveLog`). Returns a cancel for a follower that went away.
 */
export const followTail = (
  ctx: ServeContext,
  from: Offset,
  live: boolean,
  done: (out: LogPage | { readonly _tag: "Query"; readonly after: Offset }) => void,
): (() => void) => {
  const tail = ctx.feed.tail
  const deadline = Date.now() + ctx.feed.options.longPollMs
  let after = from
  let stop = () => {}
  const step = (): void => {
    for (;;) {
      if (tail.epoch > ctx.epoch) {
        done(MUST_REFETCH)
        return
      }
      if (tail.epoch !== ctx.epoch || !tail.covers(after)) {
        done({ _tag: "Query", after })
        return
      }
      const seen = tail.version
      const next = decide(tailRound(ctx, after), live, deadline)
      if (next._tag === "Page" || next._tag === "MustRefetch") {
        done(next)
        return
      }
      after = next.after
      if (next._tag === "Wait" && tail.version === seen) {
        const wake = () => {
          clearTimeout(timer)
          off()
          step()
        }
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()))
        const off = tail.onChange(ctx.shape.table, ctx.ws, wake)
        stop = () => {
          clearTimeout(timer)
          off()
        }
        return
      }
    }
  }
  step()
  return () => stop()
}
