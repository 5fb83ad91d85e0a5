import { SqlClient } from "@effect/sql"
import type { WorkspaceId } from "@vibestack/schema"
import { apiError } from "@vibestack/shared"
import { Clock, Effect } from "effect"
import { Tokens } from "../auth/Tokens.js"
import { Channel } from "../bus/Bus.js"
import { RESTORE_CLIENT } from "../revert/RevertService.js"
import type { BackupReader } from "./backupFileReader.js"

/**
 * A new workspace holding a (validated) backup's documents, all or nothing (S22): the
 * workspace, its master token and every document's first log entry commit in one transaction,
 * so a failure at any document leaves nothing registered. It takes the backup's id when `id`
 * is given and still free, else a new one. Each snapshot is read from the backup when written,
 * one at a time. A snapshot is a valid log entry (clients and the projection import it like an
 * update); it is our own checked bytes, so it skips the push path's update-only rule.
 */
export const materializeWorkspace = (backup: BackupReader, name: string, id: string | undefined) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const tokens = yield* Tokens
    const write = Effect.gen(function* () {
      const registered = yield* tokens.register({ id, name, creatorKey: undefined }).pipe(
        Effect.catchIf(
          (e) => "error" in e && e.error.kind === "Conflict" && id !== undefined,
          () => tokens.register({ id: undefined, name, creatorKey: undefined }),
        ),
      )
      const ws = registered.workspaceId as WorkspaceId
      for (const [i, d] of backup.meta.docs.entries()) {
        const bytes = yield* backup.snapshot(i)
        yield* sql`insert into docs (workspace_id, doc_id, last_seq) values (${ws}, ${d.docId}, 1)
          on conflict (workspace_id, doc_id) do update set last_seq = 1`
        yield* sql`insert into doc_updates (workspace_id, doc_id, seq, bytes, client_id, idempotency_key)
          values (${ws}, ${d.docId}, 1, ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)},
                  ${RESTORE_CLIENT}, ${`restore-${backup.meta.backupId}`})`
        // Delivered only if the transaction commits: live servers fan out, the projection follows.
        const signal = JSON.stringify({ ws, doc: d.docId, seq: 1, t: yield* Clock.currentTimeMillis })
        yield* sql`select pg_notify(${Channel.updates}, ${signal})`
      }
      return { workspaceId: ws, masterToken: registered.masterToken }
    })
    return yield* sql
      .withTransaction(write)
      .pipe(Effect.catchTag("SqlError", (e) => Effect.fail(apiError("Unavailable", `could not store: ${e.message}`))))
  })
