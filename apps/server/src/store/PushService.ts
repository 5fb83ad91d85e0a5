import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError } from "@vibestack/shared"
import { Effect } from "effect"
import { Metrics } from "../metrics/Metrics.js"
import { ByteStore, MAX_DOCS_PER_WORKSPACE, type PushInput } from "./ByteStore.js"
import { checkBlobHeader } from "./blobHeader.js"
import { DocPool } from "./DocPool.js"

/**
 * The push path shared by HTTP and the live socket: cheap pure-JS checks, then
 * validation in the isolated Loro pool, then the group commit. Only a blob that
 * imported cleanly is stored; only a committed one is acknowledged (and fanned out,
 * by the commit's NOTIFY).
 */
export class PushService extends Effect.Service<PushService>()("PushService", {
  effect: Effect.gen(function* () {
    const store = yield* ByteStore
    const pool = yield* DocPool
    const metrics = yield* Metrics

    const refuse = (reason: string, message: string) => {
      metrics.inc("vibestack_refused_blobs_total", { reason })
      return Effect.fail(apiError("InvalidUpdate", message))
    }

    const push = Effect.fn("PushService.push")(function* (input: PushInput) {
      const started = performance.now()
      const header = checkBlobHeader(input.bytes)
      if (!header.ok) return yield* refuse("header", `not a Loro update: ${header.reason}`)
      const cursor = yield* store.docCursor(input.ws, input.doc).pipe(Effect.orElseSucceed(() => undefined))
      if (cursor === undefined) {
        const count = yield* store.countDocs(input.ws).pipe(Effect.orElseSucceed(() => 0))
        if (count >= MAX_DOCS_PER_WORKSPACE)
          return yield* Effect.fail(
            apiError("BadRequest", `a workspace may hold at most ${MAX_DOCS_PER_WORKSPACE} documents`),
          )
      }
      yield* pool.validate(input.ws, input.doc, input.bytes).pipe(
        Effect.tapError((e) =>
          Effect.sync(() =>
            metrics.inc("vibestack_refused_blobs_total", {
              reason: e.error.kind === "Internal" ? "pool" : "invalid",
            }),
          ),
        ),
      )
      const outcome = yield* store.append(input).pipe(Effect.tapError(() => pool.discard(input.ws, input.doc)))
      yield* pool.committed(input.ws, input.doc, outcome.seq)
      metrics.inc("vibestack_pushes_total", { duplicate: String(outcome.duplicate) })
      metrics.inc("vibestack_push_bytes_total", undefined, input.bytes.length)
      metrics.observe("vibestack_push_seconds", (performance.now() - started) / 1000)
      return outcome
    })

    return { push } as const
  }),
}) {}

export type { DocId, WorkspaceId }
