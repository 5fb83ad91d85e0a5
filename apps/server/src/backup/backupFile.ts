import { createHash } from "node:crypto"
import { DocId, WorkspaceId } from "@vibestack/schema"
import { decodeSafely } from "@vibestack/shared"
import { Either, ParseResult, Schema } from "effect"
import { MAX_DOCS_PER_WORKSPACE } from "../store/ByteStore.js"

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
 * own sha256 in the metadata. Every id in the metadata goes through the same schemas as the
 * HTTP routes (they become keys, paths and file names), and a file lists at most as many
 * documents as a workspace may hold. A file that passes is only *well-formed*: its snapshots
 * are still untrusted Loro bytes and are validated in the isolated pool before anything is
 * stored. Files on disk are read by `backupFileReader.ts` without loading them whole.
 */
export const MAGIC = new TextEncoder().encode("VSBACKUP")
export const FORMAT_VERSION = 1
export const HEADER = MAGIC.length + 2 + 4
export const CHECKSUM = 32
/** Metadata beyond this is not ours (a real one is a few hundred bytes per document). */
export const MAX_META = 1024 * 1024

const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())

/** Backup ids become primary keys and file names (`DIR/<workspace>/<id>.vsbackup`). */
export const BackupId = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/))

export const BackupDocMeta = Schema.Struct({
  docId: DocId,
  /** The byte-store seq the snapshot covers. */
  cursor: NonNegativeInt,
  /** Offset of the snapshot in the payload (after the metadata) and its length. */
  offset: NonNegativeInt,
  length: NonNegativeInt,
  sha256: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/)),
})
export type BackupDocMeta = typeof BackupDocMeta.Type

export const BackupMeta = Schema.Struct({
  format: Schema.Literal("vibestack-backup"),
  backupId: BackupId,
  workspaceId: WorkspaceId,
  workspaceName: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
  createdAt: Schema.String.pipe(Schema.filter((s) => !Number.isNaN(Date.parse(s)) || "expected an ISO date")),
  /** The main document's `meta.schemaVersion` (client document layout). */
  schemaVersion: Schema.Int,
  docs: Schema.Array(BackupDocMeta).pipe(Schema.maxItems(MAX_DOCS_PER_WORKSPACE)),
})
export type BackupMeta = typeof BackupMeta.Type

export interface BackupContents {
  readonly meta: BackupMeta
  readonly snapshots: ReadonlyArray<Uint8Array>
}

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

/**
 * `sha256Hex` on libuv's thread pool (Web Crypto's digest runs there), not the event loop:
 * creating a 100,000-task workspace's backup hashed ~72 MB (each snapshot, the file, its record)
 * on the main thread, 0.1-0.2 s during which every other workspace waited.
 */
export const sha256HexOffThread = async (bytes: Uint8Array): Promise<string> =>
  (await sha256OffThread(bytes)).toString("hex")

/** The SHA-256 digest of `bytes`, computed as `sha256HexOffThread` is. */
const sha256OffThread = async (bytes: Uint8Array): Promise<Buffer> =>
  Buffer.from(await crypto.subtle.digest("SHA-256", bytes))

