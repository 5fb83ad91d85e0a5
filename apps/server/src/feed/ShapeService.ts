import { createHash, randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Cause, Effect, Fiber, FiberSet, Option, Redacted, Schedule } from "effect"
import pg from "pg"
import { bestEffort, CLOSE_WITHIN } from "../logging/bestEffort.js"
import { Metrics } from "../metrics/Metrics.js"
import { makeCanonicalize } from "./canonicalize.js"
import { type CompiledShape, compileShape, shapeKey } from "./compileShape.js"
import { Feed } from "./Feed.js"
import type { Column } from "./messages.js"
import { formatHandle, type Handle } from "./offset.js"
import { readSnapshot } from "./readSnapshot.js"
import { SnapshotStore } from "./SnapshotStore.js"
import { followTail, type LogPage, type ServeContext, serveLog } from "./serveLog.js"
import { parseShapeParams, type ShapeDef } from "./shapeParams.js"
import { mustRefetch as refetchResponse, type ShapeResponse, shapeError, shapeOk } from "./shapeResponse.js"
import { SESSION_OPTIONS } from "./WalConsumer.js"
import { WhereError } from "./where/WhereError.js"

export type { ShapeResponse } from "./shapeResponse.js"

/** Test hook: runs between an initial sync's snapshot and its WAL position read. */
export const shapeTestHooks: { afterSnapshot?: (() => Promise<void>) | undefined } = {}

/** Who asks: a shape handle and a held snapshot belong to this and the shape definition. */
export interface ShapeCaller {
  readonly workspaceId: string
  readonly role: string
}

/** A digest of (workspace, role, shape definition): the handle's `bind` part. */
export const bindingOf = (caller: ShapeCaller, key: string): string => {
  const text = `${caller.workspaceId}\u0000${caller.role}\u0000${key}`
  let bind = bindings.get(text)
  if (bind === undefined) {
    bind = createHash("sha256").update(text).digest("hex").slice(0, 16)
    if (bindings.size >= 10_000) bindings.clear()
    bindings.set(text, bind)
  }
  return bind
}
/** Every request of a follower presents the same binding: hashed once. */
const bindings = new Map<string, string>()

const COMPILED_MAX = 500
/** How long an initial sync waits for a turn to read Postgres before answering 503. */
const TURN_WAIT_MS = 30_000

/**
 * `GET /api/v1/shape`: Electric's HTTP shape protocol over the change feed, for a
 * projected table of the caller's workspace, optionally narrowed by `where`, `params`
 * and `columns` (rules W3, W4, W8, W9–W11). Initial syncs are read into held pages
 * (readSnapshot.ts), catch-up and long-polls are served from the in-memory tail or
 * change_log (serveLog.ts).
 */
