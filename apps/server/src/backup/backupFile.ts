import { createHash } from "node:crypto"
import { Either, Schema } from "effect"

/**
 * The backup file: one self-checking container, read and written in pure JS (no Loro).
 *
 *   0..8    magic "VSBACKUP"
 *   8..10   format version, big-endian u16 (1)
 *   10..14  length M of the metadata JSON, big-endian u32
 *   14..    metadata JSON (UTF-8), then each document's Loro snapshot, back to back
 *   last 32 sha256 of every byte before it
 *
 * The trailing checksum covers the header and the metadata too, so a truncated or
 * bit-flipped file is refused before anything is parsed; each snapshot also carries its
 * own sha256 in the metadata. A file that passes is only *well-formed*: its snapshots are
 * still untrusted Loro bytes and are loaded in the isolated pool before anything is stored.
 */
export const MAGIC = new TextEncoder().encode("VSBACKUP")
export const FORMAT_VERSION = 1
const HEADER = MAGIC.length + 2 + 4
const CHECKSUM = 32
/** Metadata beyond this is not ours (a real one is a few hundred bytes per document). */
const MAX_META = 1024 * 1024

export const BackupDocMeta = Schema.Struct({
  docId: Schema.String,
  /** The byte-store seq the snapshot covers. */
  cursor: Schema.Int,
  /** Offset of the snapshot in the payload (after the metadata) and its length. */
  offset: Schema.Int,
  length: Schema.Int,
  sha256: Schema.String,
})
export type BackupDocMeta = typeof BackupDocMeta.Type

export const BackupMeta = Schema.Struct({
  format: Schema.Literal("vibestack-backup"),
  backupId: Schema.String,
  workspaceId: Schema.String,
  workspaceName: Schema.String,
  createdAt: Schema.String,
  /** The main document's `meta.schemaVersion` (client document layout). */
  schemaVersion: Schema.Int,
  docs: Schema.Array(BackupDocMeta),
})
export type BackupMeta = typeof BackupMeta.Type

export interface BackupContents {
  readonly meta: BackupMeta
  readonly snapshots: ReadonlyArray<Uint8Array>
}

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

export const encodeBackup = (
  meta: Omit<BackupMeta, "docs" | "format">,
  docs: ReadonlyArray<{ readonly docId: string; readonly cursor: number; readonly snapshot: Uint8Array }>,
): { readonly bytes: Uint8Array; readonly meta: BackupMeta } => {
  let offset = 0
  const docMetas = docs.map((d) => {
    const m = { docId: d.docId, cursor: d.cursor, offset, length: d.snapshot.length, sha256: sha256Hex(d.snapshot) }
    offset += d.snapshot.length
    return m
  })
  const full: BackupMeta = { format: "vibestack-backup", ...meta, docs: docMetas }
  const json = new TextEncoder().encode(JSON.stringify(full))
  const out = new Uint8Array(HEADER + json.length + offset + CHECKSUM)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  view.setUint16(MAGIC.length, FORMAT_VERSION)
  view.setUint32(MAGIC.length + 2, json.length)
  out.set(json, HEADER)
  let at = HEADER + json.length
  for (const d of docs) {
    out.set(d.snapshot, at)
    at += d.snapshot.length
  }
  out.set(createHash("sha256").update(out.subarray(0, at)).digest(), at)
  return { bytes: out, meta: full }
}

const decodeMeta = Schema.decodeUnknownEither(Schema.parseJson(BackupMeta))

/** Checks and splits a backup file; `Left` carries a message fit for the user. Never throws. */
export const decodeBackup = (bytes: Uint8Array): Either.Either<BackupContents, string> => {
  if (bytes.length < HEADER + CHECKSUM) return Either.left("not a VibeStack backup file (too short)")
  if (!MAGIC.every((b, i) => bytes[i] === b)) return Either.left("not a VibeStack backup file (wrong magic bytes)")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint16(MAGIC.length)
  if (version !== FORMAT_VERSION)
    return Either.left(`unsupported backup format version ${version} (this server reads ${FORMAT_VERSION})`)
  const body = bytes.subarray(0, bytes.length - CHECKSUM)
  const expected = bytes.subarray(bytes.length - CHECKSUM)
  const actual = createHash("sha256").update(body).digest()
  if (!actual.equals(expected)) return Either.left("backup file is damaged (checksum mismatch: truncated or modified)")
  const metaLength = view.getUint32(MAGIC.length + 2)
  if (metaLength > MAX_META || HEADER + metaLength > body.length)
    return Either.left("backup file is damaged (metadata length)")
  const meta = decodeMeta(new TextDecoder().decode(body.subarray(HEADER, HEADER + metaLength)))
  if (Either.isLeft(meta)) return Either.left("backup file metadata is invalid")
  const payload = body.subarray(HEADER + metaLength)
  const snapshots: Array<Uint8Array> = []
  let end = 0
  for (const d of meta.right.docs) {
    if (d.offset !== end || d.length < 0 || d.offset + d.length > payload.length)
      return Either.left(`backup file is damaged (document ${d.docId} is out of bounds)`)
    const snap = payload.subarray(d.offset, d.offset + d.length)
    if (sha256Hex(snap) !== d.sha256) return Either.left(`backup file is damaged (document ${d.docId} checksum)`)
    snapshots.push(snap)
    end = d.offset + d.length
  }
  if (end !== payload.length) return Either.left("backup file is damaged (trailing bytes)")
  if (new Set(meta.right.docs.map((d) => d.docId)).size !== meta.right.docs.length)
    return Either.left("backup file lists a document twice")
  return Either.right({ meta: meta.right, snapshots })
}
