import { DocId, WorkspaceId } from "@vibestack/schema"
import { Effect, Schema } from "effect"
import { describeRepair, repairDoc } from "../../history/repairDoc.js"
import { CliError, type Command } from "../Command.js"
import { runCore } from "../runCore.js"

type Flags = Readonly<Record<string, string | boolean | undefined>>

const id = <S extends Schema.Schema<any, string>>(flags: Flags, name: string, schema: S) =>
  Effect.suspend(() => {
    const v = flags[name]
    if (typeof v !== "string" || v.length === 0) return Effect.fail(new CliError(`--${name} is required`))
    return Schema.decodeUnknown(schema)(v).pipe(
      Effect.mapError(() => new CliError(`--${name} must be 1 to 64 characters of A-Z a-z 0-9 _ -`)),
    ) as Effect.Effect<Schema.Schema.Type<S>, CliError>
  })

/** `vibestack doc …`: operator commands on one document, straight against the server's database. */
export const docCommands: ReadonlyArray<Command> = [
  {
    group: "doc",
    name: "repair",
    summary: "quarantine the log entries that break a document (bytes kept aside); --dry-run only reports",
    example: "vibestack doc repair --workspace W --doc main --dry-run",
    flags: {
      workspace: { type: "string", description: "workspace id", required: true },
      doc: { type: "string", description: "document id (the app's is main)", required: true },
      "dry-run": { type: "boolean", description: "report what would be quarantined, change nothing" },
    },
    run: (flags) =>
      Effect.gen(function* () {
        const ws = yield* id(flags, "workspace", WorkspaceId)
        const doc = yield* id(flags, "doc", DocId)
        const report = yield* runCore(repairDoc(ws, doc, { dryRun: flags["dry-run"] === true }))
        return flags.json ? report : describeRepair(report)
      }),
  },
]
