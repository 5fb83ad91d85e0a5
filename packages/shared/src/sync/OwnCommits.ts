/** How many recent commits are remembered, and how many bytes of them; older echoes are imported like any update. */
const REMEMBERED = 256
const REMEMBERED_BYTES = 4 * 1024 * 1024

/**
 * The latest commits a document made (or took in as its own, a tab's), remembered by their
 * bytes until the server sends them back. The server stores a pushed blob as it came and
 * every subscriber gets it, its pusher too: importing that echo into the document that made it
 * costs a Loro decode for nothing, and storing it puts the commit in the update log twice. An
 * update byte for byte equal to one of these is already in the document and in its log;
 * anything else, including the same changes encoded otherwise, is imported and stored.
 * Forget everything when the document is rebuilt (a reset after a refusal).
 */
export class OwnCommits {
  /** Oldest first; few enough that a scan (lengths compared first) finds an echo. */
  private readonly order: Array<Uint8Array> = []
  private bytes = 0

  add(bytes: Uint8Array): void {
    // A large paste is imported again when it comes back, rather than held until then.
    if (bytes.length > REMEMBERED_BYTES / 4) return
    this.order.push(bytes)
    this.bytes += bytes.length
    while (this.order.length > REMEMBERED || this.bytes > REMEMBERED_BYTES) this.bytes -= this.order.shift()!.length
  }

  /** Whether `bytes` is one of them; a match is forgotten (each echo comes once). */
  take(bytes: Uint8Array): boolean {
    const i = this.order.findIndex((b) => equalBytes(b, bytes))
    if (i < 0) return false
    this.bytes -= bytes.length
    this.order.splice(i, 1)
    return true
  }

  /** The updates of `blobs` that are not echoes of these commits, in order. */
  foreign(blobs: ReadonlyArray<Uint8Array>): Array<Uint8Array> {
    return this.order.length === 0 ? [...blobs] : blobs.filter((b) => !this.take(b))
  }

  clear(): void {
    this.order.length = 0
    this.bytes = 0
  }
}

/** Whether two byte arrays hold the same bytes. */
export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
