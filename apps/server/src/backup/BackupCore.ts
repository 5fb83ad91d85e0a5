import { Layer } from "effect"
import { HistoryService } from "../history/HistoryService.js"
import { DocumentCheck } from "../revert/DocumentCheck.js"
import { RevertService } from "../revert/RevertService.js"
import { BackupConfigTag } from "./BackupConfig.js"
import { BackupScheduler } from "./BackupScheduler.js"
import { BackupService } from "./BackupService.js"
import { BackupStore } from "./BackupStore.js"

/**
 * Backups, version history, reverts and the whole-document check as one layer for CoreLive (needs the
 * byte store, the pool, the push path and tokens). `scheduled: false` for the CLI, which must not run rounds.
 */
export const BackupCore = (options: { readonly scheduled: boolean }) => {
  const core = HistoryService.Default.pipe(
    Layer.provideMerge(BackupService.Default),
    Layer.provideMerge(RevertService.Default),
    Layer.provideMerge(DocumentCheck.Default),
    Layer.provideMerge(BackupStore.Default),
    Layer.provideMerge(BackupConfigTag.layer),
  )
  return options.scheduled ? Layer.provideMerge(BackupScheduler, core) : core
}
