import { createProject, createTask, MAIN_DOC, taskDescription } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import { api } from "../test/http.js"
import { type AuditLog, hashBytes } from "./AuditTransport.js"

/**
 * The fault tier's random edits, in the workspace layout the server enforces: edit `n` of
 * writer `name` is a key of `meta` (`<name>-<n mod keys>` = n, so each key's final value is its
 * writer's last write), a text insert `[<name>]` at 0 of the shared `notes` task's description
 * (one bracketed run, never split), or a unique log entry (`meta["log-<name>-<n>"]` =
 * `"<name>:<n>"`). The `notes` task comes from one fixture update every writer imports, so all
 * writers edit the same text; the workspace's creator pushes it first (`NOTES_FIXTURE`).
 */
let fixture: Uint8Array | undefined
export const notesFixture = (): Uint8Array => {
  if (fixture !== undefined) return fixture
  const doc = new LoroDoc()
  doc.setPeerId(0x5eedn) // writes nothing else: never shared with a live document
  createProject(doc, { id: "faults", name: "Faults", color: "#3b82f6" }, { now: 0 })
  const position = { after: null, before: null }
  createTask(doc, { id: "notes", projectId: "faults", title: "Notes", position }, { now: 0, random: () => 0.5 })
  doc.commit()
  fixture = doc.export({ mode: "update" })
  return fixture
}

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

export const applyFaultEdit = (d: LoroDoc, name: string, n: number, keys: number): void => {
  if (n % 3 === 0) d.getMap("meta").set(`${name}-${n % keys}`, n)
  else if (n % 3 === 1) {
    d.import(notesFixture()) // a no-op once the writer has it
    taskDescription(d, "notes").insert(0, `[${name}]`)
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

/**
 * A document's JSON with map keys sorted, for comparing states: the order of keys in `toJSON`
 * follows the order Loro registered containers in (import order, snapshot layout), which is not
 * part of the state.
 */
export const stateJson = (doc: LoroDoc): string => JSON.stringify(sortKeys(doc.toJSON()))

const sortKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  )
}
