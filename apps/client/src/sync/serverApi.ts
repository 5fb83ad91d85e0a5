import { Either, Schema } from "effect"

/**
 * JSON calls to the same-origin server from a tab (share links, backups), with the workspace
 * token. Answers are decoded here: the UI only ever sees values that passed their schema.
 */
export const serverApi = async <A, I>(
  schema: Schema.Schema<A, I>,
  token: string,
  path: string,
  init?: RequestInit,
): Promise<A | undefined> => {
  const res = await fetch(path, {
    ...init,
    headers: { ...init?.headers, Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  })
  if (!res.ok) throw new Error(`${res.status}: ${(await res.text()).slice(0, 200)}`)
  if (res.status === 204) return undefined
  const r = Schema.decodeUnknownEither(schema)(await res.json())
  if (Either.isLeft(r)) throw new Error("unexpected answer from the server")
  return r.right
}
