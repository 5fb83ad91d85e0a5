import type { Intent } from "./intents.js"

/**
 * A synchronous write-ahead journal of the page's intents, in `localStorage` (the document
 * worker, which commits them, has no synchronous storage). Written in the task of the user's
 * action, removed once the worker says the commit is in the outbox (`Stored`); the next open
 * of the workspace hands what is left to the worker, which runs only those whose commit it
 * never stored (the key is recorded with the outbox entry, atomically: `appendLocalIntent`).
 */
const PREFIX = "vibestack-intent:"

export interface JournaledIntent {
  readonly key: string
  readonly intent: Intent
  readonly at: number
}

const storage = (): Storage | undefined => {
  try {
    return globalThis.localStorage
  } catch {
    return undefined
  }
}

/** False when the journal is unavailable (full, disabled): the write still goes ahead. */
export const journalIntent = (ws: string, key: string, intent: Intent): boolean => {
  try {
    storage()?.setItem(`${PREFIX}${ws}:${key}`, JSON.stringify({ t: Date.now(), i: intent }))
    return true
  } catch {
    return false
  }
}

export const forgetIntent = (ws: string, key: string): void => {
  try {
    storage()?.removeItem(`${PREFIX}${ws}:${key}`)
  } catch {
    // A stale entry is checked against the stored keys and skipped.
  }
}

/** What tabs of this workspace journaled and never saw stored, oldest first. */
export const journaledIntents = (ws: string): ReadonlyArray<JournaledIntent> => {
  const s = storage()
  if (s === undefined) return []
  const prefix = `${PREFIX}${ws}:`
  const out: Array<JournaledIntent> = []
  for (let i = 0; i < s.length; i++) {
    const k = s.key(i)
    if (k === null || !k.startsWith(prefix)) continue
    try {
      const parsed = JSON.parse(s.getItem(k) ?? "") as { t?: unknown; i?: Intent }
      if (parsed.i === undefined || typeof parsed.i.op !== "string" || !Array.isArray(parsed.i.args)) continue
      out.push({ key: k.slice(prefix.length), intent: parsed.i, at: typeof parsed.t === "number" ? parsed.t : 0 })
    } catch {
      forgetIntent(ws, k.slice(prefix.length))
    }
  }
  return out.sort((a, b) => a.at - b.at)
}
