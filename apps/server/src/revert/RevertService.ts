import { randomBytes } from "node:crypto"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError } from "@vibestack/shared"
import { Effect } from "effect"
import { isLoroFailure, LoroPoolService } from "../pool/LoroPoolService.js"
import type { RevertTarget } from "../pool/ops/revertDoc.js"
import { PushService } from "../store/PushService.js"
import { DocumentCheck } from "./DocumentCheck.js"

/** The client id a revert's (and a backup restore's) log entries carry. */
export const RESTORE_CLIENT = "vibestack:revert"

/** One document's revert: the ops to push, or null when the document is already there. */
export interface RevertPlan {
  readonly doc: DocId
  readonly update: Uint8Array | null
}

/**
 * Reverting a document to a past state (a backup's snapshot, a history version): new forward
 * operations pushed through `PushService` like any client edit, so they are validated, stored,
 * fanned out, projected and fed, and edits clients make meanwhile merge on top (nothing unsynced
 * is lost). Each revert is proven, before it is pushed, to leave the document healthy (S23).
 * Used by backups (whole-workspace revert) and history (restore one version).
 */
export class RevertService extends Effect.Service<RevertService>()("RevertService", {
  effect: Effect.gen(function* () {
    const pool = yield* LoroPoolService
    const pushes = yield* PushService
    const checks = yield* DocumentCheck

    /** The ops that bring one document to `target`, proven to leave it healthy; null when nothing changes. */
    const plan = (ws: WorkspaceId, doc: DocId, target: RevertTarget) =>
      Effect.gen(function* () {
        const r = yield* pool.run(ws, doc, "revertDoc", { target }).pipe(
          // Loro failing on the stored document: 409 with the repair command if it is damaged.
          Effect.catchIf(isLoroFailure, (e) =>
            checks.explainFailure(ws, doc, apiError("BadRequest", `cannot revert ${doc}: ${e.error.message}`)),
          ),
        )
        if (r.update !== null) yield* checks.withUpdate(ws, doc, r.update)
        return { doc, update: r.update } satisfies RevertPlan
      })

    /** Pushes a plan's ops; the seq they got, or null when there was nothing to push. */
    const apply = (ws: WorkspaceId, p: RevertPlan) =>
      p.update === null
        ? Effect.succeed(null)
        : Effect.map(
            pushes.push({
              ws,
              doc: p.doc,
              bytes: p.update,
              idempotencyKey: `revert-${randomBytes(12).toString("base64url")}`,
              clientId: RESTORE_CLIENT,
            }),
            (out) => out.seq,
          )

    /** Plans and pushes one document's revert; the seq, or null when nothing changed. */
    const revertDoc = (ws: WorkspaceId, doc: DocId, target: RevertTarget) =>
      Effect.flatMap(plan(ws, doc, target), (p) => apply(ws, p))

    return { plan, apply, revertDoc } as const
  }),
}) {}
