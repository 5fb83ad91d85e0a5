/** Knobs every write helper takes; tests and the seed generator pass fixed ones. */
export interface WriteOptions {
  /** Timestamp for createdAt/updatedAt, epoch ms. Default `Date.now()`. */
  readonly now?: number
  /** Source of randomness in [0, 1) for sort-key tails. Default `Math.random`. */
  readonly random?: () => number
}

export const nowOf = (o: WriteOptions | undefined): number => o?.now ?? Date.now()
