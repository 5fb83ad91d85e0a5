import { taskDescription } from "@vibestack/schema"
import { type JsonChange, LoroDoc, type VersionVector } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { randomEdit, seededRandom } from "../../projection/test/workload.js"
import { workspaceUpdates } from "../test/workspaceUpdates.js"
import { changeMetadataProblem } from "./changeMetadata.js"
import { lamportOf } from "./validateBatch.js"

/** The metadata verdict on what `server` imported past `from`. */
const verdict = (server: LoroDoc, from: VersionVector, edit?: (changes: Array<JsonChange>) => void) => {
  const json = server.exportJsonUpdates(from, server.oplogVersion(), false)
  edit?.(json.changes)
  return changeMetadataProblem(json.changes, {
    from: from.toJSON() as Map<string, number>,
    to: server.oplogVersion().toJSON() as Map<string, number>,
    lamportOf: lamportOf(server),
  })
}

const opId = (s: string) => s as JsonChange["id"]
/** The next op id of the same peer. */
const bump = (id: string) => opId(id.replace(/^\d+/, (n) => String(Number(n) + 1)))

const peer = (n: number) => {
  const doc = new LoroDoc()
  doc.setPeerId(BigInt(n))
  return doc
}

describe("changeMetadataProblem", () => {
  it("passes honest pushes: several devices, syncs, text typing, overlapping re-sends", () => {
    for (const seed of [1, 2, 3, 4]) {
      const random = seededRandom(seed)
      const devices = [peer(seed * 10 + 1), peer(seed * 10 + 2), peer(seed * 10 + 3)]
      const server = new LoroDoc()
      const pushed = devices.map(() => server.oplogVersion())
      for (let step = 0; step < 120; step++) {
        const i = Math.floor(random() * devices.length)
        const d = devices[i]!
        const r = random()
        if (r < 0.55) randomEdit(d, random)
        else if (r < 0.65) {
          const task = d.getMap("tasks").keys()[0]
          if (task !== undefined) {
            try {
              const text = taskDescription(d, task)
              text.insert(0, "ab🦜")
              if (text.length > 2) text.delete(1, 1)
              d.commit()
            } catch {
              // An unreadable task (deleted meanwhile): skip, as an editor would.
            }
          }
        } else if (r < 0.8) {
          const j = Math.floor(random() * devices.length)
          d.import(devices[j]!.export({ mode: "update", from: d.oplogVersion() }))
        } else {
          const from = server.oplogVersion()
          // Sometimes the device re-sends everything since the start (after losing an ack).
          server.import(d.export({ mode: "update", ...(random() < 0.2 ? {} : { from: pushed[i]! }) }))
          pushed[i] = d.oplogVersion()
          expect(verdict(server, from), `seed ${seed} step ${step}`).toBeUndefined()
        }
      }
    }
  })

  /** Two devices editing and syncing; commit messages keep each action its own change. */
  const honestBatch = () => {
    const [a, b] = [peer(7), peer(8)]
    const server = new LoroDoc()
    for (const u of workspaceUpdates(undefined, 7n, 2).slice(0, 2)) a.import(u)
    server.import(a.export({ mode: "update" }))
    const from = server.oplogVersion()
    b.import(a.export({ mode: "update" }))
    const tasks = a.getMap("tasks").keys()
    for (let i = 0; i < 3; i++) {
      taskDescription(a, tasks[0]!).insert(0, `a${i}`)
      a.commit({ message: `a${i}` })
      taskDescription(b, tasks[1]!).insert(0, `b${i}🦜`)
      b.commit({ message: `b${i}` })
      a.import(b.export({ mode: "update", from: a.oplogVersion() }))
    }
    server.import(a.export({ mode: "update", from }))
    const changes = server.exportJsonUpdates(from, server.oplogVersion(), false).changes
    expect(changes.length).toBeGreaterThan(4)
    return { server, from }
  }

  it.each<[string, (c: Array<JsonChange>) => void, RegExp]>([
    ["a Lamport shifted up", (c) => void (c[0]!.lamport += 1), /has Lamport/],
    ["a Lamport shifted down", (c) => void (c.at(-1)!.lamport -= 1), /has Lamport|not after/],
    ["deps dropped", (c) => void (c.at(-1)!.deps = []), /has Lamport|not after/],
    ["a dep on a future op", (c) => void (c[0]!.deps = [opId(`999999@${c[0]!.id.split("@")[1]}`)]), /unknown op/],
    ["a dep on its own future", (c) => void (c[0]!.deps = [bump(c[0]!.id)]), /own future/],
    ["a change id shifted", (c) => void (c[1]!.id = bump(c[1]!.id)), /does not follow/],
    ["an op counter gap", (c) => void (c[0]!.ops[0]!.counter += 1), /out of sequence/],
    ["a missing change", (c) => void c.splice(1, 1), /does not follow|do not reach/],
    ["a negative timestamp", (c) => void (c[0]!.timestamp = -5), /bad timestamp/],
    ["a huge message", (c) => void (c[0]!.msg = "m".repeat(5000)), /bad message/],
    ["a malformed id", (c) => void (c[0]!.id = opId("x@y")), /malformed/],
  ])("refuses %s", (_name, edit, reason) => {
    const { server, from } = honestBatch()
    expect(verdict(server, from)).toBeUndefined()
    expect(verdict(server, from, edit)).toMatch(reason)
  })
})
