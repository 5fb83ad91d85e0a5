/**
 * The wire protocol version. Bump it whenever a message in `up.ts`, `down.ts`,
 * `frame.ts` or the HTTP contract changes shape; `version.test.ts` pins a hash of
 * the wire schemas so a change cannot slip in unversioned.
 *
 * History:
 * 1: first version (HTTP byte store, live socket with Auth/Subscribe/Push).
 * 2: 429 `Overloaded` (with Retry-After) on pushes, registration, backup import and restores
 *    (rate limits and quotas, docs/SECURITY.md); version-1 clients already retry on it. The
 *    shape route joins the HTTP contract (`ShapeApi.ts`: `where`, `params`, `columns`).
 * 3: `/healthz` carries the readiness checks (`ready`, `uptimeSeconds`, `checks`) and never
 *    answers 503; `/readyz` joins the contract (docs/OPERATIONS.md). Sync messages unchanged.
 * 4: presence on the live socket (`Presence` up; `PresenceUpdate`, `PresenceGone` down; server
 *    rule S26). Only a socket that sent `Presence` gets presence frames: older clients see nothing new.
 */
export const PROTOCOL_VERSION = 4

/** Oldest client protocol this server still speaks; older clients get `ClientTooOld`. */
export const MIN_CLIENT_PROTOCOL_VERSION = 1
