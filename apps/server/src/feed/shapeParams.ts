import { type Handle, type Offset, parseHandle, parseOffset } from "./offset.js"

/** The tables the feed publishes; anything else is a 400. */
export const FEED_TABLES: ReadonlyArray<string> = ["projects", "tasks", "comments", "members"]

export type Position =
  | { readonly _tag: "Initial" }
  | { readonly _tag: "Now" }
  /** A later page of a snapshot this node still holds. */
  | { readonly _tag: "Page"; readonly page: number }
  | { readonly _tag: "Log"; readonly offset: Offset }

export interface ShapeParams {
  readonly table: string
  readonly position: Position
  readonly handle: Handle | undefined
  readonly live: boolean
  readonly cursor: string | undefined
}

/** Parameters the Electric client sends that change nothing here. */
const IGNORED = new Set(["cursor", "expired_handle", "cache-buster", "log", "live_sse", "experimental_live_sse"])

/** Decodes the query of `GET /api/v1/shape`; a string is the 400 message. */
export const parseShapeParams = (q: URLSearchParams): ShapeParams | string => {
  for (const key of q.keys())
    if (!["table", "offset", "handle", "live", "replica", ...IGNORED].includes(key))
      return `unsupported parameter: ${key} (shapes here are whole tables of your workspace)`
  const table = q.get("table")
  if (!table) return "table is required"
  if (!FEED_TABLES.includes(table)) return `table must be one of ${FEED_TABLES.join(", ")}`
  const replica = q.get("replica")
  if (replica !== null && replica !== "default") return "only replica=default is supported"
  const live = q.get("live")
  if (live !== null && live !== "true" && live !== "false") return "live must be true or false"
  if (q.get("live_sse") === "true" || q.get("experimental_live_sse") === "true")
    return "server-sent events are not supported; use long polling"
  const log = q.get("log")
  if (log !== null && log !== "full") return "only log=full is supported"
  const offsetText = q.get("offset")
  if (offsetText === null) return "offset is required"
  const handleText = q.get("handle")
  const handle = handleText === null ? undefined : parseHandle(handleText)
  if (handleText !== null && !handle) return "malformed handle"
  if (handle && handle.table !== table) return "handle belongs to another table"
  let position: Position
  if (offsetText === "-1") position = { _tag: "Initial" }
  else if (offsetText === "now") position = { _tag: "Now" }
  else {
    const offset = parseOffset(offsetText)
    if (!offset) return "malformed offset"
    if (!handle) return "handle is required with an offset"
    position = offset.lsn === 0 ? { _tag: "Page", page: offset.pos } : { _tag: "Log", offset }
  }
  return { table, position, handle, live: live === "true", cursor: q.get("cursor") ?? undefined }
}
