/**
 * Backup/restore benchmark on one large workspace, over the real HTTP API: backup time
 * (POST …/backups), download time, revert time (after a small edit), fork time, and the
 * backup file's size against the document's own snapshot (GET …/snapshot).
 * Run: node --import tsx bench/backup.ts [tasks=100000] [repeats=3]
 * Prints medians; timings never gate tests. Targets (issue 8): backup ≤ 2 s, restore ≤ 5 s.
 */

import { seedOverHttp } from "@vibestack/server/src/cli/commands/seed.js"
import { api } from "@vibestack/server/src/test/http.js"
import { startTestServer } from "@vibestack/server/src/test/server.js"
import { decodeUpdates } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"

const tasks = Number(process.argv[2] ?? 100_000)
const repeats = Number(process.argv[3] ?? 3)
const median = (xs: Array<number>) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!
const timed = async <A>(f: () => Promise<A>): Promise<[A, number]> => {
  const started = performance.now()
  const a = await f()
  return [a, (performance.now() - started) / 1000]
}
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`

process.env.VIBESTACK_PROJECTION_ENABLED = "false" // measure backups, not the projection catching up
const server = await startTestServer({ config: { maxUpdateBytes: 1024 * 1024 } })
const rows: Array<[string, string, string]> = []
try {
  const [seeded, seedTime] = await timed(() => seedOverHttp({ url: server.url, tasks, projects: 50, seed: 7 }))
  const { workspaceId: ws, masterToken: token } = seeded
  console.error(`seeded ${tasks} tasks in ${seedTime.toFixed(1)} s (${seeded.updates} updates, ${mb(seeded.bytes)})`)
  const http = api(server.url)
  const snapshot = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token })

  const backupTimes: Array<number> = []
  const downloadTimes: Array<number> = []
  const revertTimes: Array<number> = []
  const forkTimes: Array<number> = []
  // Peer measured in the same run (the machine is shared and noisy): a plain snapshot fetch.
  const snapshotTimes: Array<number> = []
  let size = 0
  // A client holding the document, to make small edits the revert must undo.
  const client = new LoroDoc()
  client.import(snapshot.bytes)
  for (let i = 0; i < repeats; i++) {
    const [, t0] = await timed(() => http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token }))
    snapshotTimes.push(t0)
    const [created, t1] = await timed(() => http.call("POST", `/api/v1/workspaces/${ws}/backups`, { token }))
    if (created.status !== 201) throw new Error(`backup failed: ${JSON.stringify(created.json)}`)
    backupTimes.push(t1)
    const id = created.json.backupId as string
    const [file, t2] = await timed(() => http.call("GET", `/api/v1/workspaces/${ws}/backups/${id}/file`, { token }))
    downloadTimes.push(t2)
    size = file.bytes.length
    const vv = client.oplogVersion()
    for (let k = 0; k < 100; k++) client.getMap("meta").set(`bench-${i}-${k}`, k)
    client.commit()
    const pushed = await http.push(ws, token, client.export({ mode: "update", from: vv }), `bench-${i}`)
    if (pushed.status !== 200) throw new Error(`push failed: ${JSON.stringify(pushed.json)}`)
    const restore = (json: unknown) =>
      http.call("POST", `/api/v1/workspaces/${ws}/backups/${id}/restore`, { token, json })
    const [reverted, t3] = await timed(() => restore({ mode: "revert" }))
    if (reverted.status !== 200) throw new Error(`revert failed: ${JSON.stringify(reverted.json)}`)
    revertTimes.push(t3)
    const [forked, t4] = await timed(() => restore({ mode: "fork", name: `fork ${i}` }))
    if (forked.status !== 200) throw new Error(`fork failed: ${JSON.stringify(forked.json)}`)
    forkTimes.push(t4)
    // Keep the client in step with the revert (it pulls like any client would).
    const after = await http.pull(ws, token, Number(pushed.json.seq))
    const recs = decodeUpdates(after.bytes)
    if (typeof recs !== "string") client.importBatch(recs.map((r) => r.bytes))
  }
  const peer = median(snapshotTimes)
  const ratio = (xs: Array<number>) => `${(median(xs) / peer).toFixed(1)}× snapshot fetch`
  rows.push(["peer: GET snapshot", `${peer.toFixed(2)} s`, ""])
  rows.push(["backup / peer", ratio(backupTimes), ""])
  rows.push(["revert / peer", ratio(revertTimes), ""])
  rows.push(["fork / peer", ratio(forkTimes), ""])
  rows.push([`backup (${tasks.toLocaleString("en")} tasks)`, `${median(backupTimes).toFixed(2)} s`, "≤ 2 s"])
  rows.push(["download backup file", `${median(downloadTimes).toFixed(2)} s`, ""])
  rows.push(["restore: revert (after 100 edits)", `${median(revertTimes).toFixed(2)} s`, "≤ 5 s"])
  rows.push(["restore: fork (new workspace)", `${median(forkTimes).toFixed(2)} s`, "≤ 5 s"])
  rows.push(["backup file size", mb(size), ""])
  rows.push(["document snapshot size", mb(snapshot.bytes.length), ""])
  rows.push(["backup / snapshot", (size / snapshot.bytes.length).toFixed(4), ""])
} finally {
  await server.stop()
}
console.log("| measure | median | target |\n| --- | ---: | --- |")
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`)
process.exit(0)
