import { Duration, Effect, Layer, Schedule } from "effect"
import { BackupConfigTag } from "./BackupConfig.js"
import { BackupService } from "./BackupService.js"
import { BackupStore } from "./BackupStore.js"

/**
 * Scheduled backups: every `VIBESTACK_BACKUP_INTERVAL` seconds (0 = off), back up each
 * workspace whose documents moved since its newest backup, then keep only the newest
 * `VIBESTACK_BACKUP_RETENTION` scheduled backups of it. A failing workspace is logged and
 * skipped; the round goes on. With several server nodes each runs its own rounds; the
 * "changed since" check makes a second node's round mostly a no-op, though two nodes can
 * occasionally both back up the same change.
 */
export const backupRound = Effect.gen(function* () {
  const service = yield* BackupService
  const store = yield* BackupStore
  const config = yield* BackupConfigTag
  const changed = yield* store.changedSinceLastBackup
  let made = 0
  for (const { workspaceId } of changed) {
    const ok = yield* service.create(workspaceId, "scheduled").pipe(
      Effect.zipRight(store.prune(workspaceId, config.retention)),
      Effect.as(true),
      Effect.catchAllCause((cause) =>
        Effect.as(Effect.logWarning(`scheduled backup of ${workspaceId} failed`, cause), false),
      ),
    )
    if (ok) made++
  }
  return { workspaces: changed.length, backedUp: made }
}).pipe(Effect.withSpan("BackupScheduler.round"))

export const BackupScheduler = Layer.scopedDiscard(
  Effect.gen(function* () {
    const config = yield* BackupConfigTag
    if (config.intervalSeconds <= 0) return
    yield* backupRound.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("backup round failed", cause)),
      Effect.repeat(Schedule.spaced(Duration.seconds(config.intervalSeconds))),
      Effect.delay(Duration.seconds(config.intervalSeconds)),
      Effect.forkScoped,
    )
  }),
)
