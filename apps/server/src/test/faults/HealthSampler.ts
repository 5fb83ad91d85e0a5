/**
 * I8: samples `GET /healthz` every `everyMs` with a 1 s budget and records every miss
 * (timeout or network error), and counts answers by status. A run pauses it while it kills the server on purpose.
 */
export class HealthSampler {
  readonly misses: Array<string> = []
  readonly statuses = new Map<number, number>()
  samples = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private paused = false
  private inFlight: Promise<void> = Promise.resolve()

  constructor(
    readonly url: string,
    readonly everyMs = 250,
    readonly budgetMs = 1_000,
  ) {}

  start(): this {
    const tick = () => {
      this.inFlight = this.sample().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.everyMs)
      })
    }
    this.timer = setTimeout(tick, 0)
    return this
  }

  /** Skip samples while the server is down on purpose (F1, F2). */
  setPaused(paused: boolean): void {
    this.paused = paused
  }

  private async sample(): Promise<void> {
    if (this.paused) return
    const started = Date.now()
    try {
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(this.budgetMs) })
      await res.arrayBuffer()
      if (this.paused) return
      this.samples++
      // A 503 "database down" is still an answer in time (liveness); the run decides if it may occur.
      this.statuses.set(res.status, (this.statuses.get(res.status) ?? 0) + 1)
    } catch (e) {
      if (this.paused) return
      this.samples++
      this.misses.push(`healthz failed after ${Date.now() - started} ms: ${String((e as Error).name)}`)
    }
  }

  async stop(): Promise<void> {
    const t = this.timer
    this.timer = undefined
    if (t !== undefined) clearTimeout(t)
    await this.inFlight
  }
}
