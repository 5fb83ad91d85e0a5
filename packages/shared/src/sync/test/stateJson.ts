/**
 * A document's JSON with map keys sorted, for comparing states: the order of keys in `toJSON`
 * follows the order Loro registered containers in (import order, snapshot layout), which is not
 * part of the state. Nor are empty root containers: a root exists once anything reads it, and a
 * snapshot of a copy that read one (the projection's, S27) holds it empty.
 */
export const stateJson = (doc: { toJSON(): unknown }): string =>
  JSON.stringify(withoutEmptyRoots(sortKeys(doc.toJSON())))

const isEmpty = (v: unknown): boolean =>
  v === "" || (Array.isArray(v) ? v.length === 0 : typeof v === "object" && v !== null && Object.keys(v).length === 0)

const withoutEmptyRoots = (v: unknown): unknown =>
  v === null || typeof v !== "object" || Array.isArray(v)
    ? v
    : Object.fromEntries(Object.entries(v).filter(([, root]) => !isEmpty(root)))

const sortKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  )
}
