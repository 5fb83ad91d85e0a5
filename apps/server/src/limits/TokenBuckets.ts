/** A rate: `perSecond` tokens come back each second, up to `burst` held at once. */
export interface Rate {
  readonly perSecond: number
  readonly burst: number
}

interface Bucket {
  tokens: number
  at: number
}

/**
 * Token buckets, one per key (a client address, a workspace), refilled lazily from the clock.
 * Written here rather than taken from `@effect/experimental`'s RateLimiter because a limiter
 * keyed by untrusted values must bound its memory (an attacker rotating addresses would grow
 * that one's map forever) and must answer synchronously (pushes join their lane before
 * anything asynchronous happens, S11).
 *
 * A full bucket is the same as no bucket, so `sweep` forgets those; past `maxKeys` the oldest
 * keys are forgotten too (which only ever forgives a client, never refuses one).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    readonly rate: Rate,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  private level(b: Bucket | undefined, t: number): number {
    if (!b) return this.rate.burst
    return Math.min(this.rate.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.rate.perSecond)
  }

  /** Takes one token from `key`'s bucket: 0 when allowed, else the seconds until one is back. */
  take(key: string): number {
    const t = this.now()
    const tokens = this.level(this.buckets.get(key), t)
    if (tokens >= 1) {
      this.set(key, { tokens: tokens - 1, at: t })
      return 0
    }
    return (1 - tokens) / this.rate.perSecond
  }

  private set(key: string, b: Bucket) {
    if (!this.buckets.has(key) && this.buckets.size >= this.maxKeys) {
      // Down to 90%, so a flood of new keys pays for one sweep per tenth of maxKeys, not each.
      this.sweep()
      for (const k of this.buckets.keys()) {
        if (this.buckets.size <= this.maxKeys * 0.9) break
        this.buckets.delete(k)
      }
    }
    this.buckets.set(key, b)
  }

  /** Forgets buckets that have refilled (equivalent to absent). */
  sweep(): void {
    const t = this.now()
    for (const [k, b] of this.buckets) if (this.level(b, t) >= this.rate.burst) this.buckets.delete(k)
  }

  get size(): number {
    return this.buckets.size
  }
}
