/** Time and timers, injected so the engine can run on a manual clock in tests. */
export interface Clock {
  readonly now: () => number
  readonly setTimeout: (fn: () => void, ms: number) => unknown
  readonly clearTimeout: (handle: unknown) => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
}

/** A clock that only moves when told; timers fire in due order inside `advance`. */
export class ManualClock implements Clock {
  private time: number
  private nextId = 1
  private readonly timers = new Map<number, { readonly at: number; readonly fn: () => void }>()

  constructor(start = 1_700_000_000_000) {
    this.time = start
  }

  readonly now = (): number => this.time

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn })
    return id
  }

  readonly clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number)
  }

  get pendingTimers(): number {
    return this.timers.size
  }

  /** Moves time forward by `ms`, firing due timers in order (bounded by the timer count). */
  advance(ms: number): void {
    const end = this.time + ms
    for (let guard = 0; guard < 10_000; guard++) {
      let due: [number, { at: number; fn: () => void }] | undefined
      for (const t of this.timers) if (t[1].at <= end && (due === undefined || t[1].at < due[1].at)) due = t
      if (due === undefined) break
      this.timers.delete(due[0])
      this.time = Math.max(this.time, due[1].at)
      due[1].fn()
    }
    this.time = end
  }
}
