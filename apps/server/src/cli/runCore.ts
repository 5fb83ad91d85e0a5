import { Effect, type Layer, Logger, type ManagedRuntime } from "effect"
import { ServerConfig } from "../Config.js"
import { CoreLive } from "../Server.js"
import { CliError } from "./Command.js"

type Core = Layer.Layer.Success<ReturnType<typeof CoreLive>>

/**
 * Runs an admin effect against the server's database (the embedded one in the data
 * folder, attached to if a server is already running there, or DATABASE_URL). Logs go to
 * stderr: stdout is the command's result (JSON with --json), which scripts parse.
 */
export const runCore = <A, E>(effect: Effect.Effect<A, E, Core>): Effect.Effect<A, CliError> =>
  Effect.gen(function* () {
    const config = yield* ServerConfig
    return yield* Effect.provide(effect, CoreLive(config, { attachEmbedded: true }))
  }).pipe(
    Effect.scoped,
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.stringLogger))),
    Effect.mapError((e) => (e instanceof CliError ? e : new CliError(describe(e)))),
  ) as Effect.Effect<A, CliError>

const describe = (e: unknown): string =>
  typeof e === "object" && e !== null && "error" in e
    ? String((e as { error: { message: string } }).error.message)
    : typeof e === "object" && e !== null && "message" in e
      ? String((e as { message: unknown }).message)
      : String(e)

export type { Layer, ManagedRuntime }
