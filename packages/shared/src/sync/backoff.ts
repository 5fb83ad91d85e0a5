/** Exponential backoff with "equal jitter": half the window fixed, half random, capped. */
export interface BackoffOptions {
  readonly baseMs: number
  readonly maxMs: number
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 30_000 }

/** `random` is in [0, 1); injected so tests are deterministic. */
export const backoffDelay = (attempt: number, random: number, opts: BackoffOptions = defaultBackoff): number => {
  const window = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30))
  return Math.round(window / 2 + (window / 2) * random)
}

/**
 * A tiny seeded PRNG (mulberry32). The machine keeps its jitter seed in its state so the
 * transition stays a pure function; the seed comes from the engine's injected random source.
 */
export const nextRandom = (seed: number): { readonly value: number; readonly seed: number } => {
  const s = (seed + 0x6d2b79f5) | 0
  let t = s
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, seed: s }
}
