import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError, type Conflict, type Internal, type Unavailable } from "@vibestack/shared"
import { Effect } from "effect"
import { isLoroFailure, LoroPoolService } from "../pool/LoroPoolService.js"
import type { DocumentVerdict, ValidateDocumentArgs } from "../pool/ops/validateDocument.js"
import { ByteStore } from "../store/ByteStore.js"
import { checkBlobHeader } from "../store/blobHeader.js"

/** Untrusted documents are checked under this key: never a real document (S23). */
const SCRATCH = { ws: "~document-check", doc: "scratch" } as const

/**
 * Whole-document validation for everything that stores a document other than the push path
 * (S23): backup import, upload and fork store a backup's snapshots, a revert (backup or history
 * restore) pushes new ops. Each must prove, in the isolated pool, that the document as it would
 * be stored loads from its snapshot and reads in full (`validateDocument`), before anything is
 * written. A panic in the pool is a refusal of those bytes, not an outage.
 */
export class DocumentCheck extends Effect.Service<DocumentCheck>()("DocumentCheck", {
  effect: Effect.gen(function* () {
    const pool = yield* LoroPoolService
    const store = yield* ByteStore

    // Loro failing on these bytes (an error, a panic) is a verdict on them, not an outage.
    const verdict = (args: ValidateDocumentArgs): Effect.Effect<DocumentVerdict, Unavailable> =>
      pool
        .run(SCRATCH.ws, SCRATCH.doc, "validateDocument", args)
        .pipe(Effect.catchIf(isLoroFailure, (e) => Effect.succeed({ ok: false as const, reason: reasonOf(e) })))

    /** A backup's document: a Loro snapshot (pure-JS header check) that passes on its own. */
    const backupSnapshot = Effect.fn("DocumentCheck.backupSnapshot")(function* (docId: DocId, snapshot: Uint8Array) {
      const header = checkBlobHeader(snapshot, Number.MAX_SAFE_INTEGER)
      if (!header.ok || header.mode !== "snapshot")
        return yield* Effect.fail(
          apiError(
            "InvalidUpdate",
            `backup document ${docId} is not a Loro snapshot${header.ok ? "" : ` (${header.reason})`}`,
          ),
        )
      const v = yield* verdict({ snapshot, updates: [] })
      if (!v.ok)
        return yield* Effect.fail(apiError("InvalidUpdate", `backup document ${docId} is damaged: ${v.reason}`))
    })

    /** The committed document's snapshot, or why it cannot even export one. */
    const committed = (ws: WorkspaceId, doc: DocId) =>
      Effect.gen(function* () {
        const head = yield* store.docCursor(ws, doc).pipe(Effect.orElseSucceed(() => undefined))
        return yield* pool.exportSnapshot(ws, doc, head).pipe(
          Effect.map((s) => ({ snapshot: s.bytes }) as const),
          Effect.catchIf(isLoroFailure, (e) => Effect.succeed({ broken: reasonOf(e) } as const)),
        )
      })

    const damaged = (ws: WorkspaceId, doc: DocId, reason: string): Conflict =>
      apiError(
        "Conflict",
        `document ${doc} is damaged (${reason}); nothing was changed. An operator can repair it: vibestack doc repair --workspace ${ws} --doc ${doc}`,
      )

    /** Why the stored document is unhealthy, or undefined when it passes. */
    const problemOf = Effect.fn("DocumentCheck.problemOf")(function* (ws: WorkspaceId, doc: DocId) {
      const c = yield* committed(ws, doc)
      if ("broken" in c) return c.broken
      const v = yield* verdict({ snapshot: c.snapshot, updates: [] })
      return v.ok ? undefined : v.reason
    })

    /**
     * The stored document plus `update` (a revert's new ops) passes. If not, says whether the
     * document was already damaged (409, with the repair command) or the update would break it (422).
     */
    const withUpdate = Effect.fn("DocumentCheck.withUpdate")(function* (
      ws: WorkspaceId,
      doc: DocId,
      update: Uint8Array,
    ) {
      const c = yield* committed(ws, doc)
      if ("broken" in c) return yield* Effect.fail(damaged(ws, doc, c.broken))
      const v = yield* verdict({ snapshot: c.snapshot, updates: [update] })
      if (v.ok) return
      const before = yield* verdict({ snapshot: c.snapshot, updates: [] })
      if (!before.ok) return yield* Effect.fail(damaged(ws, doc, before.reason))
      return yield* Effect.fail(
        apiError(
          "InvalidUpdate",
          `restoring would leave document ${doc} unreadable (${v.reason}); nothing was changed`,
        ),
      )
    })

    /** For a pool operation that failed on a document: 409 with the repair command if it is damaged, else `otherwise`. */
    const explainFailure = <E>(ws: WorkspaceId, doc: DocId, otherwise: E) =>
      Effect.flatMap(problemOf(ws, doc), (problem) =>
        Effect.fail(problem === undefined ? otherwise : damaged(ws, doc, problem)),
      )

    return { verdict, backupSnapshot, withUpdate, problemOf, explainFailure } as const
  }),
}) {}

const reasonOf = (e: Internal): string => e.error.message.replace(/^run validateDocument: /, "").slice(0, 300)
