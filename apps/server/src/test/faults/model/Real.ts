import { decodeUpdates } from "@vibestack/shared"
import { LoroDoc, type VersionVector } from "loro-crdt"
import { expect } from "vitest"
import { api } from "../../http.js"
import type { LiveTestClient } from "../../liveClient.js"
import { DOCS, Model } from "./Model.js"

/** Generous bound for anything the server sends by itself (fan-out, socket closes); never a timing. */
export const WAIT_MS = 30_000

/**
 * The real side of one run: a fresh workspace on the shared test server, the token
 * strings the model's token indices stand for, open sockets, and the client-side Loro
 * writers that produce update bytes.
 */
export class Real {
  readonly http: ReturnType<typeof api>
  readonly tokens: Array<{ token: string; tokenId: string | undefined }> = []
  readonly backupIds: Array<string> = []
  readonly sockets: Array<LiveTestClient | undefined> = []
  /** One long-lived writer per document: its updates depend on its earlier ones. */
  readonly writers = new Map<string, { doc: LoroDoc; acked: VersionVector }>()
  private peer: bigint
  private n = 0
  requestId = 0

  constructor(
    readonly base: string,
    readonly ws: string,
    runId: number,
  ) {
    this.http = api(base)
    // Peer ids unique within the run (a fresh workspace), and the same on a replay.
    this.peer = BigInt(runId) * 1_000_000n + 1000n
    for (const [i, d] of DOCS.entries()) {
      const doc = new LoroDoc()
      doc.setPeerId(BigInt(runId) * 1_000_000n + BigInt(i + 1))
      this.writers.set(d, { doc, acked: doc.oplogVersion() })
    }
  }

  get master(): string {
    return this.tokens[0]!.token
  }

  next(): number {
    return ++this.n
  }

  /** An update from a new peer that sets one new key and overwrites a shared one (keys of the layout's `meta` map). */
  freshUpdate(): Uint8Array {
    const doc = new LoroDoc()
    doc.setPeerId(this.peer++)
    const n = this.next()
    doc.getMap("meta").set(`u${n}`, n)
    doc.getMap("meta").set("last", n)
    doc.commit()
    return doc.export({ mode: "update" })
  }

  /** The writer's next edit, exported from what the server acknowledged (so it carries any unacked ones). */
  chainUpdate(docId: string): { bytes: Uint8Array; ack: () => void } {
    const w = this.writers.get(docId)!
    const n = this.next()
    w.doc.getMap("meta").set(`c${n}`, n)
    w.doc.commit()
    const bytes = w.doc.export({ mode: "update", from: w.acked })
    const upTo = w.doc.oplogVersion()
    return { bytes, ack: () => (w.acked = upTo) }
  }

  /** A writer edit exported without the edit before it, which the server does not have: S4 refuses it. */
  missingDependency(docId: string): Uint8Array {
    const w = this.writers.get(docId)!
    w.doc.getMap("meta").set(`gap${this.next()}`, 1)
    w.doc.commit()
    const from = w.doc.oplogVersion()
    w.doc.getMap("meta").set(`after-gap${this.next()}`, 1)
    w.doc.commit()
    return w.doc.export({ mode: "update", from })
  }

  /** Not a valid update: random bytes, or a valid one with a byte flipped after the header (bad checksum). */
  garbage(pick: number): Uint8Array {
    if (pick % 2 === 0) return new Uint8Array(8 + (pick % 50)).map((_, i) => (i * 31 + pick) & 0xff)
    const bytes = this.freshUpdate()
    const at = 22 + (pick % Math.max(1, bytes.length - 22))
    if (at < bytes.length) bytes[at] = bytes[at]! ^ 0x5a
    else bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x5a
    return bytes
  }

