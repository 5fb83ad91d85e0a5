import { existsSync, readdirSync, readFileSync } from "node:fs"
import { LoroDoc, LoroMap } from "loro-crdt"

/** The shared hostile-blob fixtures (see /work/shared/fixtures/loro-hostile/README.md). */
export const hostileFixturesDir = new URL("../../../../../shared/fixtures/loro-hostile/", import.meta.url)

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

/**
 * A trusted client document: entities are child maps of the root map "entities".
 * Each `edit` returns the update blob a client would push.
 */
export class TestClient {
  readonly doc = new LoroDoc()
  constructor(peer: bigint) {
    this.doc.setPeerId(peer)
  }

  edit(f: (entities: LoroMap) => void): Uint8Array {
    const from = this.doc.oplogVersion()
    f(this.doc.getMap("entities"))
    this.doc.commit()
    return this.doc.export({ mode: "update", from })
  }

  addEntities(from: number, count: number): Uint8Array {
    return this.edit((entities) => {
      for (let i = from; i < from + count; i++) {
        const m = entities.setContainer(`e${i}`, new LoroMap())
        m.set("title", `task ${i}`)
        m.set("done", false)
        m.set("n", i)
      }
    })
  }
}
