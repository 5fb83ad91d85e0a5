import { type Transport, TransportError } from "@vibestack/shared"

/**
 * The worker's transport to the same-origin server.
 * TODO(client): switch to `HttpTransport` from @vibestack/shared once it lands; until then
 * every call fails as `Unavailable`, so the engine backs off and local-only use keeps working.
 */
export const makeTransport = (_baseUrl: string): Transport => {
  const down = (): Promise<never> => Promise.reject(new TransportError("Unavailable", "no transport yet"))
  return { register: down, info: down, push: down, pull: down, snapshot: down, connectLive: down }
}