export const encodeBackup = async (
  meta: Omit<BackupMeta, "docs" | "format">,
  docs: ReadonlyArray<{ readonly docId: DocId; readonly cursor: number; readonly snapshot: Uint8Array }>,
): Promise<{ readonly bytes: Uint8Array; readonly meta: BackupMeta }> => {
  const hashes = await Promise.all(docs.map((d) => sha256HexOffThread(d.snapshot)))
  let offset = 0
  const docMetas = docs.map((d, i) => {
    const m = { docId: d.docId, cursor: d.cursor, offset, length: d.snapshot.length, sha256: hashes[i]! }
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
  out.set(await sha256OffThread(out.subarray(0, at)), at)
  return { bytes: out, meta: full }
}

/** The fixed-size header of a file of `fileLength` bytes: the metadata's length, or why it is not a backup. */
export const readHeader = (head: Uint8Array, fileLength: number): Either.Either<number, string> => {
  if (fileLength < HEADER + CHECKSUM || head.length < HEADER)
    return Either.left("not a VibeStack backup file (too short)")
  if (!MAGIC.every((b, i) => head[i] === b)) return Either.left("not a VibeStack backup file (wrong magic bytes)")
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const version = view.getUint16(MAGIC.length)
  if (version !== FORMAT_VERSION)
    return Either.left(`unsupported backup format version ${version} (this server reads ${FORMAT_VERSION})`)
  return Either.right(view.getUint32(MAGIC.length + 2))
}

export const checksumMismatch = "backup file is damaged (checksum mismatch: truncated or modified)"

const decodeMetaJson = decodeSafely(Schema.parseJson(BackupMeta))

/** Decodes and checks the metadata against the payload that follows it (bounds, order, unique ids). */
export const readMeta = (json: Uint8Array, payloadLength: number): Either.Either<BackupMeta, string> => {
  const decoded = decodeMetaJson(new TextDecoder().decode(json))
  if (Either.isLeft(decoded)) return Either.left(`backup file metadata is invalid: ${describeIssue(decoded.left)}`)
  const meta = decoded.right
  let end = 0
  for (const d of meta.docs) {
    if (d.offset !== end || d.offset + d.length > payloadLength)
      return Either.left(`backup file is damaged (document ${d.docId} is out of bounds)`)
    end = d.offset + d.length
  }
  if (end !== payloadLength) return Either.left("backup file is damaged (trailing bytes)")
  if (new Set(meta.docs.map((d) => d.docId)).size !== meta.docs.length)
    return Either.left("backup file lists a document twice")
  return Either.right(meta)
}

/** The first issue, with its path, short enough for an error message (the values may be huge). */
const describeIssue = (error: unknown): string => {
  if (!ParseResult.isParseError(error)) return "unreadable"
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (first === undefined) return "unreadable"
  const where = first.path.length === 0 ? "" : `${first.path.join(".")}: `
  const message = first.message.length > 200 ? `${first.message.slice(0, 200)}…` : first.message
  return `${where}${message}`
}

/** Checks and splits a backup file held in memory; `Left` carries a message fit for the user. Never throws. */
export const decodeBackup = (bytes: Uint8Array): Either.Either<BackupContents, string> => {
  const parts = splitBackup(bytes)
  if (Either.isLeft(parts)) return Either.left(parts.left)
  const { body, checksum } = parts.right
  if (!createHash("sha256").update(body).digest().equals(checksum)) return Either.left(checksumMismatch)
  return checkedContents(parts.right, (snap) => sha256Hex(snap))
}

/**
 * `decodeBackup` with every hash computed on libuv's thread pool (`sha256HexOffThread`): a
 * stored backup of a 100,000-task workspace is ~72 MB of hashing (the file, each snapshot),
 * 0.1-0.2 s of the event loop when done in line.
 */
export const decodeBackupOffThread = async (bytes: Uint8Array): Promise<Either.Either<BackupContents, string>> => {
  const parts = splitBackup(bytes)
  if (Either.isLeft(parts)) return Either.left(parts.left)
  const { body, checksum } = parts.right
  if (!(await sha256OffThread(body)).equals(checksum)) return Either.left(checksumMismatch)
  const meta = metaOf(parts.right)
  const hashes = Either.isLeft(meta)
    ? []
    : await Promise.all(
        meta.right.docs.map((d) => sha256HexOffThread(parts.right.payload.subarray(d.offset, d.offset + d.length))),
      )
  return checkedContents(parts.right, (_, i) => hashes[i]!)
}

interface BackupParts {
  readonly body: Uint8Array
  readonly checksum: Uint8Array
  readonly metaLength: number
  readonly payload: Uint8Array
}

/** The file's parts, by its header alone (nothing hashed or parsed yet). */
const splitBackup = (bytes: Uint8Array): Either.Either<BackupParts, string> => {
  const metaLength = readHeader(bytes.subarray(0, HEADER), bytes.length)
  if (Either.isLeft(metaLength)) return Either.left(metaLength.left)
  const body = bytes.subarray(0, bytes.length - CHECKSUM)
  const checksum = bytes.subarray(bytes.length - CHECKSUM)
  return Either.right({
    body,
    checksum,
    metaLength: metaLength.right,
    payload: body.subarray(HEADER + metaLength.right),
  })
}

const metaOf = (parts: BackupParts): Either.Either<BackupMeta, string> => {
  const { body, metaLength, payload } = parts
  if (metaLength > MAX_META || HEADER + metaLength > body.length)
    return Either.left("backup file is damaged (metadata length)")
  return readMeta(body.subarray(HEADER, HEADER + metaLength), payload.length)
}

/** After the file's checksum matched: its metadata, and each snapshot against its sha256 (`hashOf` the i-th). */
const checkedContents = (
  parts: BackupParts,
  hashOf: (snapshot: Uint8Array, i: number) => string,
): Either.Either<BackupContents, string> => {
  const meta = metaOf(parts)
  if (Either.isLeft(meta)) return Either.left(meta.left)
  const snapshots: Array<Uint8Array> = []
  for (const [i, d] of meta.right.docs.entries()) {
    const snap = parts.payload.subarray(d.offset, d.offset + d.length)
    if (hashOf(snap, i) !== d.sha256) return Either.left(`backup file is damaged (document ${d.docId} checksum)`)
    snapshots.push(snap)
  }
  return Either.right({ meta: meta.right, snapshots })
}
