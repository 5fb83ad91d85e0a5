import { Effect, Schedule } from "effect"

/**
 * A one-line progress report on stderr: `label  12,000/100,000 tasks  4,210/s  ETA 19 s`,
 * redrawn at most every 200 ms. Only on a terminal and never with `--json`: logs, pipes and
 * scripts stay clean. The final line stays, with the total time.
 */
export interface Progress {
  /** Sets how much is done (absolute). */
  readonly update: (done: number) => void
  /** Changes the label (a new phase of the same work). */
  readonly phase: (label: string) => void
  /** Draws again (the elapsed time moves even when the count does not). */
  readonly redraw: () => void
  readonly done: () => void
}

export const silentProgress: Progress = { update: () => {}, phase: () => {}, redraw: () => {}, done: () => {} }

const fmt = (n: number) => Math.round(n).toLocaleString("en-US")
const duration = (s: number) => (s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`)

/** The text of a progress line (pure, for tests). */
export const progressLine = (label: string, done: number, total: number, unit: string, seconds: number): string => {
  // Unknown total (one opaque step, e.g. a backup being written): how long it has been running.
  if (total <= 0) return [label, ...(done > 0 ? [`${fmt(done)} ${unit}`] : []), duration(seconds)].join("  ")
  const rate = seconds > 0 ? done / seconds : 0
  const parts = [label, `${fmt(done)}/${fmt(total)} ${unit}`]
  if (seconds >= 0.5 && rate > 0) parts.push(`${fmt(rate)} ${unit}/s`)
  if (done < total && rate > 0) parts.push(`ETA ${duration((total - done) / rate)}`)
  if (done >= total) parts.push(`in ${duration(seconds)}`)
  return parts.join("  ")
}

/** Runs `effect` with the progress line redrawn every 250 ms (elapsed time for steps without a count). */
export const ticking = <A, E, R>(progress: Progress, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.scoped(
    Effect.gen(function* () {
      yield* Effect.sync(() => progress.redraw()).pipe(Effect.repeat(Schedule.spaced("250 millis")), Effect.forkScoped)
      return yield* effect
    }),
  ).pipe(Effect.ensuring(Effect.sync(() => progress.done())))

export const makeProgress = (
  label: string,
  total: number,
  unit = "",
  out: { isTTY?: boolean; write: (s: string) => unknown } = process.stderr,
): Progress => {
  if (out.isTTY !== true) return silentProgress
  const started = performance.now()
  let current = label
  let last = 0
  let value = 0
  const draw = (force: boolean) => {
    const now = performance.now()
    if (!force && now - last < 200) return
    last = now
    out.write(`\r\x1b[2K${progressLine(current, value, total, unit, (now - started) / 1000)}`)
  }
  let finished = false
  return {
    update: (done) => {
      value = done
      draw(false)
    },
    phase: (l) => {
      current = l
      draw(true)
    },
    redraw: () => draw(false),
    done: () => {
      if (finished) return
      finished = true
      draw(true)
      out.write("\n")
    },
  }
}
