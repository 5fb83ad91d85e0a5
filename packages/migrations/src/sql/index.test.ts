import { describe, expect, it } from "vitest"
import { sqlMigrations } from "./index.js"

describe("sql migrations", () => {
  it("are numbered 1..n with no gap or repeat", () => {
    expect(sqlMigrations.map((m) => m.id)).toEqual(sqlMigrations.map((_, i) => i + 1))
  })
})
