import { readFileSync } from "node:fs"
import { LoroDoc } from "loro-crdt"
import { api } from "../apps/server/src/test/http.js"
const url = "http://127.0.0.1:3917"
const { workspaceId: ws, masterToken: token } = JSON.parse(readFileSync("/tmp/ops-srv/seed.json", "utf8"))
const http = api(url)
const t = async (label: string, f: () => Promise<{ status: number; bytes: Uint8Array; json?: any }>) => {
  const s = performance.now()
  const r = await f()
  console.log(label, r.status, ((performance.now() - s) / 1000).toFixed(2), "s", r.bytes.length, "bytes", r.status >= 300 ? JSON.stringify(r.json) : "")
  return r
}
const snap = await t("snapshot", () => http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token }))
await t("snapshot again", () => http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token }))
const doc = new LoroDoc()
doc.import(snap.bytes)
const vv = doc.oplogVersion()
doc.getMap("meta").set("bench", Date.now())
doc.commit()
await t("write", () => http.push(ws, token, doc.export({ mode: "update", from: vv }), `w-${Date.now()}`))
const b = await t("backup create", () => http.call("POST", `/api/v1/workspaces/${ws}/backups`, { token }))
const id = b.json.backupId
const file = await t("backup file", () => http.call("GET", `/api/v1/workspaces/${ws}/backups/${id}/file`, { token }))
await t("import", () => http.call("POST", `/api/v1/backups/import`, { body: file.bytes, headers: { "content-type": "application/octet-stream" } }))
await t("revert", () => http.call("POST", `/api/v1/workspaces/${ws}/backups/${id}/restore`, { token, json: { mode: "revert" } }))
await t("fork", () => http.call("POST", `/api/v1/workspaces/${ws}/backups/${id}/restore`, { token, json: { mode: "fork", name: "fork" } }))
