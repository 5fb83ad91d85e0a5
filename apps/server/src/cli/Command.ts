import type { Effect } from "effect"
import type { Progress } from "./progress.js"

export interface Flag {
  readonly type: "string" | "boolean"
  readonly description: string
  readonly required?: boolean
}

/** What every command may use besides its flags. */
export interface RunContext {
  /** `--json`: print one JSON object, nothing else (no progress). */
  readonly json: boolean
  /** A progress line on stderr (count, rate, ETA) when stderr is a terminal and `--json` is off. */
  readonly progress: (label: string, total: number, unit?: string) => Progress
}

/**
 * One `vibestack` subcommand: `vibestack <group> <name> [--flag value]…`, declared as data;
 * `cli/app.ts` turns every one into an `@effect/cli` command (parsing, `--help` with the flags
 * and the example, typo suggestions). `run` returns what to print (JSON with --json, text
 * otherwise) and fails with a `CliError` naming what went wrong.
 */
export interface Command {
  readonly group: string
  readonly name?: string
  readonly summary: string
  /** A complete invocation, shown under EXAMPLE in `--help`. */
  readonly example: string
  readonly flags: Readonly<Record<string, Flag>>
  readonly run: (
    flags: Readonly<Record<string, string | boolean | undefined>>,
    context: RunContext,
  ) => Effect.Effect<unknown, CliError, never>
}

export class CliError extends Error {
  readonly _tag = "CliError"
}
