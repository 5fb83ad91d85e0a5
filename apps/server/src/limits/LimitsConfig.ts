import { Config } from "effect"
import type { Rate } from "./TokenBuckets.js"

/**
 * Rate limits and quotas (docs/SECURITY.md). Defaults are far above what real use does;
 * a rate of 0 (or a quota of 0) turns that limit off.
 */
export interface LimitsConfig {
  /** `POST /api/v1/workspaces` per client address. */
  readonly workspaceCreates: Rate
  /** `POST /api/v1/backups/import` per client address. */
  readonly backupImports: Rate
  /** Pushes (HTTP and live socket) per workspace. */
  readonly pushes: Rate
  /** Update bytes stored per workspace (the log, not snapshots or backups). */
  readonly workspaceMaxBytes: number
  readonly workspaceMaxDocs: number
}

export const defaultLimits: LimitsConfig = {
  workspaceCreates: { perSecond: 30 / 60, burst: 10 },
  backupImports: { perSecond: 6 / 60, burst: 3 },
  pushes: { perSecond: 200, burst: 1000 },
  workspaceMaxBytes: 1024 ** 3,
  workspaceMaxDocs: 1000,
}

const nonNegative = (name: string, fallback: number) =>
  Config.number(name).pipe(
    Config.validate({ message: `${name} must be a number ≥ 0`, validation: (n) => n >= 0 }),
    Config.withDefault(fallback),
  )

const rate = (prefix: string, per: "MINUTE" | "SECOND", fallback: Rate) =>
  Config.all({
    perSecond: nonNegative(
      `${prefix}_PER_${per}`,
      per === "MINUTE" ? fallback.perSecond * 60 : fallback.perSecond,
    ).pipe(Config.map((n) => (per === "MINUTE" ? n / 60 : n))),
    burst: nonNegative(`${prefix}_BURST`, fallback.burst),
  })

export const LimitsConfig: Config.Config<LimitsConfig> = Config.all({
  workspaceCreates: rate("VIBESTACK_WORKSPACE_CREATES", "MINUTE", defaultLimits.workspaceCreates),
  backupImports: rate("VIBESTACK_BACKUP_IMPORTS", "MINUTE", defaultLimits.backupImports),
  pushes: rate("VIBESTACK_PUSHES", "SECOND", defaultLimits.pushes),
  workspaceMaxBytes: nonNegative("VIBESTACK_WORKSPACE_MAX_BYTES", defaultLimits.workspaceMaxBytes),
  workspaceMaxDocs: nonNegative("VIBESTACK_WORKSPACE_MAX_DOCS", defaultLimits.workspaceMaxDocs),
})

/** A rate that turns its limit off (tests that create many workspaces from one address). */
export const unlimited: Rate = { perSecond: 0, burst: 0 }
