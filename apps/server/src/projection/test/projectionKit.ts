import { COLLECTIONS, type Collection, newId, projectionTables, readWorkspace, type SqlValue } from "@vibestack/schema"
import { ConfigProvider, Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { LoroDoc, type VersionVector } from "loro-crdt"
import pg from "pg"
import { Bus } from "../../bus/Bus.js"
import { DatabaseUrl, pgLayer } from "../../db/Database.js"
import { PoolEvents } from "../../health/PoolEvents.js"
import { HealthProbes } from "../../http/HealthProbes.js"
import { Metrics } from "../../metrics/Metrics.js"
import { api } from "../../test/http.js"
import { ProjectionFaults } from "../ProjectionFaults.js"
import { Projector } from "../Projector.js"

/** Test harness for the projection: table reads in a comparable form, waiting, extra projector instances. */

export type Tables = Record<Collection, Array<Array<SqlValue>>>

/** One column as text exactly as `toRow` writes it (ISO timestamps in UTC with ms, `YYYY-MM-DD` dates). */
const selectOf = (c: { name: string; type: string }) =>
  c.type === "timestamptz"
    ? `to_char(${c.name} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : c.type === "date"
      ? `to_char(${c.name}, 'YYYY-MM-DD')`
      : c.name

export const readTables = async (db: pg.Client, ws: string): Promise<Tables> => {
  const out = {} as Tables
  for (const c of COLLECTIONS) {
    const t = projectionTables[c]
    const res = await db.query({
      text: `select ${t.columns.map(selectOf).join(", ")} from ${t.name} where workspace_id = $1 order by id collate "C"`,
      values: [ws],
      rowMode: "array",
    })
    out[c] = res.rows as Array<Array<SqlValue>>
  }
  return out
}

/** What the tables must hold for `doc`: every readable entity through `toRow`, sorted by id. */
export const expectedTables = (doc: LoroDoc, ws: string): Tables => {
  const view = readWorkspace(doc)
  const rows = <E extends { id: string }>(c: Collection, xs: ReadonlyArray<E>) =>
    [...xs]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((e) => [...(projectionTables[c].toRow as (ws: string, e: E) => ReadonlyArray<SqlValue>)(ws, e)])
  return {
    projects: rows("projects", view.projects),
    tasks: rows(
      "tasks",
      view.tasks.map(({ orderIndex: _, ...t }) => t),
    ),
    comments: rows("comments", view.comments),
    members: rows("members", view.members),
  }
}

export const connect = async (url: string): Promise<pg.Client> => {
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  return db
}

/** Polls until every document of `ws` is projected up to its log's head (bounded). */
export const waitProjected = async (db: pg.Client, ws: string, deadlineMs = 60_000): Promise<void> => {
  const until = Date.now() + deadlineMs
  while (Date.now() < until) {
    const r = await db.query(
      `select count(*)::int as n from docs d left join projection_state p using (workspace_id, doc_id)
       where d.workspace_id = $1 and d.last_seq > coalesce(p.projected_seq, 0)`,
      [ws],
    )
    if (r.rows[0].n === 0) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`workspace ${ws} was not projected within ${deadlineMs} ms`)
}

/** A Loro client that pushes what it wrote since its last push. */
export class PushingClient {
  private sent: VersionVector | undefined
  constructor(
    readonly doc: LoroDoc,
    private readonly push: (bytes: Uint8Array, key: string) => Promise<{ status: number }>,
  ) {}
  private n = 0
  async flush(): Promise<void> {
    const bytes = this.doc.export(this.sent === undefined ? { mode: "update" } : { mode: "update", from: this.sent })
    this.sent = this.doc.oplogVersion()
    const r = await this.push(bytes, `${this.doc.peerIdStr}-${this.n++}`)
    if (r.status !== 200) throw new Error(`push failed: ${r.status} ${JSON.stringify((r as { json?: unknown }).json)}`)
  }
}

/** A new workspace on the server at `url`, with a client that pushes what its document writes. */
export const pushingWorkspace = async (url: string) => {
  const a = api(url)
  const { workspaceId, masterToken } = await a.register("Acme", newId())
  const doc = new LoroDoc()
  const client = new PushingClient(doc, (bytes, key) => a.push(workspaceId, masterToken, bytes, key))
  return { ws: workspaceId, token: masterToken, doc, client }
}

/** Faults under which every batch of the workspaces in `stuck` dies at `label` (a document that cannot project). */
export const stuckAt = (label: string, stuck: ReadonlySet<string>) =>
  ProjectionFaults.of({
    step: (at, target) =>
      at === label && stuck.has(target.ws) ? Effect.die(new Error("injected: this document is stuck")) : Effect.void,
  })

/** A projector of its own (own connections, own pool): a second node, or one to kill. */
export const startProjector = async (
  url: string,
  env: Record<string, string> = {},
  manual = false,
  faults?: ProjectionFaults["Type"],
) => {
  const provider = ConfigProvider.fromMap(new Map(Object.entries({ VIBESTACK_PROJECTION_SWEEP_MS: "200", ...env })))
  const deps = Layer.mergeAll(PoolEvents.Default, Bus.Default, HealthProbes.layer).pipe(
    Layer.provideMerge(Metrics.Default),
    Layer.provideMerge(Layer.merge(pgLayer(Redacted.make(url), 5), Layer.succeed(DatabaseUrl, Redacted.make(url)))),
  )
  const layer = (manual ? Projector.Manual : Projector.Default).pipe(
    Layer.provide(deps),
    Layer.provide(Layer.setConfigProvider(provider)),
    Layer.provide(faults === undefined ? Layer.empty : Layer.succeed(ProjectionFaults, faults)),
  )
  const scope = Effect.runSync(Scope.make())
  const ctx = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const projector = Context.get(ctx, Projector)
  return {
    projector,
    run: <A, E>(e: (p: Projector) => Effect.Effect<A, E>) => Effect.runPromise(e(projector)),
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void)),
  }
}

/** The tables a correct projection holds at `seq`: the committed updates up to it, minus quarantined ones, read by the schema. */
export const expectedAtSeq = async (db: pg.Client, ws: string, doc = "main") => {
  const state = await db.query("select projected_seq from projection_state where workspace_id = $1 and doc_id = $2", [
    ws,
    doc,
  ])
  const seq = Number(state.rows[0]?.projected_seq ?? 0)
  const rows = await db.query(
    `select u.bytes from doc_updates u where workspace_id = $1 and doc_id = $2 and seq <= $3 and not exists
       (select 1 from projection_quarantine q where q.workspace_id = u.workspace_id and q.doc_id = u.doc_id
        and q.seq = u.seq and q.reason like 'import:%') order by seq`,
    [ws, doc, seq],
  )
  const { LoroDoc } = await import("loro-crdt")
  const d = new LoroDoc()
  if (rows.rows.length > 0) d.importBatch(rows.rows.map((r) => new Uint8Array(r.bytes)))
  return { seq, tables: expectedTables(d, ws) }
}
