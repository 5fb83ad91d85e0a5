import { parseArgs } from "node:util"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { ServerConfig } from "./Config.js"
import { CliError, type Command } from "./cli/Command.js"
import { commands } from "./cli/commands/index.js"
import { NodeServer } from "./http/NodeServer.js"
import { ServerLive } from "./Server.js"

const usage = (): string =>
  [
    "usage: vibestack <command> [flags] [--json]",
    "",
    "  serve                     run the server (PORT, DATABASE_URL, … from the environment)",
    ...commands.map((c) => `  ${`${c.group} ${c.name ?? ""}`.padEnd(26)}${c.summary}`),
  ].join("\n")

const [group, maybeName, ...rest] = process.argv.slice(2)

if (group === "serve") {
  Layer.launch(
    Layer.unwrapEffect(
      Effect.map(ServerConfig, (config) => ServerLive(config, new NodeServer(), { processGuard: true })),
    ),
  ).pipe(NodeRuntime.runMain)
} else {
  const command = commands.find((c) => c.group === group && (c.name === undefined || c.name === maybeName))
  if (!command || group === undefined || group === "help" || group === "--help") {
    console.log(usage())
    process.exit(command || group === "help" || group === "--help" ? 0 : 2)
  }
  const argv = command.name === undefined ? [maybeName, ...rest].filter((a): a is string => a !== undefined) : rest
  run(command, argv)
}

function run(command: Command, argv: Array<string>) {
  let flags: Record<string, string | boolean | undefined>
  try {
    flags = parseArgs({
      args: argv,
      options: {
        json: { type: "boolean" },
        ...Object.fromEntries(Object.entries(command.flags).map(([k, v]) => [k, { type: v.type }])),
      },
      strict: true,
    }).values as Record<string, string | boolean | undefined>
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage()}`)
    process.exit(2)
  }
  const program = command.run(flags).pipe(
    Effect.flatMap((out) =>
      Console.log(flags.json || typeof out !== "string" ? JSON.stringify(out, null, flags.json ? 0 : 2) : out),
    ),
    Effect.catchAll((e: CliError) =>
      Effect.sync(() => {
        console.error(`vibestack: ${e.message}`)
        process.exitCode = 1
      }),
    ),
  )
  Effect.runPromise(program).then(
    () => process.exit(),
    (e) => {
      console.error(e)
      process.exit(1)
    },
  )
}

export { CliError }