  /** Every record after `after`, paging with `limit`; checks the paging headers on the way. */
  async pullAll(ws: string, token: string, docId: string, after: number, limit?: number) {
    const out: Array<{ seq: number; bytes: Uint8Array }> = []
    let cursor = after
    for (;;) {
      const r = await this.http.pull(ws, token, cursor, limit, docId)
      expect(r.status, `pull ${docId} after ${cursor}: ${JSON.stringify(r.json)}`).toBe(200)
      const records = decodeUpdates(r.bytes)
      if (typeof records === "string") throw new Error(`pull body: ${records}`)
      if (limit !== undefined) expect(records.length).toBeLessThanOrEqual(limit)
      out.push(...records)
      const header = Number(r.headers.get("x-vibestack-cursor"))
      expect(header, "X-VibeStack-Cursor is the last seq of the page, or `after` when empty").toBe(
        records.at(-1)?.seq ?? cursor,
      )
      cursor = header
      if (r.headers.get("x-vibestack-more") !== "1") return out
      expect(records.length, "a page that says more follow is not empty").toBeGreaterThan(0)
    }
  }

  /** The workspace's documents and cursors as the server reports them (master view). */
  async heads(ws = this.ws, token = this.master) {
    const r = await this.http.call("GET", `/api/v1/workspaces/${ws}`, { token })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    return [...(r.json.docs as Array<{ docId: string; cursor: number }>)].sort((a, b) => (a.docId < b.docId ? -1 : 1))
  }

  async closeAll(): Promise<void> {
    for (const [i, s] of this.sockets.entries()) {
      if (s === undefined) continue
      s.socket.close()
      await s.closed
      this.sockets[i] = undefined
    }
  }
}

/** A fresh workspace with a master, one editor and one viewer: the model and its real counterpart. */
export const setupRun = async (base: string, runId: number): Promise<{ model: Model; real: Real }> => {
  const http = api(base)
  const { workspaceId, masterToken } = await http.register(`L5 run ${runId}`)
  const real = new Real(base, workspaceId, runId)
  const model = new Model()
  real.tokens.push({ token: masterToken, tokenId: undefined })
  for (const role of ["editor", "viewer"] as const) {
    const minted = await http.mint(workspaceId, masterToken, role)
    real.tokens.push({ token: minted.token, tokenId: minted.tokenId })
    model.tokens.push({ role, revoked: false })
  }
  const listed = await http.call("GET", `/api/v1/workspaces/${workspaceId}/tokens`, { token: masterToken })
  real.tokens[0] = {
    token: masterToken,
    tokenId: listed.json.tokens.find((t: { role: string }) => t.role === "master").tokenId,
  }
  return { model, real }
}

/**
 * Every open socket has received, for each document it subscribed to, exactly the
 * model's records after its `Subscribed.cursor`, in seq order, with their bytes (S9).
 * Waits for missing ones; anything extra or out of order fails.
 */
export const checkSockets = async (model: Model, real: Real): Promise<void> => {
  for (const [slot, s] of model.sockets.entries()) {
    if (s === undefined) continue
    const client = real.sockets[slot]!
    for (const [docId, cursor] of s.subscribed) {
      const expected = model.log(docId).filter((r) => r.seq > cursor)
      const got = () => client.updates.filter((u) => u.docId === docId)
      await client.waitFor(() => got().length >= expected.length, WAIT_MS)
      expect(
        got().map((u) => u.seq),
        `socket ${slot} on ${docId} (subscribed at ${cursor})`,
      ).toEqual(expected.map((r) => r.seq))
      got().forEach((u, i) => expect(Buffer.from(u.bytes).equals(Buffer.from(expected[i]!.bytes))).toBe(true))
    }
  }
}

/** The server's document cursors equal the model's heads: nothing stored that the model did not store. */
export const checkHeads = async (model: Model, real: Real): Promise<void> => {
  expect(await real.heads(), "document cursors").toEqual(model.heads())
}

/** The full check at the end of every run: logs byte for byte, snapshots as JSON, sockets. */
export const checkAll = async (model: Model, real: Real): Promise<void> => {
  await checkHeads(model, real)
  for (const docId of DOCS) {
    const log = await real.pullAll(real.ws, real.master, docId, 0)
    expect(
      log.map((r) => r.seq),
      `log of ${docId}`,
    ).toEqual(model.log(docId).map((r) => r.seq))
    log.forEach((r, i) => expect(Buffer.from(r.bytes).equals(Buffer.from(model.log(docId)[i]!.bytes))).toBe(true))
  }
  await checkSockets(model, real)
}
