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
  readonly done: () => void
}

export const silentProgress: Progress = { update: () => {}, phase: () => {}, done: () => {} }

const fmt = (n: number) => Math.round(n).toLocaleString("en-US")
const duration = (s: number) => (s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`)

/** The text of a progress line (pure, for tests). */
export const progressLine = (label: string, done: number, total: number, unit: string, seconds: number): string => {
  const rate = seconds > 0 ? done / seconds : 0
  const parts = [label, total > 0 ? `${fmt(done)}/${fmt(total)} ${unit}` : `${fmt(done)} ${unit}`]
  if (seconds >= 0.5 && rate > 0) parts.push(`${fmt(rate)}/s`)
  if (total > 0 && done < total && rate > 0) parts.push(`ETA ${duration((total - done) / rate)}`)
  if (total > 0 && done >= total) parts.push(`in ${duration(seconds)}`)
  return parts.join("  ")
}

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
  return {
    update: (done) => {
      value = done
      draw(false)
    },
    phase: (l) => {
      current = l
      draw(true)
    },
    done: () => {
      draw(true)
      out.write("\n")
    },
  }
}
