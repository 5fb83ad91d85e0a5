import type { Container, ContainerID, Diff, Path, Value } from "loro-crdt"

/** One change's effect, as `[target container, what changed, where]` (a Loro event or `diff`). */
export type ChangeDiff = ReadonlyArray<{ readonly target: ContainerID; readonly diff: Diff; readonly path: Path }>

export interface ChangeSummary {
  /** One line per edit, for a person: `tasks/3f2a/title: set to "Ship it"`. */
  readonly summary: string
  /** Everything the change typed or set as text, in order, for "copy the text". */
  readonly text: string
}

const PREVIEW = 80
const LINES = 20

const isContainer = (v: unknown): v is Container =>
  typeof v === "object" && v !== null && "id" in v && typeof (v as { id: unknown }).id === "string"

const preview = (s: string): string => {
  const flat = s.replace(/\s+/g, " ")
  return flat.length <= PREVIEW
    ? JSON.stringify(flat)
    : `${JSON.stringify(flat.slice(0, PREVIEW))}… (${s.length.toLocaleString("en")} characters)`
}

const describeValue = (v: Value | Container | undefined): string => {
  if (v === undefined) return "removed"
  if (isContainer(v)) return "created"
  if (typeof v === "string") return `set to ${preview(v)}`
  return `set to ${JSON.stringify(v)}`
}

/**
 * What a change did, in words (C14): computed from its diff in the device's own document, so
 * a person can see what the server refused and copy what they typed.
 */
export const summarizeChange = (diff: ChangeDiff): ChangeSummary => {
  const lines: Array<string> = []
  const texts: Array<string> = []
  for (const { diff: d, path } of diff) {
    const where = path.map(String).join("/")
    switch (d.type) {
      case "map":
        for (const [key, value] of Object.entries(d.updated)) {
          lines.push(`${where}/${key}: ${describeValue(value)}`)
          if (typeof value === "string") texts.push(value)
        }
        break
      case "text": {
        let inserted = ""
        let deleted = 0
        for (const op of d.diff) {
          if (op.insert !== undefined) inserted += op.insert
          else if (op.delete !== undefined) deleted += op.delete
        }
        if (inserted !== "") {
          lines.push(`${where}: typed ${preview(inserted)}`)
          texts.push(inserted)
        }
        if (deleted > 0) lines.push(`${where}: deleted ${deleted} character${deleted === 1 ? "" : "s"}`)
        break
      }
      case "list": {
        let inserted = 0
        let deleted = 0
        for (const op of d.diff) {
          if (op.insert !== undefined) inserted += op.insert.length
          else if (op.delete !== undefined) deleted += op.delete
        }
        if (inserted > 0) lines.push(`${where}: added ${inserted} item${inserted === 1 ? "" : "s"}`)
        if (deleted > 0) lines.push(`${where}: removed ${deleted} item${deleted === 1 ? "" : "s"}`)
        break
      }
      case "counter":
        lines.push(`${where}: changed by ${d.increment}`)
        break
      case "tree":
        lines.push(`${where}: ${d.diff.length} tree change${d.diff.length === 1 ? "" : "s"}`)
        break
    }
  }
  const shown = lines.length > LINES ? [...lines.slice(0, LINES), `… and ${lines.length - LINES} more`] : lines
  return { summary: shown.length > 0 ? shown.join("\n") : "no visible change", text: texts.join("\n") }
}

/** The summary of bytes that could not be read as a change of this document. */
export const unreadableSummary = (bytes: Uint8Array): ChangeSummary => ({
  summary: `an update this device could not read (${bytes.length.toLocaleString("en")} bytes)`,
  text: "",
})

/**
 * The summary of a change whose dependencies this device no longer has: made on a copy of the
 * document that was being rebuilt at that moment (a tab that had not reloaded yet, C14).
 */
export const orphanSummary = (bytes: Uint8Array): ChangeSummary => ({
  summary: `a change made while the document was being rebuilt (${bytes.length.toLocaleString("en")} bytes); it could not be applied`,
  text: "",
})
