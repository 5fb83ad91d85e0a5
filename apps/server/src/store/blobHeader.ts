/**
 * The push path's cheap first filter for Loro blobs: pure JS, never touches Loro.
 *
 * Loro 1.17 export layout (checked against real exports, see blobHeader.test.ts):
 *   0..4   magic "loro"
 *   4..16  zero padding (the old MD5 checksum slot; the fast formats leave it zero)
 *   16..20 xxHash32 of bytes 20.., seed 0x4F524F4C ("LORO"), little-endian
 *   20..22 encode mode, big-endian u16: 3 = FastSnapshot (snapshot, shallow snapshot),
 *          4 = FastUpdates (update, updates-in-range); 0..2 are pre-1.0 formats
 *   22..   body
 * An empty document's update export is exactly the 22-byte header.
 *
 * Passing here proves only that the bytes are what a Loro export looks like and were not
 * corrupted by accident; a crafted blob with a recomputed checksum still needs the
 * isolated validation pool (apps/server/src/pool).
 */

export const HEADER_LENGTH = 22
export const CHECKSUM_SEED = 0x4f524f4c
/** Default upper bound for one pushed blob; the HTTP layer may pass its own. */
export const DEFAULT_MAX_BLOB_BYTES = 8 * 1024 * 1024

export type BlobMode = "update" | "snapshot"

export type BlobHeaderResult =
  | { readonly ok: true; readonly mode: BlobMode }
  | { readonly ok: false; readonly reason: string }

const MAGIC = [0x6c, 0x6f, 0x72, 0x6f] as const

const P1 = 0x9e3779b1
const P2 = 0x85ebca77
const P3 = 0xc2b2ae3d
const P4 = 0x27d4eb2f
const P5 = 0x165667b1

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r))
const u32le = (b: Uint8Array, i: number): number =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
const round = (acc: number, lane: number): number => Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1)

/** xxHash32 (the reference algorithm) of `bytes[start..end)`, as an unsigned 32-bit number. */
export const xxHash32 = (bytes: Uint8Array, seed = 0, start = 0, end = bytes.length): number => {
  const len = end - start
  let i = start
  let h: number
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0
    let v2 = (seed + P2) | 0
    let v3 = seed | 0
    let v4 = (seed - P1) | 0
    const limit = end - 16
    while (i <= limit) {
      v1 = round(v1, u32le(bytes, i))
      v2 = round(v2, u32le(bytes, i + 4))
      v3 = round(v3, u32le(bytes, i + 8))
      v4 = round(v4, u32le(bytes, i + 12))
      i += 16
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else {
    h = (seed + P5) | 0
  }
  h = (h + len) | 0
  while (i + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(u32le(bytes, i), P3)) | 0, 17), P4)
    i += 4
  }
  while (i < end) {
    h = Math.imul(rotl((h + Math.imul(bytes[i]!, P5)) | 0, 11), P1)
    i++
  }
  h ^= h >>> 15
  h = Math.imul(h, P2)
  h ^= h >>> 13
  h = Math.imul(h, P3)
  h ^= h >>> 16
  return h >>> 0
}

/** The checksum Loro stores at bytes 16..20 for this blob's body. */
export const loroChecksum = (bytes: Uint8Array): number => xxHash32(bytes, CHECKSUM_SEED, 20)

/** Rewrites bytes 16..20 with the right checksum (tests use it to forge hostile blobs). */
export const writeLoroChecksum = (bytes: Uint8Array): Uint8Array => {
  const sum = loroChecksum(bytes)
  bytes[16] = sum & 0xff
  bytes[17] = (sum >>> 8) & 0xff
  bytes[18] = (sum >>> 16) & 0xff
  bytes[19] = (sum >>> 24) & 0xff
  return bytes
}

const refuse = (reason: string): BlobHeaderResult => ({ ok: false, reason })

/** Checks size, magic bytes, padding, checksum and encode mode; never touches Loro. */
export const checkBlobHeader = (bytes: Uint8Array, maxBytes = DEFAULT_MAX_BLOB_BYTES): BlobHeaderResult => {
  if (bytes.length === 0) return refuse("empty body")
  if (bytes.length > maxBytes) return refuse(`blob of ${bytes.length} bytes is over the ${maxBytes}-byte limit`)
  if (bytes.length < HEADER_LENGTH) return refuse(`blob of ${bytes.length} bytes is shorter than a Loro header`)
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) return refuse("not a Loro blob (bad magic bytes)")
  for (let i = 4; i < 16; i++) if (bytes[i] !== 0) return refuse("unsupported Loro header (non-zero padding)")
  if (u32le(bytes, 16) !== loroChecksum(bytes)) return refuse("checksum mismatch (corrupted or truncated blob)")
  const mode = (bytes[20]! << 8) | bytes[21]!
  if (mode === 4) return { ok: true, mode: "update" }
  if (mode === 3) return { ok: true, mode: "snapshot" }
  if (mode <= 2) return refuse(`unsupported legacy Loro encode mode ${mode}`)
  return refuse(`unknown Loro encode mode ${mode}`)
}

/**
 * The push path's rule: clients push updates (`export({mode: "update"})`), never snapshots.
 * A snapshot holds the whole history and state, so accepting one would let a client
 * smuggle a full document (and the snapshot decoder's larger attack surface) through a push.
 */
export const checkPushBlob = (bytes: Uint8Array, maxBytes = DEFAULT_MAX_BLOB_BYTES): BlobHeaderResult => {
  const header = checkBlobHeader(bytes, maxBytes)
  if (header.ok && header.mode !== "update") return refuse(`a push must be a Loro update, not a ${header.mode}`)
  return header
}
