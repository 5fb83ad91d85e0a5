import { existsSync, readdirSync, readFileSync } from "node:fs"
import { createProject, createTask, seededRandom } from "@vibestack/schema"
import { LoroDoc, type LoroMap } from "loro-crdt"
import { writeLoroChecksum } from "../../store/blobHeader.js"

/** The hostile-blob fixtures (see test/fixtures/loro-hostile/README.md). */
export const hostileFixturesDir = new URL("../../test/fixtures/loro-hostile/", import.meta.url)

export interface Fixture {
  readonly name: string
  readonly bytes: Uint8Array
}

/** Loads the fixtures, failing loudly when they are missing. */
export const loadHostileFixtures = (): { base: Uint8Array; hostile: ReadonlyArray<Fixture> } => {
  if (!existsSync(hostileFixturesDir)) throw new Error(`hostile Loro fixtures missing: ${hostileFixturesDir.pathname}`)
  const read = (name: string) => new Uint8Array(readFileSync(new URL(name, hostileFixturesDir)))
  const hostile = readdirSync(hostileFixturesDir)
    .filter((n) => /^(import-crash|snapshot-breaking)-.*\.bin$/.test(n))
    .sort()
    .map((name) => ({ name, bytes: read(name) }))
  if (hostile.length < 10) throw new Error(`expected the hostile fixtures in ${hostileFixturesDir.pathname}`)
  return { base: read("base-update.bin"), hostile }
}

/**
 * Issue 13 finding 2, exactly: `base-update.bin` with bytes 1010 and 1554 swapped and the
 * checksum recomputed. It imports and reads fine, and a snapshot of it exports, but that
 * snapshot's fresh load panics on a deep read ("Decode container id failed"): the update
 * holds a child map whose kind decodes as `Unknown(247)`. The old health check accepted it.
 */
export const poisoningMutant = (base: Uint8Array): Uint8Array => {
  const bytes = base.slice()
  ;[bytes[1010], bytes[1554]] = [base[1554]!, base[1010]!]
  return writeLoroChecksum(bytes)
}

/** A seeded PRNG (mulberry32) so fuzz runs are reproducible from their printed seed. */
export const prng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const NOW = Date.UTC(2025, 0, 1)

/**
 * A trusted client document in the workspace layout (packages/schema): project `p` and tasks
 * `e0`, `e1`, … written through the schema's helpers. Each `edit` returns the update blob a
 * client would push; its callback gets the `tasks` collection map.
 */
export class TestClient {
  readonly doc = new LoroDoc()
  private readonly random: () => number
  constructor(peer: bigint) {
    this.doc.setPeerId(peer)
    this.random = seededRandom(Number(peer % 1_000_000n))
  }

  edit(f: (tasks: LoroMap) => void): Uint8Array {
    const from = this.doc.oplogVersion()
    f(this.doc.getMap("tasks"))
    this.doc.commit()
    return this.doc.export({ mode: "update", from })
  }

  addEntities(from: number, count: number): Uint8Array {
    return this.edit(() => {
      if (this.doc.getMap("projects").get("p") === undefined)
        createProject(this.doc, { id: "p", name: "Tests", color: "#3b82f6" }, { now: NOW })
      for (let i = from; i < from + count; i++) {
        const position = { after: null, before: null }
        createTask(
          this.doc,
          { id: `e${i}`, projectId: "p", title: `task ${i}`, position },
          { now: NOW, random: this.random },
        )
      }
    })
  }
}
