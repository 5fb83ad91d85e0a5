import type { Effect } from "effect"
import type { ServerClient } from "./serverClient.js"

export { ServerCallError } from "./ServerCallError.js"
export type { ServerClient } from "./serverClient.js"

/**
 * One call to the same-origin server with the workspace token, as a promise for React
 * (`serverClient.ts`: encoded and decoded by the contract; a failure rejects with a
 * `ServerCallError`). The client is loaded on the first call, not with the page: Effect's HTTP
 * client and the whole contract's schemas were a third of the page's start-up evaluation,
 * before anything could show.
 */
export const callServer = async <A, E>(
  token: string,
  call: (client: ServerClient) => Effect.Effect<A, E>,
  options?: { readonly signal?: AbortSignal },
): Promise<A> => (await import("./serverClient.js")).callServerNow(token, call, options)
