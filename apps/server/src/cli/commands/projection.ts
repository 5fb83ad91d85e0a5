import { Effect, Schedule } from "effect"
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
    example: "vibestack projection status --workspace W",
    flags: { workspace: { type: "string", description: "only this workspace" } },
    run: (flags) => runCore(Effect.flatMap(Projector, (p) => p.status(workspaceFlag(flags)))),
  },
  {
    group: "projection",
    name: "rebuild",
    summary: "drop a workspace's (or every) projected rows and replay its log from zero",
    example: "vibestack projection rebuild --workspace W",
    flags: { workspace: { type: "string", description: "only this workspace (default: all)" } },
    run: (flags, context) =>
      runCore(
        Effect.flatMap(Projector, (p) =>
          Effect.gen(function* () {
            const ws = workspaceFlag(flags)
            const started = performance.now()
            const total = (yield* p.status(ws)).reduce((n, d) => n + Number(d.lastSeq), 0)
            const progress = context.progress(`rebuilding ${ws ?? "every workspace"}`, total, "updates")
            // Progress is read from the projection's own state, as any observer would.
            const projected = Effect.map(p.status(ws), (docs) => docs.reduce((n, d) => n + Number(d.projectedSeq), 0))
            yield* Effect.scoped(
              Effect.gen(function* () {
                yield* projected.pipe(
                  Effect.tap((n) => Effect.sync(() => progress.update(n))),
                  Effect.ignore,
                  Effect.repeat(Schedule.spaced("500 millis")),
                  Effect.delay("500 millis"),
                  Effect.forkScoped,
                )
                yield* p.rebuild(ws)
              }),
            )
            progress.update(total)
            progress.done()
            const seconds = Math.round(performance.now() - started) / 1000
            return { rebuilt: ws ?? "all", seconds, status: yield* p.status(ws) }
          }),
        ),
      ),
  },
]
