/**
 * A change the server refused, in words (U3): why, and what it did with entity ids replaced
 * by what a person sees (task titles, project names).
 */

/** Why the server refused one change, for a person (never the server's own text). */
export const describeRefusal = (kind: string): string => {
  switch (kind) {
    case "Forbidden":
      return "Your link is view-only, so the server does not accept changes from this device."
    case "Unauthorized":
      return "The server did not accept this device's link when the change was sent."
    case "InvalidUpdate":
      return "The server found this change invalid."
    case "PayloadTooLarge":
      return "This change is too large for the server."
    case "BadRequest":
      return "The server could not read this change."
    case "Conflict":
      return "This change conflicts with what the server has."
    case "ClientTooOld":
      return "This change was made by an out-of-date version of the app."
    default:
      return "The server refused this change."
  }
}

const NOUN: Record<string, string> = { tasks: "Task", projects: "Project", comments: "Comment", members: "Person" }

/** Names of the entities this device knows, to replace ids in a change summary. */
export interface EntityNames {
  readonly nameOf: (collection: string, id: string) => string | undefined
}

/**
 * The engine summarises a change as one line per edit, `tasks/<id>/title: set to "Ship it"`
 * (packages/shared changeSummary). Each line becomes `Task “Ship it”: title set to "Ship it"`;
 * a line of another shape is kept as it is.
 */
export const readableSummary = (summary: string, names: EntityNames): ReadonlyArray<string> =>
  summary
    .split("\n")
    // Bookkeeping the helpers write with every edit (and the v1 `done` flag): not what the person did.
    .filter((l) => l.trim() !== "" && !/^tasks\/[^/]+\/(updatedAt|done): /.test(l))
    .map((line) => {
      const m = /^(tasks|projects|comments|members)\/([A-Za-z0-9_-]+)(?:\/([^:]+))?: (.*)$/.exec(line)
      if (m === null) return line
      const [, collection = "", id = "", field, what = ""] = m
      const name = names.nameOf(collection, id)
      const who = `${NOUN[collection] ?? "Item"}${name !== undefined ? ` “${name}”` : ""}`
      return field !== undefined ? `${who}: ${field.replace(/\//g, " ")} ${what}` : `${who}: ${what}`
    })
