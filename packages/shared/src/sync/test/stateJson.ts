/**
 * A document's JSON with map keys sorted, for comparing states: the order of keys in `toJSON`
 * follows the order Loro registered containers in (import order, snapshot layout), which is not
 * part of the state.
 */
export const stateJson = (doc: { toJSON(): unknown }): string => JSON.stringify(sortKeys(doc.toJSON()))

const sortKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  )
}
