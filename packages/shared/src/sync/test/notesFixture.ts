import { createProject, createTask, taskDescription } from "@vibestack/schema"
import { LoroDoc, type LoroText } from "loro-crdt"

/**
 * A task every test writer edits the same description of, in the workspace layout a real
 * server enforces (S25): one fixed update (its own peer id, fixed time and randomness) that
 * every writer imports before typing, so all of them write to one text container.
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

/** The shared notes text of `doc`, importing the fixture first (a no-op once it has it). */
export const notesText = (doc: LoroDoc): LoroText => {
  doc.import(notesFixture())
  return taskDescription(doc, "notes")
}