export class ShapeService extends Effect.Service<ShapeService>()("ShapeService", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const pgClient = yield* PgClient.PgClient
    const feed = yield* Feed
    const metrics = yield* Metrics
    const url = Redacted.value(Option.getOrThrow(Option.fromNullable(pgClient.config.url)))
    const options = feed.options
    // Snapshot reads and constant resolution render values as the WAL consumer does.
    const pool = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new pg.Pool({
            connectionString: url,
            options: SESSION_OPTIONS,
            max: options.snapshotConcurrency + 2,
            application_name: "vibestack-feed-snapshot",
            connectionTimeoutMillis: 10_000,
          }),
      ),
      (p) => bestEffort("closing the snapshot readers' pool", () => p.end(), CLOSE_WITHIN),
    )
    pool.on("error", () => {}) // an idle client's connection dropped: the pool replaces it
    // What a snapshot reader or a follower's long-poll starts from a plain callback runs in the
    // layer's FiberSet (closed before the pool): shutdown interrupts it, the server's logger sees its failures.
    const run = yield* FiberSet.makeRuntime<never>()
    const runPromise = yield* FiberSet.makeRuntimePromise<never>()
    const store = new SnapshotStore({
      ttlMs: options.snapshotTtlMs,
      maxBytes: options.snapshotMemoryBytes,
      concurrency: options.snapshotConcurrency,
    })
    yield* Effect.sync(() => store.sweep()).pipe(Effect.repeat(Schedule.spaced("5 seconds")), Effect.forkScoped)
    const canonicalize = makeCanonicalize(pool)
    const tables = new Map<string, ReadonlyArray<Column>>()
    const compiled = new Map<string, CompiledShape>()

    const tableColumns = (name: string) =>
      Effect.gen(function* () {
        const hit = tables.get(name)
        if (hit) return hit
        const columns = yield* sql<Column>`
          select column_name as name, udt_name as type, is_nullable = 'NO' as not_null
          from information_schema.columns where table_schema = current_schema() and table_name = ${name}
          order by ordinal_position`
        tables.set(name, columns)
        return columns
      })

    const compile = (def: ShapeDef) =>
      Effect.gen(function* () {
        const key = shapeKey(def)
        const hit = compiled.get(key)
        if (hit) return hit
        const shape = yield* compileShape(def, yield* tableColumns(def.table), canonicalize)
        if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value!)
        compiled.set(key, shape)
        return shape
      })

    const newHandle = (epoch: number, table: string, bind: string): Handle => ({
      epoch,
      table,
      nonce: randomBytes(6).toString("hex"),
      bind,
    })

    const mustRefetch = (table: string, bind: string) => {
      metrics.inc("vibestack_feed_must_refetch_total")
      return refetchResponse(formatHandle(newHandle(feed.state().epoch, table, bind)))
    }

    const awaitStored = (lsn: number) => runPromise(Effect.orDie(feed.awaitStored(lsn)))

    const initial = (shape: CompiledShape, caller: ShapeCaller, bind: string, cursor: string | undefined) =>
      Effect.gen(function* () {
        if (store.full())
          return shapeError(503, "Unavailable", "too many initial syncs in progress on this node; retry")
        if (!(yield* feed.awaitStarted())) return shapeError(503, "Unavailable", "the change feed is starting")
        const all = yield* tableColumns(shape.table)
        // The turn passes to the reader, which gives it back when it ends.
        let release = () => {}
        const turn = yield* Effect.async<boolean>((resume) => {
          release = store.acquire(TURN_WAIT_MS, (ok) => resume(Effect.succeed(ok)))
          return Effect.sync(() => release())
        })
        if (!turn) return shapeError(503, "Unavailable", "too many initial syncs in progress on this node; retry")
        const snap = store.open(bind)
        void readSnapshot(
          pool,
          { awaitStored, room: (stop) => store.room(stop), hooks: shapeTestHooks },
          { shape, tableColumns: all, ws: caller.workspaceId, pageBytes: options.pageBytes },
          snap,
        ).finally(release)
        yield* Effect.promise(() => snap.ready(0)).pipe(Effect.onInterrupt(() => Effect.sync(() => snap.drop())))
        if (snap.failed || snap.pages.length === 0) {
          snap.drop()
          return shapeError(503, "Unavailable", snap.failed ?? "the snapshot was abandoned")
        }
        const h = formatHandle(newHandle(snap.epoch, shape.table, bind))
        const only = snap.done && snap.pages.length === 1
        if (!only) store.hold(h, snap)
        return shapeOk(shape, h, only ? snap.endOffset : "0_1", snap.pages[0]!, cursor, false)
      })

    const page = (shape: CompiledShape, handleText: string, bind: string, n: number, cursor: string | undefined) =>
      Effect.gen(function* () {
        const snap = store.find(handleText, bind)
        if (!snap) return mustRefetch(shape.table, bind)
        yield* Effect.promise(() => snap.ready(n))
        const body = snap.pages[n]
        if (snap.failed || snap.aborted || body === undefined || body === "") {
          store.forget(handleText)
          return mustRefetch(shape.table, bind)
        }
        snap.release(n)
        const last = snap.done && n === snap.pages.length - 1
        return shapeOk(shape, handleText, last ? snap.endOffset : `0_${n + 1}`, body, cursor, false)
      })

    const handle = (query: URLSearchParams, caller: ShapeCaller) =>
      Effect.gen(function* () {
        const params = parseShapeParams(query)
        if (typeof params === "string") return shapeError(400, "BadRequest", params)
        const shape = yield* compile(params.def)
        const bind = bindingOf(caller, shape.key)
        const pos = params.position
        metrics.inc("vibestack_feed_shape_requests_total", { kind: pos._tag, live: String(params.live) })
        if (pos._tag === "Initial") return yield* initial(shape, caller, bind, params.cursor)
        if (pos._tag === "Now") {
          if (!(yield* feed.awaitStarted())) return shapeError(503, "Unavailable", "the change feed is starting")
          const state = feed.state()
          const head = Math.max(feed.tail.head, feed.storedLsn())
          return shapeOk(
            shape,
            formatHandle(newHandle(state.epoch, shape.table, bind)),
            `${head}_0`,
            "[]",
            params.cursor,
            true,
          )
        }
        // A handle of another workspace, role or shape (or an unbound one) is a stranger's: 409, never data.
        const h = params.handle!
        if (h.bind !== bind || h.table !== shape.table) return mustRefetch(shape.table, bind)
        const handleText = formatHandle(h)
        if (pos._tag === "Page") return yield* page(shape, handleText, bind, pos.page, params.cursor)
        let state = feed.state()
        if (h.epoch !== state.epoch) state = yield* feed.refreshState
        const o = pos.offset
        if (h.epoch !== state.epoch || o.lsn < state.epochLsn || (state.lowWater > 0 && o.lsn <= state.lowWater))
          return mustRefetch(shape.table, bind)
        const ctx: ServeContext = { sql, feed, shape, ws: caller.workspaceId, epoch: state.epoch }
        const out = yield* serveLog(ctx, o, params.live)
        if (out._tag === "MustRefetch") return mustRefetch(shape.table, bind)
        return shapeOk(shape, handleText, out.offset, out.body, params.cursor, out.upToDate)
      }).pipe(
        Effect.catchAll((e) =>
          e instanceof WhereError
            ? Effect.succeed(shapeError(400, "BadRequest", e.message))
            : Effect.logError("shape request failed", e).pipe(
                Effect.as(shapeError(503, "Unavailable", "the change feed is unavailable; retry")),
              ),
        ),
        Effect.catchAllDefect((defect) =>
          Effect.logError("shape request failed", defect).pipe(
            Effect.as(shapeError(503, "Unavailable", "the change feed is unavailable; retry")),
          ),
        ),
      )

    /**
     * The common request without a fiber: a follower's next catch-up or long-poll whose
     * shape is compiled and whose offset the tail covers. Undefined when anything needs
     * `handle` (an initial sync, a first compile, a stale handle, an older offset); else
     * a function that answers through `respond` and returns a cancel.
     */
    const follow = (query: URLSearchParams, caller: ShapeCaller) => {
      const params = parseShapeParams(query)
      if (typeof params === "string" || params.position._tag !== "Log") return undefined
      const shape = compiled.get(shapeKey(params.def))
      if (!shape) return undefined
      const bind = bindingOf(caller, shape.key)
      const h = params.handle!
      const state = feed.state()
      const o = params.position.offset
      if (h.bind !== bind || h.table !== shape.table || h.epoch !== state.epoch) return undefined
      if (o.lsn < state.epochLsn || (state.lowWater > 0 && o.lsn <= state.lowWater)) return undefined
      if (feed.tail.epoch !== state.epoch || !feed.tail.covers(o)) return undefined
      metrics.inc("vibestack_feed_shape_requests_total", { kind: "Log", live: String(params.live) })
      const ctx: ServeContext = { sql, feed, shape, ws: caller.workspaceId, epoch: state.epoch }
      const handleText = formatHandle(h)
      const answer = (out: LogPage): ShapeResponse =>
        out._tag === "MustRefetch"
          ? mustRefetch(shape.table, bind)
          : shapeOk(shape, handleText, out.offset, out.body, params.cursor, out.upToDate)
      return (respond: (r: ShapeResponse) => void): (() => void) => {
        let fiber: Fiber.RuntimeFiber<void> | undefined
        const cancel = followTail(ctx, o, params.live, (out) => {
          if (out._tag !== "Query") {
            respond(answer(out))
            return
          }
          // The tail was trimmed past this follower while it waited: read change_log.
          fiber = run(
            serveLog(ctx, out.after, params.live).pipe(
              Effect.map(answer),
              Effect.orElseSucceed(() => shapeError(503, "Unavailable", "the change feed is unavailable; retry")),
              Effect.catchAllCause((cause) =>
                Cause.isInterruptedOnly(cause)
                  ? Effect.interrupt
                  : Effect.as(
                      Effect.logError("shape follow failed", cause),
                      shapeError(503, "Unavailable", "the change feed is unavailable; retry"),
                    ),
              ),
              Effect.map(respond),
            ),
          )
        })
        return () => {
          cancel()
          if (fiber) run(Fiber.interrupt(fiber))
        }
      }
    }

    return { handle, follow } as const
  }),
}) {}
