import { CliConfig } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer } from "effect"
import { ServerConfig } from "./Config.js"
import { cliApp, exitCodeOf } from "./cli/app.js"
import { CliError } from "./cli/Command.js"
import { commands } from "./cli/commands/index.js"
import { NodeServer } from "./http/NodeServer.js"
import { ServerLoggerLive } from "./logging/serverLogger.js"
import { ServerLive } from "./Server.js"

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g")
const strip = (a: unknown) => (typeof a === "string" ? a.replace(ANSI, "") : a)

/** Help and errors without colour codes when written to a pipe or a file. */
function withPlainText<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
  if (process.stdout.isTTY === true) return effect
  return Effect.flatMap(Effect.console, (c) =>
    Effect.withConsole(effect, {
      ...c,
      log: (...args) => c.log(...args.map(strip)),
      error: (...args) => c.error(...args.map(strip)),
    }),
  )
}

/** `vibestack serve`: the server until SIGINT/SIGTERM; JSON log lines unless stdout is a terminal. */
const serve = Layer.launch(
  Layer.unwrapEffect(
    Effect.map(ServerConfig, (config) => ServerLive(config, new NodeServer(), { processGuard: true })),
  ),
).pipe(Effect.provide(ServerLoggerLive(process.stdout.isTTY === true)))

// Help shows our flags only (built-ins such as --completions still work) and no type names.
const program = cliApp(
  commands,
  serve,
)(process.argv).pipe(
  Effect.provide(Layer.merge(NodeContext.layer, CliConfig.layer({ showBuiltIns: false, showTypes: false }))),
  withPlainText,
)

NodeRuntime.runMain(program, {
  disablePrettyLogger: true,
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return onExit(0)
    const failure = Cause.failureOption(exit.cause)
    if (failure._tag === "Some") {
      const e = failure.value
      // @effect/cli printed its own message (and the usage) for a bad command line.
      if (e instanceof CliError) console.error(`vibestack: ${e.message}`)
      else if (exitCodeOf(e) === 1) console.error(`vibestack: ${String((e as { message?: unknown }).message ?? e)}`)
      return onExit(exitCodeOf(e))
    }
    console.error(Cause.pretty(exit.cause))
    onExit(1)
  },
})

export { CliError }
