import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { Tokens } from "../auth/Tokens.js"
import { Metrics } from "../metrics/Metrics.js"
import { Feed } from "./Feed.js"
import { type Column, MUST_REFETCH, schemaHeader, valueSql } from "./messages.js"
import { formatHandle, type Handle } from "./offset.js"
import { type LogState, readLog } from "./readLog.js"
import { parseShapeParams } from "./shapeParams.js"
import { takeSnapshot } from "./takeSnapshot.js"

export interface ShapeResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

interface TableInfo {
  readonly name: string
  readonly schema: string
  readonly valueSql: string
}

interface HeldSnapshot {
  readonly pages: ReadonlyArray<string>
  readonly endOffset: string
  readonly expires: number
}

const EXPOSE = "electric-handle, electric-offset, electric-schema, electric-cursor, electric-up-to-date"

const error = (status: number, kind: string, message: string): ShapeResponse => ({
  status,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify({ error: { kind, message } }),
})

/** Test hook: runs between an initial sync's snapshot and its WAL position read. */
export const shapeTestHooks: { afterSnapshot?: (() => Promise<void>) | undefined } = {}

/**
 * `GET /api/v1/shape`: Electric's HTTP shape protocol over the change feed, for whole
 * projection tables scoped to the bearer token's workspace (rules W3, W4, W8).
 */
export class ShapeService extends Effect.Service<ShapeService>()("ShapeService", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const feed = yield* Feed
    const tokens = yield* Tokens
    const metrics = yield* Metrics
    const tables = new Map<string, TableInfo>()
    const held = new Map<string, HeldSnapshot>()

    const tableInfo = (name: string) =>
      Effect.gen(function* () {
        const hit = tables.get(name)
        if (hit) return hit
        const columns = yield* sql<Column>`
          select column_name as name, udt_name as type, is_nullable = 'NO' as not_null
          from information_schema.columns where table_schema = current_schema() and table_name = ${name}
          order by ordinal_position`
        const info = { name, schema: schemaHeader(columns), valueSql: valueSql(columns) }
        tables.set(name, info)
        return info
      })

    const newHandle = (epoch: number, table: string): Handle => ({
      epoch,
      table,
      nonce: randomBytes(6).toString("hex"),
    })

    const respond = (
      info: TableInfo,
      handle: Handle,
      offset: string,
      body: string,
      cursor: string | undefined,
      upToDate: boolean,
    ): ShapeResponse => {
      let next = String(Date.now())
      if (next === cursor) next = String(Date.now() + 1)
      return {
        status: 200,
        headers: {
          "content-type": "application/json",
          "cache-control": "no-store",
          "access-control-expose-headers": EXPOSE,
          "electric-handle": formatHandle(handle),
          "electric-offset": offset,
          "electric-schema": info.schema,
          "electric-cursor": next,
          ...(upToDate ? { "electric-up-to-date": "" } : {}),
        },
        body,
      }
    }

    const mustRefetch = (state: { epoch: number }, table: string): ShapeResponse => {
      metrics.inc("vibestack_feed_must_refetch_total")
      return {
        status: 409,
        headers: {
          "content-type": "application/json",
          "cache-control": "no-store",
          "access-control-expose-headers": EXPOSE,
          "electric-handle": formatHandle(newHandle(state.epoch, table)),
        },
        body: MUST_REFETCH,
      }
    }

    const sweep = () => {
      const now = Date.now()
      for (const [k, v] of held) if (v.expires < now) held.delete(k)
    }

    const handle = (query: URLSearchParams, authorization: string | undefined) =>
      Effect.gen(function* () {
        const params = parseShapeParams(query)
        if (typeof params === "string") return error(400, "BadRequest", params)
        const token = /^Bearer (.+)$/i.exec(authorization ?? "")?.[1]
        if (!token) return error(401, "Unauthorized", "a bearer token is required")
        const principal = yield* tokens.verify(token).pipe(Effect.either)
        if (principal._tag === "Left") {
          const kind = principal.left.error.kind
          return kind === "Unavailable"
            ? error(503, kind, "token store unavailable")
            : error(401, kind, "invalid token")
        }
        const ws = principal.right.workspaceId
        const info = yield* tableInfo(params.table)
        const pos = params.position
        metrics.inc("vibestack_feed_shape_requests_total", { kind: pos._tag, live: String(params.live) })

        if (pos._tag === "Initial") {
          const snap = yield* takeSnapshot(sql, feed, info, ws, shapeTestHooks)
          if (snap._tag === "Unavailable") return error(503, "Unavailable", snap.message)
          const h = newHandle(snap.epoch, info.name)
          const pages = snap.pages
          if (pages.length > 1) {
            sweep()
            held.set(h.nonce, { pages, endOffset: snap.offset, expires: Date.now() + feed.options.snapshotTtlMs })
          }
          return respond(info, h, pages.length > 1 ? "0_1" : snap.offset, pages[0]!, params.cursor, false)
        }
        if (pos._tag === "Page") {
          const h = params.handle!
          const snap = held.get(h.nonce)
          const page = snap?.pages[pos.page]
          if (!snap || !page) return mustRefetch(yield* readState, params.table)
          const last = pos.page + 1 >= snap.pages.length
          if (last) held.delete(h.nonce)
          return respond(info, h, last ? snap.endOffset : `0_${pos.page + 1}`, page, params.cursor, false)
        }
        const state = yield* readState
        if (state.epoch === 0) return error(503, "Unavailable", "the change feed is starting")
        if (pos._tag === "Now")
          return respond(info, newHandle(state.epoch, info.name), `${state.stored}_0`, "[]", params.cursor, true)
        const h = params.handle!
        const o = pos.offset
        if (h.epoch !== state.epoch || o.lsn < state.epochLsn || (state.lowWater > 0 && o.lsn <= state.lowWater))
          return mustRefetch(state, params.table)
        const page = yield* readLog(sql, feed, { table: info.name, ws, after: o, live: params.live })
        if (page._tag === "MustRefetch") return mustRefetch(state, params.table)
        return respond(info, h, page.offset, page.body, params.cursor, page.upToDate)
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logError("shape request failed", cause).pipe(
            Effect.as(error(503, "Unavailable", "the change feed is unavailable; retry")),
          ),
        ),
      )

    const readState = Effect.map(
      sql<LogState>`select epoch, epoch_lsn, low_water_lsn as low_water, stored_lsn as stored from feed_state where id = 1`,
      (rows) => rows[0]!,
    )

    return { handle } as const
  }),
}) {}
