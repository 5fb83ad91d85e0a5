import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs"

export interface TailOptions {
  readonly url: string
  readonly table: string
  readonly token: string
  /** Where the handle and offset are kept between runs. */
  readonly offsetFile?: string | undefined
  /** Stop at the first up-to-date instead of following live. */
  readonly once?: boolean
  readonly print: (line: string) => void
  readonly signal?: AbortSignal
}

interface Position {
  handle?: string | undefined
  offset: string
}

const load = (file: string | undefined): Position => {
  if (!file || !existsSync(file)) return { offset: "-1" }
  const p = JSON.parse(readFileSync(file, "utf8")) as Position
  return typeof p.offset === "string" ? p : { offset: "-1" }
}

/** Written after the lines are printed: a crash repeats at most one page, never skips one. */
const save = (file: string | undefined, p: Position) => {
  if (!file) return
  writeFileSync(`${file}.tmp`, JSON.stringify(p))
  renameSync(`${file}.tmp`, file)
}

/**
 * A minimal shape-protocol follower for `vibestack feed tail`: prints each change as a JSON
 * line (`{op, key, value, offset}`), saves its position, and resumes from it.
 */
export const tailShape = async (o: TailOptions): Promise<void> => {
  let pos = load(o.offsetFile)
  let upToDate = false
  while (!o.signal?.aborted) {
    const q = new URLSearchParams({ table: o.table, offset: pos.offset })
    if (pos.handle) q.set("handle", pos.handle)
    if (upToDate) q.set("live", "true")
    const res = await fetch(`${o.url}/api/v1/shape?${q}`, {
      headers: { authorization: `Bearer ${o.token}` },
      ...(o.signal ? { signal: o.signal } : {}),
    })
    if (res.status === 409) {
      o.print(JSON.stringify({ control: "must-refetch" }))
      pos = { offset: "-1" }
      upToDate = false
      save(o.offsetFile, pos)
      continue
    }
    if (!res.ok) throw new Error(`shape request failed: ${res.status} ${await res.text()}`)
    const messages = (await res.json()) as Array<{ headers: Record<string, unknown>; key?: string; value?: unknown }>
    const offset = res.headers.get("electric-offset") ?? pos.offset
    for (const m of messages)
      if (m.key !== undefined) o.print(JSON.stringify({ op: m.headers.operation, key: m.key, value: m.value, offset }))
    pos = { handle: res.headers.get("electric-handle") ?? pos.handle, offset }
    save(o.offsetFile, pos)
    upToDate = res.headers.has("electric-up-to-date")
    if (upToDate && o.once) return
  }
}
