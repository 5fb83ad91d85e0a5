import { Config, Context, Effect, Layer, type Option } from "effect"

/** Backup settings, from the environment like the rest of the server's config. */
export interface BackupConfig {
  /** Seconds between scheduled rounds; 0 (the default) turns scheduled backups off. */
  readonly intervalSeconds: number
  /** Scheduled backups kept per workspace (manual and uploaded ones are never pruned). */
  readonly retention: number
  /** Store backup files in this folder instead of Postgres. */
  readonly dir: Option.Option<string>
  /** Largest backup file accepted by upload and import. */
  readonly maxFileBytes: number
}

export const backupConfig: Config.Config<BackupConfig> = Config.all({
  intervalSeconds: Config.integer("VIBESTACK_BACKUP_INTERVAL").pipe(Config.withDefault(0)),
  retention: Config.integer("VIBESTACK_BACKUP_RETENTION").pipe(Config.withDefault(7)),
  dir: Config.option(Config.string("VIBESTACK_BACKUP_DIR")),
  maxFileBytes: Config.integer("VIBESTACK_MAX_BACKUP_BYTES").pipe(Config.withDefault(512 * 1024 * 1024)),
})

export class BackupConfigTag extends Context.Tag("@vibestack/server/BackupConfig")<BackupConfigTag, BackupConfig>() {
  static readonly layer = Layer.effect(BackupConfigTag, backupConfig).pipe(Layer.orDie)
  static readonly layerWith = (overrides: Partial<BackupConfig>) =>
    Layer.effect(
      BackupConfigTag,
      Effect.map(backupConfig, (c) => ({ ...c, ...overrides })),
    ).pipe(Layer.orDie)
}
