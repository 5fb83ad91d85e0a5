/**
 * A synchronous write-ahead journal for local commits, in `localStorage`. IndexedDB writes
 * are asynchronous: a tab closed right after a commit could lose it before the outbox write
 * lands. The journal entry is written in the same task as the commit and removed once the
 * outbox has it; the next open of the workspace (in any tab) replays what is left. A replayed
 * entry that did reach the outbox is harmless: Loro imports are idempotent and the server
 * stores one update per idempotency key.
 */
const PREFIX = "vibestack-journal:"

export interface JournalEntry {
  readonly key: string
  readonly ws: string
  readonly idempotencyKey: string
  readonly bytes: Uint8Array
  readonly at: number
}

const toBase64 = (bytes: Uint8Array): string => {
  let s = ""
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

const fromBase64 = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))

const storage = (): Storage | undefined => {
  try {
    return globalThis.localStorage
  } catch {
    return undefined
  }
}

/** Returns the entry's key, or undefined when the journal is unavailable (full, disabled). */
export const journalWrite = (ws: string, idempotencyKey: string, bytes: Uint8Array): string | undefined => {
  const key = `${PREFIX}${ws}:${idempotencyKey}`
  const s = storage()
  if (s === undefined) return undefined
  try {
    s.setItem(key, JSON.stringify({ t: Date.now(), b: toBase64(bytes) }))
    return key
  } catch {
    return undefined
  }
}

export const journalRemove = (key: string): void => {
  try {
    storage()?.removeItem(key)
  } catch {
    // Nothing to do: a stale entry is replayed once, harmlessly.
  }
}

/** Entries of one workspace left by tabs that closed before their outbox write. */
export const journalEntries = (ws: string): ReadonlyArray<JournalEntry> => {
  const s = storage()
  if (s === undefined) return []
  const out: Array<JournalEntry> = []
  const prefix = `${PREFIX}${ws}:`
  for (let i = 0; i < s.length; i++) {
    const key = s.key(i)
    if (key === null || !key.startsWith(prefix)) continue
    try {
      const parsed = JSON.parse(s.getItem(key) ?? "") as { b?: unknown; t?: unknown }
      if (typeof parsed.b !== "string") continue
      const at = typeof parsed.t === "number" ? parsed.t : 0
      out.push({ key, ws, idempotencyKey: key.slice(prefix.length), bytes: fromBase64(parsed.b), at })
    } catch {
      journalRemove(key)
    }
  }
  // Commit order: a later commit may depend on an earlier one.
  return out.sort((a, b) => a.at - b.at)
}
