import { MAIN_DOC } from "@vibestack/schema"
import { notesFixture, notesText } from "@vibestack/shared/testing"
import type { LoroDoc } from "loro-crdt"

export { stateJson } from "@vibestack/shared/testing"

import { api } from "../http.js"
import { type AuditLog, hashBytes } from "./AuditTransport.js"

/** Pushes the notes fixture as the workspace's first update, recorded in the audit like any push. */
export const pushNotesFixture = async (url: string, ws: string, token: string, audit: AuditLog): Promise<void> => {
  const bytes = notesFixture()
  const key = "faults-notes-fixture"
  const r = await api(url).push(ws, token, bytes, key)
  if (r.status !== 200) throw new Error(`notes fixture refused: ${r.status} ${JSON.stringify(r.json)}`)
  audit.pushes.push({
    client: "fixture",
    workspaceId: ws,
    docId: MAIN_DOC,
    key,
    hash: hashBytes(bytes),
    outcome: "ack",
    ...r.json,
  })
}

/**
 * The fault tier's random edits, in the workspace layout the server enforces: edit `n` of
 * writer `name` is a key of `meta` (`<name>-<n mod keys>` = n, so each key's final value is its
 * writer's last write), a text insert `[<name>]` at 0 of the shared `notes` task's description
 * (one bracketed run, never split), or a unique log entry (`meta["log-<name>-<n>"]` =
 * `"<name>:<n>"`). The `notes` task comes from one fixture update every writer imports, so all
 * writers edit the same text; the workspace's creator pushes it first (`pushNotesFixture`).
 */
export const applyFaultEdit = (d: LoroDoc, name: string, n: number, keys: number): void => {
  if (n % 3 === 0) d.getMap("meta").set(`${name}-${n % keys}`, n)
  else if (n % 3 === 1) {
    notesText(d).insert(0, `[${name}]`)
  } else d.getMap("meta").set(`log-${name}-${n}`, `${name}:${n}`)
}

/** What the fault edits left in a document's JSON: the keyed values, the log entries, the notes text. */
export const faultState = (json: unknown) => {
  const doc = json as { meta?: Record<string, unknown>; tasks?: Record<string, { description?: string }> }
  const keys: Record<string, unknown> = {}
  const log: Array<string> = []
  for (const [k, v] of Object.entries(doc.meta ?? {})) {
    if (k.startsWith("log-")) log.push(String(v))
    else keys[k] = v
  }
  return { keys, log, notes: doc.tasks?.notes?.description ?? "" }
}
