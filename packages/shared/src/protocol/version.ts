/**
 * The wire protocol version. Bump it whenever a message in `up.ts`, `down.ts`,
 * `frame.ts` or the HTTP contract changes shape; `version.test.ts` pins a hash of
 * the wire schemas so a change cannot slip in unversioned.
 *
 * History:
 * 1: first version (HTTP byte store, live socket with Auth/Subscribe/Push).
 */
export const PROTOCOL_VERSION = 1

/** Oldest client protocol this server still speaks; older clients get `ClientTooOld`. */
export const MIN_CLIENT_PROTOCOL_VERSION = 1
