import { CliConfig } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { describe, expect, it } from "vitest"
import { cliApp, exitCodeOf } from "./app.js"
import { commands } from "./commands/index.js"
import { progressLine } from "./progress.js"

/** Runs the real command tree in-process, capturing what it prints. */
const run = async (...args: Array<string>) => {
  const out: Array<string> = []
  const capture = Effect.flatMap(Effect.console, (c) =>
    Effect.succeed({
      ...c,
      log: (...a: ReadonlyArray<unknown>) => Effect.sync(() => void out.push(a.map(String).join(" "))),
      error: (...a: ReadonlyArray<unknown>) => Effect.sync(() => void out.push(a.map(String).join(" "))),
    }),
  )
  const program = Effect.flatMap(capture, (console) =>
    cliApp(
      commands,
      Effect.void,
    )(["node", "vibestack", ...args]).pipe(
      Effect.provide(Layer.merge(NodeContext.layer, CliConfig.layer({ showBuiltIns: false }))),
      Effect.withConsole(console),
    ),
  )
  const exit = await Effect.runPromiseExit(program)
  const text = out.join("\n").replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "")
  const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
  return { text, code: Exit.isSuccess(exit) ? 0 : Option.isSome(failure) ? exitCodeOf(failure.value) : 1 }
}

describe("vibestack CLI", () => {
  it("[O6] `--help` on every command shows its summary, every flag and an example", async () => {
    for (const c of commands) {
      const path = c.name === undefined ? [c.group] : [c.group, c.name]
      const { text, code } = await run(...path, "--help")
      expect(code, path.join(" ")).toBe(0)
      expect(text, path.join(" ")).toContain(c.summary)
      expect(text).toContain("EXAMPLE")
      expect(c.example.startsWith(`vibestack ${path.join(" ")}`), `${path.join(" ")} example`).toBe(true)
      expect(text).toContain(c.example)
      for (const flag of [...Object.keys(c.flags), "json"])
        expect(text, `${path.join(" ")} --${flag}`).toContain(`--${flag}`)
    }
    const top = await run("--help")
    for (const c of commands) expect(top.text).toContain(c.group)
    expect(top.text).toContain("serve")
  })

  it("[O6] a wrong flag is refused with a suggestion, never run", async () => {
    const { text, code } = await run("workspace", "seed", "--task", "5")
    expect(code).toBe(2)
    expect(text).toMatch(/--task.*not recognized.*--tasks/s)
  })

  it("[O6] every command that talks to a server takes --url", () => {
    const http = commands.filter((c) => ["workspace seed", "feed tail"].includes(`${c.group} ${c.name}`))
    expect(http).toHaveLength(2)
    for (const c of http) expect(c.flags.url?.description).toContain("VIBESTACK_URL")
  })

  it("[O6] a progress line shows the count, the rate and the time left, then the total time", () => {
    expect(progressLine("seeding", 25_000, 100_000, "tasks", 5)).toBe(
      "seeding  25,000/100,000 tasks  5,000 tasks/s  ETA 15 s",
    )
    expect(progressLine("seeding", 100_000, 100_000, "tasks", 20)).toContain("in 20 s")
    expect(progressLine("backing up W", 0, 0, "", 95)).toBe("backing up W  1 min 35 s")
  })
})
