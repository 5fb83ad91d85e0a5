import { Schema } from "effect"

/**
 * Presence on the live socket (server rule S26): who is here and what they have open, as
 * Loro `EphemeralStore` updates the server relays as opaque bytes to the other presence
 * sockets of the same workspace, never stores, and forgets when the socket closes or its
 * token is revoked.
 */

/** Largest presence state one socket may send (encoded EphemeralStore update, bytes). */
export const PRESENCE_MAX_BYTES = 2048

/** Presence frames a socket may send per second on average; bursts up to `PRESENCE_BURST`. */
export const PRESENCE_RATE_PER_SECOND = 5
export const PRESENCE_BURST = 10

/** Base64 of at most `PRESENCE_MAX_BYTES` bytes. */
export const PresenceBytes = Schema.String.pipe(
  Schema.maxLength(Math.ceil(PRESENCE_MAX_BYTES / 3) * 4),
  Schema.pattern(/^[A-Za-z0-9+/]*={0,2}$/),
)
