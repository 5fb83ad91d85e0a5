import { Config, Effect, Layer, Logger, LogLevel } from "effect"

/**
 * The server's log: Effect's logger, one JSON object per line when stdout is not a terminal
 * (a log shipper's input: message, logLevel, timestamp, annotations such as `requestId`,
 * spans), the pretty one on a terminal. `VIBESTACK_LOG_FORMAT` (auto | json | pretty) and
 * `VIBESTACK_LOG_LEVEL` (Debug, Info, Warning, Error; default Info) override.
 */
export const LogConfig = Config.all({
  format: Config.literal("auto", "json", "pretty")("VIBESTACK_LOG_FORMAT").pipe(Config.withDefault("auto" as const)),
  level: Config.logLevel("VIBESTACK_LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
})

export const ServerLoggerLive = (isTty: boolean): Layer.Layer<never, never> =>
  Layer.unwrapEffect(
    Effect.map(Effect.orDie(LogConfig), ({ format, level }) => {
      const json = format === "json" || (format === "auto" && !isTty)
      const logger = json ? Logger.withConsoleLog(Logger.jsonLogger) : Logger.prettyLoggerDefault
      return Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(level))
    }),
  )
