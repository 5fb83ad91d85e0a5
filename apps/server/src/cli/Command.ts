import type { Effect } from "effect"

/**
 * One `vibestack` subcommand: `vibestack <group> <name> [--flag value]…`.
 * Flags arrive parsed by `node:util` parseArgs; `run` returns what to print
 * (JSON with --json, text otherwise) and fails with a message on bad input.
 */
export interface Command {
  readonly group: string
  readonly name?: string
  readonly summary: string
  readonly flags: Readonly<Record<string, { type: "string" | "boolean"; description: string; required?: boolean }>>
  readonly run: (
    flags: Readonly<Record<string, string | boolean | undefined>>,
  ) => Effect.Effect<unknown, CliError, never>
}

export class CliError extends Error {
  readonly _tag = "CliError"
}
