/**
 * The latency floor of bench/feed.ts: a server that does no feed work. It LISTENs on the
 * channel the benchmark's commits notify (`<id>|<project>` in the same transaction as the
 * row) and relays each notification to Electric clients' long-polls as an insert, in the
 * shape protocol, so the same ShapeStreams, HTTP stack and commits are measured without
 * the WAL, the tail or our request handling. `where=project_id = $1` with `params[1]`
 * narrows to one project, as the benchmark's per-shape wheres do.
 * Run by bench/feed.ts: node --import tsx bench/feedFloor.ts <database url> <port>
 */
import { createServer, type ServerResponse } from "node:http"
import pg from "pg"

const [dbUrl, port] = process.argv.slice(2)
const HEADERS = {
  "content-type": "application/json",
  "cache-control": "no-store",
  "electric-handle": "floor-1",
  "electric-schema": '{"workspace_id":{"type":"text","pk_index":0},"id":{"type":"text","pk_index":1}}',
}
const UP_TO_DATE = `{"headers":{"control":"up-to-date"}}`

/** Message n (1-based) is log[n - 1]. */
const log: Array<{ project: string; message: string }> = []
const waiting = new Set<{ res: ServerResponse; after: number; project: string | null }>()

const answer = (res: ServerResponse, after: number, project: string | null): boolean => {
  const messages: Array<string> = []
  for (let n = after; n < log.length; n++)
    if (project === null || log[n]!.project === project) messages.push(log[n]!.message)
  if (messages.length === 0) return false
  messages.push(UP_TO_DATE)
  res
    .writeHead(200, {
      ...HEADERS,
      "electric-offset": `${log.length}_0`,
      "electric-cursor": String(Date.now()),
      "electric-up-to-date": "",
    })
    .end(`[${messages.join(",")}]`)
  return true
}

const db = new pg.Client({ connectionString: dbUrl })
await db.connect()
await db.query("listen bench")
db.on("notification", (n) => {
  const [id, project = ""] = n.payload!.split("|")
  log.push({
    project,
    message: `{"headers":{"operation":"insert","lsn":"${log.length + 1}","op_position":1},"key":${JSON.stringify(`"public"."tasks"/"w"/"${id}"`)},"value":{"workspace_id":"w","id":${JSON.stringify(id)}}}`,
  })
  for (const w of waiting) if (answer(w.res, w.after, w.project)) waiting.delete(w)
})

createServer((req, res) => {
  const q = new URL(req.url!, "http://x").searchParams
  const project = q.get("where") ? q.get("params[1]") : null
  const offset = q.get("offset")!
  const after = offset === "-1" ? log.length : Number(offset.split("_")[0])
  if (answer(res, after, project)) return
  if (q.get("live") !== "true")
    return void res
      .writeHead(200, { ...HEADERS, "electric-offset": `${log.length}_0`, "electric-up-to-date": "" })
      .end(`[${UP_TO_DATE}]`)
  const w = { res, after, project }
  waiting.add(w)
  req.on("close", () => waiting.delete(w))
}).listen(Number(port), "127.0.0.1", () => console.log("ready"))
