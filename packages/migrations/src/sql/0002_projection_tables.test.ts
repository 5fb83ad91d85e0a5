import { projectionTables } from "@vibestack/schema"
import { describe, expect, it } from "vitest"
import m0002 from "./0002_projection_tables.js"

/** `create table NAME (...)` blocks of a migration: column name → normalised type and nullability. */
const tablesOf = (sql: string) => {
  const out = new Map<string, Array<string>>()
  for (const [, name, body] of sql.matchAll(/create table (\w+) \(\n([\s\S]*?)\n\);/g)) {
    const columns = body!
      .split("\n")
      .map((l) => l.trim().replace(/,$/, ""))
      .filter((l) => l !== "" && !l.startsWith("--") && !l.startsWith("primary key"))
      .map((l) => l.replace(/\s+/g, " "))
    out.set(name!, columns)
  }
  return out
}

const indexesOf = (sql: string) =>
  [...sql.matchAll(/create index (\w+) on (\w+) \(([^)]*)\)/g)].map(([, n, t, c]) => `${t}:${n}(${c})`).sort()

describe("0002 projection tables", () => {
  const tables = tablesOf(m0002.sql)

  it("match the table definitions in @vibestack/schema column for column", () => {
    for (const def of Object.values(projectionTables)) {
      const expected = def.columns.map((c) => `${c.name} ${c.type}${c.nullable ? "" : " not null"}`)
      expect(tables.get(def.name), def.name).toEqual(expected)
      expect(m0002.sql).toContain(`create table ${def.name} (`)
      expect(m0002.sql).toMatch(
        new RegExp(`create table ${def.name} \\([\\s\\S]*?primary key \\(${def.primaryKey.join(", ")}\\)`),
      )
    }
  })

  it("create the definitions' indexes and the projection bookkeeping tables", () => {
    const expected = Object.values(projectionTables)
      .flatMap((d) => d.indexes.map((i) => `${d.name}:${i.name}(${i.columns.join(", ")})`))
      .sort()
    expect(indexesOf(m0002.sql)).toEqual(expected)
    expect([...tables.keys()].sort()).toEqual(
      ["comments", "members", "projection_quarantine", "projection_state", "projects", "tasks"].sort(),
    )
    expect(tables.get("projection_state")).toContain("projected_seq bigint not null default 0")
  })
})
