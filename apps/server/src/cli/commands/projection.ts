import { Effect } from "effect"
import { Projector } from "../../projection/Projector.js"
import type { Command } from "../Command.js"
import { runCore } from "../runCore.js"

const workspaceFlag = (flags: Readonly<Record<string, string | boolean | undefined>>) =>
  typeof flags.workspace === "string" && flags.workspace.length > 0 ? flags.workspace : undefined

export const projectionCommands: ReadonlyArray<Command> = [
  {
    group: "projection",
    name: "status",
    summary: "per document: last_seq, projected_seq, lag, quarantined updates",
    flags: { workspace: { type: "string", description: "only this workspace" } },
    run: (flags) => runCore(Effect.flatMap(Projector, (p) => p.status(workspaceFlag(flags)))),
  },
  {
    group: "projection",
    name: "rebuild",
    summary: "drop a workspace's (or every) projected rows and replay its log from zero",
    flags: { workspace: { type: "string", description: "only this workspace (default: all)" } },
    run: (flags) =>
      runCore(
        Effect.flatMap(Projector, (p) =>
          Effect.gen(function* () {
            const started = performance.now()
            yield* p.rebuild(workspaceFlag(flags))
            const seconds = Math.round(performance.now() - started) / 1000
            return { rebuilt: workspaceFlag(flags) ?? "all", seconds, status: yield* p.status(workspaceFlag(flags)) }
          }),
        ),
      ),
  },
]
