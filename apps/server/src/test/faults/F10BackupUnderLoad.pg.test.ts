import { Either } from "effect"
import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeBackup } from "../../backup/backupFile.js"
import { normalize } from "../../backup/test/backupHarness.js"
import { api } from "../http.js"
import { hashBytes } from "./AuditTransport.js"
import { referenceDoc } from "./checkInvariants.js"
import { Fleet } from "./Fleet.js"
import { faultState } from "./faultEdits.js"
import { runSeed, type Stage, seeded, settleAndCheck, sleep, startStage } from "./faultRun.js"
import { readServerLog } from "./serverLog.js"

let stage: Stage
beforeAll(async () => {
  stage = await startStage()
}, 120_000)
afterAll(async () => {
  await stage?.dispose()
})

const vv = (d: LoroDoc) => JSON.stringify([...d.oplogVersion().toJSON()].sort(([a], [b]) => a.localeCompare(b)))
const state = (d: LoroDoc) => ({ json: normalize(d.toJSON()), vv: vv(d) })

/** Polls `f` until true; throws after `ms` (a bound, not a timing assertion). */
const until = async (f: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe("F10 backup during load (quick tier)", () => {
  it("[F10] backup taken while 3 clients write, writing goes on; the backup is a prefix of the log, fork and revert restore it exactly, nothing acknowledged is lost and clients converge", async () => {
    const seed = runSeed("F10 backup under load")
    const rnd = seeded(seed)
    const { audit, server } = stage
    const fleet = await Fleet.create({ url: server.url, directUrl: server.url, clients: 3, audit })
    const ws = fleet.workspaceId
    const master = fleet.masterToken
    const call = api(server.url).call
    const counters = [0, 0, 0]
    /** Edits by random clients; returns each (client, n) written, for the list-entry oracle. */
    const write = async (count: number) => {
      const done: Array<string> = []
      for (let k = 0; k < count; k++) {
        const i = Math.floor(rnd() * 3)
        const n = counters[i]!++
        await fleet.edit(i, n)
        if (n % 3 === 2) done.push(`c${i}:${n}`) // Fleet.edit's log entry for this n
        if (rnd() < 0.3) await sleep(Math.floor(rnd() * 20))
      }
      return done
    }
    try {
      // Phase 1: the backup starts once some pushes are acknowledged, while the writers go on.
      const writing = write(45)
      await until(() => audit.acked().length >= 8, 60_000, "8 acknowledged pushes")
      const created = await call("POST", `/api/v1/workspaces/${ws}/backups`, { token: master })
      expect(created.status, JSON.stringify(created.json)).toBe(201)
      const backupId = created.json.backupId as string
      const cursor = (created.json.docs as Array<{ docId: string; cursor: number }>).find(
        (d) => d.docId === "main",
      )!.cursor
      await writing
      // Phase 2: keep writing, then settle: I1–I4 over everything so far.
      await write(30)
      await settleAndCheck(stage, fleet, seed)
      const log = await readServerLog(stage.pg.url, ws)
      expect(cursor).toBeGreaterThan(0)
      expect(cursor, "writes went on after the backup").toBeLessThan(log.length)

      // The backup is a consistent cut: its document is exactly the log up to its cursor.
      const file = await call("GET", `/api/v1/workspaces/${ws}/backups/${backupId}/file`, { token: master })
      expect(file.status).toBe(200)
      const decoded = decodeBackup(file.bytes)
      if (Either.isLeft(decoded)) throw new Error(decoded.left)
      const i = decoded.right.meta.docs.findIndex((d) => d.docId === "main")
      expect(decoded.right.meta.docs[i]!.cursor).toBe(cursor)
      const backupDoc = new LoroDoc()
      backupDoc.import(decoded.right.snapshots[i]!)
      expect(state(backupDoc), `seed ${seed}: backup vs log[1..${cursor}]`).toEqual(
        state(referenceDoc(log.slice(0, cursor))),
      )
      // Every acknowledged push is in the backup (its ops add nothing to it) or after it in the log.
      const backupVv = vv(backupDoc)
      const lost: Array<string> = []
      for (const p of audit.acked()) {
        const row = log[p.seq! - 1]
        if (row?.hash !== p.hash) lost.push(`${p.client} key ${p.key} seq ${p.seq}: not in the log`)
        else if (p.seq! <= cursor) {
          const probe = backupDoc.fork()
          probe.import(row.bytes)
          if (vv(probe) !== backupVv) lost.push(`${p.client} key ${p.key} seq ${p.seq} <= ${cursor}: not in the backup`)
        }
      }
      expect(lost, `seed ${seed}`).toEqual([])

      // Fork: a new workspace whose document equals the backup.
      const fork = await call("POST", `/api/v1/workspaces/${ws}/backups/${backupId}/restore`, {
        token: master,
        json: { mode: "fork", name: "F10 fork" },
      })
      expect(fork.status, JSON.stringify(fork.json)).toBe(200)
      expect(fork.json.workspaceId).not.toBe(ws)
      const forkLog = await readServerLog(stage.pg.url, fork.json.workspaceId)
      expect(state(referenceDoc(forkLog))).toEqual(state(backupDoc))
      const forkSnap = await call("GET", `/api/v1/workspaces/${fork.json.workspaceId}/docs/main/snapshot`, {
        token: fork.json.masterToken,
      })
      expect(forkSnap.status).toBe(200)
      const forkServed = new LoroDoc()
      forkServed.import(forkSnap.bytes)
      expect(state(forkServed)).toEqual(state(backupDoc))

      // Revert (writers idle): every client pulls it and holds exactly the backup's state.
      const headBefore = log.length
      const reverted = await call("POST", `/api/v1/workspaces/${ws}/backups/${backupId}/restore`, {
        token: master,
        json: { mode: "revert" },
      })
      expect(reverted.status, JSON.stringify(reverted.json)).toBe(200)
      const revertSeq = (reverted.json.docs as Array<{ docId: string; seq: number | null }>).find(
        (d) => d.docId === "main",
      )!.seq!
      expect(revertSeq).toBe(headBefore + 1)
      // The revert is a push by the server: the audit learns of it, so I1 accounts for its row.
      const revertRow = (await readServerLog(stage.pg.url, ws))[revertSeq - 1]!
      expect(revertRow.key).toMatch(/^revert-/)
      audit.pushes.push({
        client: "server-revert",
        workspaceId: ws,
        docId: "main",
        key: revertRow.key!,
        hash: hashBytes(revertRow.bytes),
        outcome: "ack",
        seq: revertSeq,
        duplicate: false,
      })
      await fleet.quiesce(60_000)
      const backupJson = normalize(backupDoc.toJSON())
      for (const m of fleet.members) expect(normalize(m.client.doc.toJSON()), m.name).toEqual(backupJson)
      // What the revert undid is not lost: the history still serves the state just before it.
      const before = await call("GET", `/api/v1/workspaces/${ws}/docs/main/history/state?version=${headBefore}`, {
        token: master,
      })
      expect(before.status).toBe(200)
      expect(normalize(before.json.state)).toEqual(normalize(referenceDoc(log).toJSON()))

      // Phase 3: writing resumes on top of the revert; I1–I4 again, and the list holds exactly
      // the backup's entries plus the new ones (each once).
      const after = await write(15)
      const r = await settleAndCheck(stage, fleet, seed)
      const final = faultState(referenceDoc(await readServerLog(stage.pg.url, ws)).toJSON())
      const backupList = faultState(backupJson).log
      expect([...final.log].sort(), `seed ${seed}`).toEqual([...backupList, ...after].sort())
      console.log(
        `[faults] F10 seed=${seed}: backup at seq ${cursor} of ${headBefore}, revert at ${revertSeq}, ${r.rows} rows, ${r.acked} acked, ${r.failedPushes} failed pushes`,
      )
    } finally {
      await fleet.close()
    }
  }, 120_000)
})
