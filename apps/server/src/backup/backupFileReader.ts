import { createHash } from "node:crypto"
import { type FileHandle, open } from "node:fs/promises"
import { apiError, type BadRequest, type Internal } from "@vibestack/shared"
import { Effect, Either, type Scope } from "effect"
import {
  type BackupContents,
  type BackupMeta,
  CHECKSUM,
  checksumMismatch,
  HEADER,
  MAX_META,
  readHeader,
  readMeta,
  sha256Hex,
} from "./backupFile.js"

/** A checked backup file: its metadata now, each document's snapshot when asked for. */
export interface BackupReader {
  readonly meta: BackupMeta
  /** Size and sha256 of the whole file (what `BackupInfo` records). */
  readonly size: number
  readonly sha256: string
  /** The i-th document's snapshot, checked against its sha256 again. */
  readonly snapshot: (i: number) => Effect.Effect<Uint8Array, BadRequest | Internal>
}

const CHUNK = 1024 * 1024

/** A reader over a file already in memory (a stored backup, a test's bytes) whose sha256 is `sha256`. */
export const readerOfContents = (file: Uint8Array, contents: BackupContents, sha256: string): BackupReader => ({
  meta: contents.meta,
  size: file.length,
  sha256,
  snapshot: (i) => Effect.succeed(contents.snapshots[i]!),
})

/**
 * Opens a backup file on disk without loading it: one pass in 1 MiB chunks checks the trailing
 * sha256 (and hashes the whole file), then only the metadata is read; snapshots are read one at
 * a time when asked for. So a large upload costs its size on disk, not in memory. The file stays
 * open until the scope closes.
 */
export const openBackupFile = (
  path: string,
  onProgress?: (done: number, total: number) => void,
): Effect.Effect<BackupReader, BadRequest | Internal, Scope.Scope> =>
  Effect.gen(function* () {
    const fh = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => open(path, "r"), catch: ioError(path) }),
      (f) => Effect.promise(() => f.close()),
    )
    const read = (position: number, length: number) =>
      Effect.tryPromise({ try: () => readAt(fh, position, length), catch: ioError(path) })
    const size = (yield* Effect.tryPromise({ try: () => fh.stat(), catch: ioError(path) })).size
    const refuse = (message: string) => Effect.fail(apiError("BadRequest", message))

    const metaLength = readHeader(yield* read(0, Math.min(HEADER, size)), size)
    if (Either.isLeft(metaLength)) return yield* refuse(metaLength.left)
    const hashes = yield* Effect.tryPromise({ try: () => hashFile(fh, size, onProgress), catch: ioError(path) })
    if (!hashes.body.equals(yield* read(size - CHECKSUM, CHECKSUM))) return yield* refuse(checksumMismatch)
    const bodyLength = size - CHECKSUM
    if (metaLength.right > MAX_META || HEADER + metaLength.right > bodyLength)
      return yield* refuse("backup file is damaged (metadata length)")
    const payloadAt = HEADER + metaLength.right
    const meta = readMeta(yield* read(HEADER, metaLength.right), bodyLength - payloadAt)
    if (Either.isLeft(meta)) return yield* refuse(meta.left)
    const docs = meta.right.docs
    return {
      meta: meta.right,
      size,
      sha256: hashes.file,
      snapshot: (i: number) =>
        Effect.flatMap(read(payloadAt + docs[i]!.offset, docs[i]!.length), (bytes) =>
          sha256Hex(bytes) === docs[i]!.sha256
            ? Effect.succeed(bytes)
            : Effect.fail(apiError("BadRequest", `backup file is damaged (document ${docs[i]!.docId} checksum)`)),
        ),
    } satisfies BackupReader
  })

const ioError = (path: string) => (e: unknown) => apiError("Internal", `could not read ${path}: ${String(e)}`)

const readAt = async (fh: FileHandle, position: number, length: number): Promise<Uint8Array> => {
  const out = new Uint8Array(length)
  let at = 0
  while (at < length) {
    const { bytesRead } = await fh.read(out, at, length - at, position + at)
    if (bytesRead === 0) throw new Error("the file is shorter than it was")
    at += bytesRead
  }
  return out
}

/** sha256 of everything before the trailing checksum, and of the whole file, in one pass. */
const hashFile = async (fh: FileHandle, size: number, onProgress?: (done: number, total: number) => void) => {
  const body = createHash("sha256")
  const file = createHash("sha256")
  const buf = new Uint8Array(Math.min(CHUNK, size))
  const bodyEnd = size - CHECKSUM
  for (let at = 0; at < size; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - at), at)
    if (bytesRead === 0) throw new Error("the file is shorter than it was")
    const chunk = buf.subarray(0, bytesRead)
    file.update(chunk)
    if (at < bodyEnd) body.update(chunk.subarray(0, Math.min(bytesRead, bodyEnd - at)))
    at += bytesRead
    onProgress?.(at, size)
  }
  return { body: body.digest(), file: file.digest("hex") }
}
