import { describe, expect, it } from "vitest"
import { parseWorkerCommand } from "./messages.js"

describe("commands to the sync worker", () => {
  it("a share link's early snapshot request is taken only with a workspace id and a token", () => {
    expect(parseWorkerCommand({ _tag: "PrefetchJoin", ws: "ws_1-A", token: "a.b.c" })).toEqual({
      _tag: "PrefetchJoin",
      ws: "ws_1-A",
      token: "a.b.c",
    })
    for (const bad of [
      { _tag: "PrefetchJoin", ws: "../other", token: "a.b.c" },
      { _tag: "PrefetchJoin", ws: "ws", token: "" },
      { _tag: "PrefetchJoin", ws: "ws", token: "x".repeat(9000) },
      { _tag: "PrefetchJoin", ws: "ws" },
    ])
      expect(parseWorkerCommand(bad)).toBeUndefined()
    expect(parseWorkerCommand({ _tag: "Stop" })).toEqual({ _tag: "Stop" })
  })
})
