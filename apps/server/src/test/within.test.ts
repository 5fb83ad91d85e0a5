import { describe, expect, it } from "vitest"
import { within } from "./within.js"

describe("within (teardown bound)", () => {
  it("passes a promise that settles in time through", async () => {
    expect(await within("quick", Promise.resolve(7), 1_000)).toBe(7)
  })

  it("rejects a step that hangs, naming it and what the process still waits on", async () => {
    const hang = new Promise<never>(() => {})
    await expect(within("the stuck step", hang, 20)).rejects.toThrow(
      /the stuck step did not finish within 0.02 s; still active: \[/,
    )
  })
})
