import { Effect } from "effect"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"

/**
 * A Loro panic costs a pool worker (it is recycled). A tenant whose pushes keep crashing the
 * pool would make everyone pay for the recycles, so each workspace gets a small budget: past
 * it, its pushes are answered 429 without reaching Loro until its oldest crash leaves the
 * window. Logged and counted once per trip.
 */
export class CrashBudget extends Effect.Service<CrashBudget>()("CrashBudget", {
  effect: Effect.gen(function* () {
    const metrics = yield* Metrics
    const config = yield* ServerConfigTag
    /** Loro panics a workspace may cause per window before its pushes stop reaching Loro. */
    const CRASHES_PER_WINDOW = Math.max(1, config.crashBudget)
    const WINDOW_MS = config.crashWindowSeconds * 1000
    const crashes = new Map<string, Array<number>>()
    // Effect's Clock, read synchronously: `blocked` is asked on the push path without a fiber.
    const clock = yield* Effect.clock

    const recent = (ws: string, now: number): Array<number> => {
      const list = (crashes.get(ws) ?? []).filter((t) => now - t < WINDOW_MS)
      if (list.length === 0) crashes.delete(ws)
      else crashes.set(ws, list)
      return list
    }

    return {
      /** A blob from `ws` crashed Loro (the pool isolated it and answered 422). */
      crashed: (ws: string) =>
        Effect.suspend(() => {
          const now = clock.unsafeCurrentTimeMillis()
          const list = [...recent(ws, now), now]
          crashes.set(ws, list)
          metrics.inc("vibestack_pool_crashes_total")
          if (list.length !== CRASHES_PER_WINDOW) return Effect.void
          metrics.inc("vibestack_crash_budget_trips_total")
          return Effect.logWarning(
            `workspace ${ws} crashed the Loro pool ${list.length} times in ${WINDOW_MS / 60_000} min: its pushes are refused (429) for a while`,
          )
        }),
      /** Seconds until `ws` may push again, or undefined when it is within its budget. */
      blocked: (ws: string): number | undefined => {
        if (!crashes.has(ws)) return undefined
        const now = clock.unsafeCurrentTimeMillis()
        const list = recent(ws, now)
        if (list.length < CRASHES_PER_WINDOW) return undefined
        return Math.max(1, Math.ceil((list[list.length - CRASHES_PER_WINDOW]! + WINDOW_MS - now) / 1000))
      },
    } as const
  }),
}) {}
