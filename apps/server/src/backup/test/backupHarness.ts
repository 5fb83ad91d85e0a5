import { decodeUpdates } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"
import { expect } from "vitest"
import { api } from "../../test/http.js"

/**
 * Helpers for the backup tests: a minimal headless client (a LoroDoc that pushes its own
 * ops and pulls everything after its cursor over real HTTP), and backup calls.
 */
export class TestPeer {
  readonly doc = new LoroDoc()
  cursor = 0
  /** Ops written locally and not yet pushed (the outbox of an offline client). */
  private pushedUpTo = this.doc.oplogVersion()

  constructor(
    private readonly base: string,
    readonly ws: string,
    private readonly token: string,
    readonly docId = "main",
  ) {}

  edit(f: (doc: LoroDoc) => void): void {
    f(this.doc)
    this.doc.commit()
  }

  /** Pushes local ops not yet on the server (only the ones this peer wrote), then pulls. */
  async sync(): Promise<void> {
    const vv = this.doc.oplogVersion()
    const mine = this.doc.peerIdStr
    if ((vv.get(mine) ?? 0) > (this.pushedUpTo.get(mine) ?? 0)) {
      const bytes = this.doc.export({ mode: "update", from: this.pushedUpTo })
      const r = await api(this.base).push(this.ws, this.token, bytes, `k${Math.random()}`, this.docId)
      expect(r.status, JSON.stringify(r.json)).toBe(200)
    }
    await this.pull()
    this.pushedUpTo = this.doc.oplogVersion()
  }

  async pull(): Promise<void> {
    for (;;) {
      const r = await api(this.base).pull(this.ws, this.token, this.cursor, 1000, this.docId)
      expect(r.status).toBe(200)
      const records = decodeUpdates(r.bytes)
      if (typeof records === "string") throw new Error(records)
      if (records.length > 0) this.doc.importBatch(records.map((x) => x.bytes))
      this.cursor = Number(r.headers.get("x-vibestack-cursor"))
      if (r.headers.get("x-vibestack-more") !== "1") return
    }
  }

  /** Everything the server committed so far is in `doc` and vice versa. */
  json(): unknown {
    return normalize(this.doc.toJSON())
  }
}

/** Root containers exist once touched; an empty one is the same state as an absent one. */
export const normalize = (json: unknown): unknown =>
  Object.fromEntries(
    Object.entries(json as Record<string, object>).filter(([, v]) => v !== null && Object.keys(v).length > 0),
  )

/** The server's document: a fresh doc built from a full pull. */
export const serverDoc = async (base: string, ws: string, token: string, docId = "main"): Promise<LoroDoc> => {
  const p = new TestPeer(base, ws, token, docId)
  await p.pull()
  return p.doc
}

/** Sends a body with chunked transfer encoding (no Content-Length). */
export const postStream = async (url: string, bytes: Uint8Array, token?: string) => {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) c.enqueue(bytes.subarray(i, i + 64 * 1024))
      c.close()
    },
  })
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body,
    duplex: "half",
  } as RequestInit)
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, json }
}

export const backupApi = (base: string, ws: string, master: string) => {
  const call = api(base).call
  return {
    create: async () => {
      const r = await call("POST", `/api/v1/workspaces/${ws}/backups`, { token: master })
      expect(r.status, JSON.stringify(r.json)).toBe(201)
      return r.json as { backupId: string; docs: Array<{ docId: string; cursor: number }>; size: number }
    },
    list: async () => (await call("GET", `/api/v1/workspaces/${ws}/backups`, { token: master })).json,
    file: async (id: string) => {
      const r = await call("GET", `/api/v1/workspaces/${ws}/backups/${id}/file`, { token: master })
      expect(r.status).toBe(200)
      return r.bytes
    },
    restore: (id: string, json: unknown) =>
      call("POST", `/api/v1/workspaces/${ws}/backups/${id}/restore`, { token: master, json }),
    upload: (bytes: Uint8Array) => postStream(`${base}/api/v1/workspaces/${ws}/backups/upload`, bytes, master),
    importFile: (bytes: Uint8Array) => postStream(`${base}/api/v1/backups/import`, bytes),
  }
}
