import { Cause, Effect, Layer, Runtime } from "effect"
import { Metrics } from "../metrics/Metrics.js"
import type { NodeServer } from "./NodeServer.js"

type Report = (kind: "uncaughtException" | "unhandledRejection", error: unknown) => void

/**
 * The process-level guard for `vibestack serve`: an exception nothing caught is logged and
 * counted, and the server keeps serving instead of exiting (and taking the embedded Postgres
 * with it). It is a bug each time: the log line says so. Returns the uninstaller.
 */
export const installProcessGuard = (report: Report): (() => void) => {
  const onException = (error: unknown) => report("uncaughtException", error)
  const onRejection = (error: unknown) => report("unhandledRejection", error)
  // When whoever reads the log goes away (a parent that died, a log shipper killed), each write
  // fails with EPIPE as an 'error' event. Unhandled, that became an uncaught exception whose
  // report wrote the log again: a loop at 100 % CPU for as long as the process lived. The lines
  // are lost either way; the server keeps serving.
  const onLogStreamError = () => {}
  const streams = [process.stdout, process.stderr]
  for (const s of streams) s.on("error", onLogStreamError)
  process.on("uncaughtException", onException)
  process.on("unhandledRejection", onRejection)
  return () => {
    for (const s of streams) s.off("error", onLogStreamError)
    process.off("uncaughtException", onException)
    process.off("unhandledRejection", onRejection)
  }
}

/**
 * Where exceptions that escaped a handler go (S14): the Node server has already answered
 * 400; this logs the request's method and path (never its query or headers, where tokens
 * travel) and counts `vibestack_handler_errors_total`. With `processGuard`, also
 * `installProcessGuard` (`vibestack serve` only: in tests it would hide failures).
 */
export const HandlerGuardLive = (node: NodeServer, options: { readonly processGuard: boolean }) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const metrics = yield* Metrics
      // Not a FiberSet: a log line completes inside the callback that writes it; nothing outlives it.
      const runSync = Runtime.runSync(yield* Effect.runtime<never>())
      node.onHandlerError = (error, where) => {
        metrics.inc("vibestack_handler_errors_total", { where: "http" })
        runSync(Effect.logError(`handler threw on ${where.method} ${where.path}; answered 400`, Cause.die(error)))
      }
      if (!options.processGuard) return
      const uninstall = installProcessGuard((kind, error) => {
        metrics.inc("vibestack_uncaught_errors_total", { kind })
        runSync(Effect.logError(`${kind}: kept serving, but this is a bug`, Cause.die(error)))
      })
      yield* Effect.addFinalizer(() => Effect.sync(uninstall))
    }),
  )
