import { HEADER_LENGTH, writeLoroChecksum } from "../store/blobHeader.js"

/**
 * An empty Loro update: what `new LoroDoc().export({ mode: "update" })` writes, the bare
 * 22-byte header ("loro", zero padding, checksum, encode mode 4). It imports as a no-op, so
 * a quarantined log entry's bytes can be replaced by it and every seq and cursor stays valid.
 * Built in JS (no Loro on the main thread); emptyUpdate.test.ts pins it against Loro.
 */
export const EMPTY_UPDATE: Uint8Array = (() => {
  const bytes = new Uint8Array(HEADER_LENGTH)
  bytes.set([0x6c, 0x6f, 0x72, 0x6f], 0)
  bytes[21] = 4
  return writeLoroChecksum(bytes)
})()
