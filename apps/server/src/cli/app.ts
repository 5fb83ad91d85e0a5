import { Command as Cli, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { CliError, type Command, type Flag, type RunContext } from "./Command.js"
import { makeProgress, silentProgress } from "./progress.js"

type FlagValues = Record<string, string | boolean | undefined>

const optionOf = (name: string, flag: Flag): Options.Options<string | boolean | undefined> => {
  if (flag.type === "boolean") return Options.boolean(name).pipe(Options.withDescription(flag.description))
  const text = Options.text(name).pipe(Options.withDescription(flag.description))
  return flag.required ? text : text.pipe(Options.optional, Options.map(Option.getOrUndefined))
}

const json = Options.boolean("json").pipe(Options.withDescription("print one JSON object (and no progress) on stdout"))

const helpOf = (c: Command) =>
  HelpDoc.blocks([HelpDoc.p(c.summary), HelpDoc.h2("EXAMPLE"), HelpDoc.p(`  ${c.example}`)])

/** What a command printed: its result as JSON (one line with --json) or text. */
const print = (out: unknown, asJson: boolean) =>
  Console.log(asJson || typeof out !== "string" ? JSON.stringify(out, null, asJson ? 0 : 2) : out)

/** One descriptor as an `@effect/cli` command: its flags, `--json`, `--help` with the example. */
const leaf = (c: Command, name: string) => {
  const options = Object.fromEntries(Object.entries(c.flags).map(([k, f]) => [k, optionOf(k, f)])) as Record<
    string,
    Options.Options<string | boolean | undefined>
  >
  return Cli.make(name, { ...options, json }, (values) => {
    const flags = values as FlagValues & { json: boolean }
    const context: RunContext = {
      json: flags.json,
      progress: (label, total, unit) => (flags.json ? silentProgress : makeProgress(label, total, unit)),
    }
    return Effect.flatMap(c.run(flags, context), (out) => print(out, flags.json))
  }).pipe(Cli.withDescription(helpOf(c)))
}

/**
 * The `vibestack` command tree, built from the command descriptors (`commands/`) and `serve`:
 * `vibestack <group> [<name>] [flags]`, `--help` at every level.
 */
export const cliApp = (commands: ReadonlyArray<Command>, serve: Effect.Effect<void, unknown>) => {
  const groups = new Map<string, Array<Command>>()
  for (const c of commands) groups.set(c.group, [...(groups.get(c.group) ?? []), c])
  const subcommands = [...groups].map(([group, cs]) => {
    if (cs.length === 1 && cs[0]!.name === undefined) return leaf(cs[0]!, group)
    const [first, ...rest] = cs.map((c) => leaf(c, c.name!))
    return Cli.make(group).pipe(
      Cli.withDescription(`${group} commands: ${cs.map((c) => c.name).join(", ")}`),
      Cli.withSubcommands([first!, ...rest]),
    )
  })
  const serveCommand = Cli.make("serve", {}, () => serve).pipe(
    Cli.withDescription(
      HelpDoc.blocks([
        HelpDoc.p("run the server: HTTP API, live socket, web app (settings from the environment: docs/OPERATIONS.md)"),
        HelpDoc.h2("EXAMPLE"),
        HelpDoc.p("  PORT=3000 DATABASE_URL=postgres://… vibestack serve"),
      ]),
    ),
  )
  const root = Cli.make("vibestack").pipe(
    Cli.withDescription("VibeStack server and admin CLI; `vibestack <command> --help` for a command's flags"),
    Cli.withSubcommands([serveCommand, ...subcommands]),
  )
  return Cli.run(root, { name: "vibestack", version: "0.1.0" })
}

/** How a run ended: 0 done, 1 the command failed (message printed), 2 the command line was wrong. */
export const exitCodeOf = (e: unknown): number => (ValidationError.isValidationError(e) ? 2 : 1)

export { CliError }
