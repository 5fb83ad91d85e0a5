import { SqlClient } from "@effect/sql"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError } from "@vibestack/shared"
import { Effect } from "effect"
import { isLoroFailure, LoroPoolService } from "../pool/LoroPoolService.js"
import type { BlobMeta } from "../pool/ops/blobMetas.js"
import { DocumentCheck } from "../revert/DocumentCheck.js"
import { RevertService } from "../revert/RevertService.js"
import { assemblePieces, type PieceRow, piecesOf, updateBlobs } from "../store/storedBytes.js"

/** Blobs sent to a worker per call when decoding headers. */
const CHUNK_BYTES = 16 * 1024 * 1024
const SCRATCH = { ws: "~history-scratch", doc: "metas" } as const

/**
 * A document's version history, from the byte store's log: each stored update is one
 * version (its seq), with the time the server committed it, the Loro peers that wrote it
 * and its change count (read from the blob's header in the pool). A version's state is the
 * document at the union of everything up to that seq, read on a fork inside the pool.
 * Loro's per-change timestamps are not used: clients do not record them. A restore is proven
 * to leave the document healthy before it is pushed (S23).
 */
export class HistoryService extends Effect.Service<HistoryService>()("HistoryService", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const pool = yield* LoroPoolService
    const reverts = yield* RevertService
    const documents = yield* DocumentCheck

    const metasOf = (blobs: ReadonlyArray<Uint8Array>) =>
      Effect.gen(function* () {
        const out: Array<BlobMeta> = []
        let chunk: Array<Uint8Array> = []
        let size = 0
        const flush = Effect.suspend(() => {
          const send = chunk
          chunk = []
          size = 0
          return send.length === 0
            ? Effect.void
            : Effect.map(pool.run(SCRATCH.ws, SCRATCH.doc, "blobMetas", { blobs: send }), (m) => void out.push(...m))
        })
        for (const b of blobs) {
          if (size + b.length > CHUNK_BYTES) yield* flush
          chunk.push(b)
          size += b.length
        }
        yield* flush
        return out
      })

    const db = <A, E, R>(e: Effect.Effect<A, E, R>) =>
      Effect.mapError(e, () => apiError("Internal", "could not read the document's log"))

    const list = Effect.fn("HistoryService.list")(function* (
      ws: WorkspaceId,
      doc: DocId,
      options: { before?: number | undefined; limit?: number | undefined },
    ) {
      const limit = options.limit ?? 100
      const before = options.before ?? Number.MAX_SAFE_INTEGER
      // As base64 pieces (`storedBytes.ts`): a page of large updates read as hex blocks the event loop.
      const p = piecesOf(sql, "u")
      const rows = yield* db(sql<PieceRow & { createdAt: Date }>`
        select ${p.columns}, u.created_at from (
          select seq, created_at, bytes from doc_updates
          where workspace_id = ${ws} and doc_id = ${doc} and seq < ${before}
          order by seq desc limit ${limit + 1}
        ) u cross join lateral ${p.series}
        order by u.seq desc, piece_at`)
      const createdAt = new Map(rows.map((r) => [Number(r.seq), r.createdAt]))
      const blobs = assemblePieces(rows)
      const page = blobs.slice(0, limit)
      const metas = yield* metasOf(page.map((r) => r.bytes))
      return {
        docId: doc,
        versions: page.map((r, i) => ({
          version: r.seq,
          time: createdAt.get(r.seq)!.toISOString(),
          peers: metas[i]!.peers,
          changes: metas[i]!.changes,
        })),
        nextBefore: blobs.length > limit ? page.at(-1)!.seq : null,
      }
    })

    /** The document's version vector after the update with this seq (everything up to it). */
    const versionVectorAt = Effect.fn("HistoryService.versionVectorAt")(function* (
      ws: WorkspaceId,
      doc: DocId,
      version: number,
    ) {
      const rows = yield* db(updateBlobs(sql, ws, doc, 0, { upTo: version }))
      const last = yield* db(sql<{ seq: number }>`
        select seq from doc_updates where workspace_id = ${ws} and doc_id = ${doc} and seq = ${version}`)
      if (last.length === 0) return yield* Effect.fail(apiError("NotFound", `no version ${version} of ${doc}`))
      const vv: Record<string, number> = {}
      for (const m of yield* metasOf(rows.map((r) => r.bytes)))
        for (const [peer, counter] of Object.entries(m.end)) vv[peer] = Math.max(vv[peer] ?? 0, counter)
      return vv
    })

    const stateAt = Effect.fn("HistoryService.stateAt")(function* (ws: WorkspaceId, doc: DocId, version: number) {
      const versionVector = yield* versionVectorAt(ws, doc, version)
      // A document holding a poisoning entry fails here: say so (409, with the repair command), not 500.
      const r = yield* pool
        .run(ws, doc, "stateAt", { versionVector })
        .pipe(Effect.catchIf(isLoroFailure, (e) => documents.explainFailure(ws, doc, e)))
      return { docId: doc, version, state: r.json }
    })

    const restore = Effect.fn("HistoryService.restore")(function* (ws: WorkspaceId, doc: DocId, version: number) {
      const versionVector = yield* versionVectorAt(ws, doc, version)
      const seq = yield* reverts.revertDoc(ws, doc, { _tag: "Version", versionVector })
      return { docId: doc, seq }
    })

    return { list, stateAt, restore } as const
  }),
}) {}
