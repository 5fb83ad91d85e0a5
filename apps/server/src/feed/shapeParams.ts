import { type Handle, type Offset, parseHandle, parseOffset } from "./offset.js"

/** The tables the feed publishes; anything else is a 400. */
export const FEED_TABLES: ReadonlyArray<string> = ["projects", "tasks", "comments", "members"]

export type Position =
  | { readonly _tag: "Initial" }
  | { readonly _tag: "Now" }
  /** A later page of a snapshot this node still holds. */
  | { readonly _tag: "Page"; readonly page: number }
  | { readonly _tag: "Log"; readonly offset: Offset }

/** What a shape is: the table, and the subset the client asked for. */
export interface ShapeDef {
  readonly table: string
  readonly where: string | undefined
  /** Positional parameters of `where`: `$n` → text. */
  readonly params: ReadonlyMap<number, string>
  /** Requested columns (names as given, unquoted); undefined: all of them. */
  readonly columns: ReadonlyArray<string> | undefined
}

export interface ShapeParams {
  readonly def: ShapeDef
  readonly position: Position
  readonly handle: Handle | undefined
  readonly live: boolean
  readonly cursor: string | undefined
}

/** Parameters the Electric client sends that change nothing here. */
const IGNORED = new Set(["cursor", "expired_handle", "cache-buster", "log", "live_sse", "experimental_live_sse"])
const KNOWN = new Set(["table", "offset", "handle", "live", "replica", "where", "columns", "params", ...IGNORED])
const MAX_PARAMS = 100
const MAX_PARAM_CHARS = 10_000

/** Decodes the query of `GET /api/v1/shape`; a string is the 400 message. */
export const parseShapeParams = (q: URLSearchParams): ShapeParams | string => {
  const params = new Map<number, string>()
  for (const [key, value] of q) {
    const m = /^params\[(.*)\]$/.exec(key)
    if (m) {
      const n = /^[1-9][0-9]{0,3}$/.test(m[1]!) ? Number(m[1]) : Number.NaN
      if (!Number.isInteger(n)) return `bad parameter name ${key}: use params[1], params[2], …`
      if (params.has(n)) return `${key} is given twice`
      params.set(n, value)
      continue
    }
    if (key.startsWith("subset__")) return "subset snapshots (requestSnapshot) are not supported"
    if (!KNOWN.has(key)) return `unsupported parameter: ${key}`
    if (q.getAll(key).length > 1) return `${key} is given twice`
  }
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

  const json = q.get("params")
  if (json !== null) {
    if (params.size > 0) return "give params either as params[n]=… or as one JSON params=…, not both"
    const parsed = parseJsonParams(json)
    if (typeof parsed === "string") return parsed
    for (const [n, v] of parsed) params.set(n, v)
  }
  if (params.size > MAX_PARAMS) return `at most ${MAX_PARAMS} params`
  for (const [n, v] of params)
    if (v.length > MAX_PARAM_CHARS) return `params[${n}] is longer than ${MAX_PARAM_CHARS} characters`
  const where = q.get("where") ?? undefined
  if (where === undefined && params.size > 0) return "params are given without a where"
  const columnsText = q.get("columns")
  const columns = columnsText === null ? undefined : parseColumns(columnsText)
  if (typeof columns === "string") return columns

  const offsetText = q.get("offset")
  if (offsetText === null) return "offset is required"
  const handleText = q.get("handle")
  const handle = handleText === null ? undefined : parseHandle(handleText)
  if (handleText !== null && !handle) return "malformed handle"
  let position: Position
  if (offsetText === "-1") position = { _tag: "Initial" }
  else if (offsetText === "now") position = { _tag: "Now" }
  else {
    const offset = parseOffset(offsetText)
    if (!offset) return "malformed offset"
    if (!handle) return "handle is required with an offset"
    position = offset.lsn === 0 ? { _tag: "Page", page: offset.pos } : { _tag: "Log", offset }
  }
  if (live === "true" && position._tag !== "Log")
    return "live=true needs an offset from the log (not -1, now or a snapshot page)"
  return {
    def: { table, where, params, columns },
    position,
    handle,
    live: live === "true",
    cursor: q.get("cursor") ?? undefined,
  }
}

/** `params={"1":"a","2":"b"}` or `params=["a","b"]` (Electric's JSON form). */
const parseJsonParams = (text: string): Map<number, string> | string => {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return 'params must be JSON (an object like {"1":"a"} or an array) or given as params[n]=…'
  }
  const entries: Array<[string, unknown]> = Array.isArray(v)
    ? v.map((x, i) => [String(i + 1), x])
    : v !== null && typeof v === "object"
      ? Object.entries(v)
      : []
  if (!Array.isArray(v) && (v === null || typeof v !== "object")) return "params must be a JSON object or array"
  const out = new Map<number, string>()
  for (const [k, x] of entries) {
    if (!/^[1-9][0-9]{0,3}$/.test(k)) return `bad params key ${JSON.stringify(k)}: keys are 1, 2, …`
    if (typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean")
      return `params ${k} must be a string (or a number or boolean)`
    out.set(Number(k), String(x))
  }
  return out
}

/** `id,title` or `"id","Title"` (quoted names are taken as written, others lower-cased). */
export const parseColumns = (text: string): ReadonlyArray<string> | string => {
  const out: Array<string> = []
  let i = 0
  while (i <= text.length) {
    let name: string
    if (text[i] === '"') {
      name = ""
      i++
      for (;;) {
        const j = text.indexOf('"', i)
        if (j < 0) return "unterminated quoted column name in columns"
        name += text.slice(i, j)
        if (text[j + 1] === '"') {
          name += '"'
          i = j + 2
        } else {
          i = j + 1
          break
        }
      }
      if (i < text.length && text[i] !== ",") return `columns: expected ',' after "${name}"`
    } else {
      const j = text.indexOf(",", i)
      const raw = text.slice(i, j < 0 ? text.length : j).trim()
      if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(raw)) return `columns: ${JSON.stringify(raw)} is not a column name`
      name = raw.toLowerCase()
      i = j < 0 ? text.length : j
    }
    if (name === "") return "columns: empty column name"
    if (!out.includes(name)) out.push(name)
    i++
  }
  return out
}
