import { rmSync } from "node:fs"
import { type Context, Effect, Exit, Layer, Scope } from "effect"
import pg from "pg"
import type { ServerConfig } from "../../Config.js"
import { NodeServer } from "../../http/NodeServer.js"
import { ServerLive } from "../../Server.js"
import { freePort, type TestPg } from "../../test/pg.js"
import { testConfig } from "../../test/server.js"
import { Feed, type FeedApi } from "../Feed.js"
import { type Column, valueSql } from "../messages.js"

export interface FeedServer {
  readonly url: string
  readonly feed: FeedApi
  readonly stop: () => Promise<void>
}

/** A real server on a shared test Postgres, with its Feed service reachable for test hooks. */
export const startFeedServer = async (pgServer: TestPg, config: Partial<ServerConfig> = {}): Promise<FeedServer> => {
  const port = await freePort()
  const cfg = testConfig(pgServer.url, { port, ...config })
  const scope = Effect.runSync(Scope.make())
  const ctx = (await Effect.runPromise(
    Layer.buildWithScope(ServerLive(cfg, new NodeServer()), scope),
  )) as Context.Context<Feed>
  const feed = ctx.unsafeMap.get(Feed.key) as FeedApi
  return {
    url: `http://127.0.0.1:${port}`,
    feed,
    stop: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      rmSync(cfg.dataDir, { recursive: true, force: true })
    },
  }
}

export const registerWorkspace = async (url: string, name: string) => {
  const res = await fetch(`${url}/api/v1/workspaces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  })
  if (res.status !== 201) throw new Error(`register failed: ${res.status}`)
  return (await res.json()) as { workspaceId: string; masterToken: string }
}

export const mintToken = async (url: string, ws: string, master: string, role: "viewer" | "editor") => {
  const res = await fetch(`${url}/api/v1/workspaces/${ws}/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${master}` },
    body: JSON.stringify({ role }),
  })
  if (!res.ok) throw new Error(`mint failed: ${res.status}`)
  return ((await res.json()) as { token: string }).token
}

/** Rows of a table for one workspace as the Electric client materializes them (text values, bools parsed). */
export const tableRows = async (client: pg.Client, table: string, ws: string) => {
  const cols = await client.query<Column>(
    `select column_name as name, udt_name as type, is_nullable = 'NO' as "notNull"
     from information_schema.columns where table_name = $1 order by ordinal_position`,
    [table],
  )
  const r = await client.query<{ id: string; v: string }>(
    `select id, ${valueSql(cols.rows)} as v from ${table} where workspace_id = $1`,
    [ws],
  )
  const bools = cols.rows.filter((c) => c.type === "bool").map((c) => c.name)
  return new Map(
    r.rows.map((row) => {
      const v = JSON.parse(row.v) as Record<string, unknown>
      for (const b of bools) if (v[b] !== null) v[b] = v[b] === "t"
      return [row.id, v]
    }),
  )
}

/**
 * The rows of a shape as the Electric client materializes them, computed by Postgres from
 * the client's own where text (its `$n` shifted past the workspace parameter).
 */
export const shapeRows = async (
  client: pg.Client,
  table: string,
  ws: string,
  shape: { where?: string; params?: ReadonlyArray<string>; columns?: ReadonlyArray<string> } = {},
) => {
  const all = await client.query<Column>(
    `select column_name as name, udt_name as type, is_nullable = 'NO' as "notNull"
     from information_schema.columns where table_name = $1 order by ordinal_position`,
    [table],
  )
  const cols = shape.columns ? all.rows.filter((c) => shape.columns!.includes(c.name)) : all.rows
  const where = shape.where ? ` and (${shape.where.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + 1}`)})` : ""
  const r = await client.query<{ id: string; v: string }>(
    `select id, ${valueSql(cols)} as v from ${table} where workspace_id = $1${where}`,
    [ws, ...(shape.params ?? [])],
  )
  const bools = cols.filter((c) => c.type === "bool").map((c) => c.name)
  return new Map(
    r.rows.map((row) => {
      const v = JSON.parse(row.v) as Record<string, unknown>
      for (const b of bools) if (v[b] !== null) v[b] = v[b] === "t"
      return [row.id, v]
    }),
  )
}

export const connect = async (url: string) => {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query("set timezone = 'UTC'")
  return c
}

export const insertTask = (c: pg.Client, ws: string, id: string, title: string) =>
  c.query(
    `insert into tasks (workspace_id, id, project_id, title, description, status, priority, sort_key, created_at, updated_at)
     values ($1, $2, 'p1', $3, '', 'todo', 'none', 'a', now(), now())`,
    [ws, id, title],
  )

export const waitFor = async (cond: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = "condition") => {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
