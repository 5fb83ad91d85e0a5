import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { backupApi } from "./test/backupHarness.js"
import { sendBody } from "./test/sendBody.js"

const MiB = 1024 * 1024
const SMALL_CAP = 4 * MiB

let db: TestPg
/** Default limit (512 MiB). */
let big: TestServer
/** VIBESTACK_MAX_BACKUP_BYTES = 4 MiB, files in VIBESTACK_BACKUP_DIR. */
let small: TestServer
const backupDir = mkdtempSync(join(tmpdir(), "vibestack-backupdir-"))
beforeAll(async () => {
  db = await startTestPg()
  big = await startTestServer({ pg: db })
  process.env.VIBESTACK_MAX_BACKUP_BYTES = String(SMALL_CAP)
  process.env.VIBESTACK_BACKUP_DIR = backupDir
  try {
    small = await startTestServer({ pg: db })
  } finally {
    delete process.env.VIBESTACK_MAX_BACKUP_BYTES
    delete process.env.VIBESTACK_BACKUP_DIR
  }
}, 120_000)
afterAll(async () => {
  await small?.stop()
  await big?.stop()
  await db?.dispose()
  rmSync(backupDir, { recursive: true, force: true })
})

const uploadsOf = (s: TestServer) => {
  const dir = join(s.config.dataDir, "tmp", "uploads")
  return existsSync(dir) ? readdirSync(dir) : []
}
const workspaceCount = async () => {
  const c = new pg.Client({ connectionString: db.url })
  await c.connect()
  try {
    return Number((await c.query("select count(*)::int as n from workspaces")).rows[0].n)
  } finally {
    await c.end()
  }
}
/** Polls until `f` holds (for what the server does after answering, e.g. closing files). */
const eventually = async (f: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 50))
  expect(f(), what).toBe(true)
}

describe("backup uploads and imports are streamed to disk and bounded (real server, real sockets)", () => {
  it("[S21] three parallel 96 MiB imports keep the server's heap + external memory bounded", async () => {
    const mem = () => {
      const m = process.memoryUsage()
      return m.heapUsed + m.external
    }
    const before = mem()
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, mem())
    }, 10)
    try {
      const results = await Promise.all(
        [0, 1, 2].map((i) => sendBody(`${big.url}/api/v1/backups/import`, { total: 96 * MiB, declareLength: i !== 1 })),
      )
      for (const r of results) {
        // The whole body was read (to its trailing checksum) and refused, not buffered.
        expect(r.status, JSON.stringify(r.json)).toBe(400)
        expect(r.json.error.message).toMatch(/checksum mismatch/)
      }
    } finally {
      clearInterval(sampler)
    }
    const grew = peak - before
    console.log(`[S21] 3 × 96 MiB bodies: heap+external grew by ${(grew / MiB).toFixed(1)} MiB at most`)
    // Buffering them (as before #13) grows by the bodies' total, 288 MiB.
    expect(grew).toBeLessThan(128 * MiB)
    expect(uploadsOf(big)).toEqual([])
  }, 300_000)

  it("[S21] a body over the limit is answered 413 at once: declared length before any byte, chunked as soon as it passes", async () => {
    const before = await workspaceCount()
    const declared = await sendBody(`${small.url}/api/v1/backups/import`, { total: 64 * MiB, declareLength: true })
    expect(declared.status).toBe(413)
    expect(declared.json.error).toEqual({
      kind: "PayloadTooLarge",
      message: `a backup file may be at most ${SMALL_CAP} bytes`,
    })
    expect(declared.sentWhenAnswered).toBeLessThan(64 * MiB)
    const chunked = await sendBody(`${small.url}/api/v1/backups/import`, { total: 64 * MiB, declareLength: false })
    expect(chunked.status).toBe(413)
    expect(chunked.json.error.kind).toBe("PayloadTooLarge")
    // Answered mid-body: the server stopped reading well before the client was done.
    expect(chunked.sentWhenAnswered).toBeLessThan(32 * MiB)
    // The master's upload route has the same limit.
    const { workspaceId, masterToken } = await api(small.url).register("Uploads")
    const upload = await sendBody(`${small.url}/api/v1/workspaces/${workspaceId}/backups/upload`, {
      total: 64 * MiB,
      declareLength: false,
      token: masterToken,
    })
    expect(upload.status).toBe(413)
    expect(await workspaceCount()).toBe(before + 1)
    await eventually(() => uploadsOf(small).length === 0, "no upload file left")
    // Under the limit, an upload is stored: copied from the temporary file into the backup folder.
    const b = backupApi(small.url, workspaceId, masterToken)
    const made = await b.create()
    const file = await b.file(made.backupId)
    await api(small.url).call("DELETE", `/api/v1/workspaces/${workspaceId}/backups/${made.backupId}`, {
      token: masterToken,
    })
    const stored = await b.upload(file)
    expect(stored.status, JSON.stringify(stored.json)).toBe(201)
    expect(stored.json.kind).toBe("uploaded")
    expect(new Uint8Array(readFileSync(join(backupDir, workspaceId, `${made.backupId}.vsbackup`)))).toEqual(file)
    expect(await b.file(made.backupId)).toEqual(file)
    expect(uploadsOf(small)).toEqual([])
  }, 120_000)

  it("[S21] an upload the client aborts leaves no temporary file", async () => {
    for (const route of ["import", "upload"] as const) {
      const { workspaceId, masterToken } = await api(big.url).register("Aborts")
      let seenDuringUpload = 0
      const r = await sendBody(
        route === "import"
          ? `${big.url}/api/v1/backups/import`
          : `${big.url}/api/v1/workspaces/${workspaceId}/backups/upload`,
        {
          total: 64 * MiB,
          declareLength: true,
          abortAfter: 8 * MiB,
          ...(route === "upload" ? { token: masterToken } : {}),
          beforeAbort: async () => {
            // The body is on its way to a temporary file (this proves the check below can fail).
            await eventually(() => uploadsOf(big).length > 0, "an upload file while the body streams")
            seenDuringUpload = uploadsOf(big).length
          },
        },
      )
      expect(r.status).toBe(0)
      expect(seenDuringUpload, route).toBe(1)
      await eventually(() => uploadsOf(big).length === 0, `${route}: no upload file left after the abort`)
    }
    // The server is fine after all that.
    const { workspaceId, masterToken } = await api(big.url).register("After aborts")
    const b = backupApi(big.url, workspaceId, masterToken)
    const file = await b.file((await b.create()).backupId)
    expect((await b.importFile(file)).status).toBe(201)
    expect(uploadsOf(big)).toEqual([])
  }, 120_000)
})
