import { createHash } from "node:crypto"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { LiveConnection, LiveHandlers, PushResult, Transport } from "@vibestack/shared"

export const hashBytes = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex").slice(0, 32)

/** One push as the client saw it: acknowledged (with the server's answer) or failed. */
export interface PushRecord {
  readonly client: string
  readonly workspaceId: string
  readonly docId: string
  readonly key: string
  readonly hash: string
  readonly outcome: "ack" | "error"
  readonly seq?: number
  readonly duplicate?: boolean
  readonly error?: string
}

/** What one client saw from the server, for I2 and I4. */
export interface ClientView {
  /** seq → hash of every update received by pull or over the socket. */
  readonly seen: Map<number, string>
  /** seq → hash that disagreed with an earlier receipt of the same seq (I4). */
  readonly conflicts: Array<string>
  /** Page cursors and live seqs in the order received (per transport instance). */
  readonly cursors: Array<number>
  snapshotCursor: number
}

/**
 * The audit log: every push attempt and its outcome, every update received, for all
 * clients of one run. Clients go through `wrap`, which records and forwards unchanged.
 */
export class AuditLog {
  readonly pushes: Array<PushRecord> = []
  readonly views = new Map<string, ClientView>()

  view(client: string): ClientView {
    let v = this.views.get(client)
    if (!v) {
      v = { seen: new Map(), conflicts: [], cursors: [], snapshotCursor: 0 }
      this.views.set(client, v)
    }
    return v
  }

  acked(): Array<PushRecord> {
    return this.pushes.filter((p) => p.outcome === "ack")
  }

  private saw(client: string, seq: number, bytes: Uint8Array) {
    const v = this.view(client)
    const h = hashBytes(bytes)
    const before = v.seen.get(seq)
    if (before !== undefined && before !== h) v.conflicts.push(`seq ${seq}: ${before} then ${h}`)
    v.seen.set(seq, h)
  }

  /** Records one push attempt (over HTTP or the socket) and its outcome. */
  protected async record(
    client: string,
    ws: WorkspaceId,
    doc: DocId,
    bytes: Uint8Array,
    key: string,
    send: () => Promise<PushResult>,
  ): Promise<PushResult> {
    const base = { client, workspaceId: ws, docId: doc, key, hash: hashBytes(bytes) }
    try {
      const r = await send()
      this.pushes.push({ ...base, outcome: "ack", seq: r.seq, duplicate: r.duplicate })
      return r
    } catch (e) {
      this.pushes.push({ ...base, outcome: "error", error: String((e as Error)?.message ?? e) })
      throw e
    }
  }

  wrap(client: string, inner: Transport): Transport {
    return {
      register: inner.register,
      info: inner.info,
      push: (token, ws: WorkspaceId, doc: DocId, bytes, key) =>
        this.record(client, ws, doc, bytes, key, () => inner.push(token, ws, doc, bytes, key)),
      pull: async (token, ws, doc, after, limit) => {
        const page = await inner.pull(token, ws, doc, after, limit)
        for (const u of page.updates) this.saw(client, u.seq, u.bytes)
        this.view(client).cursors.push(page.cursor)
        return page
      },
      snapshot: async (token, ws, doc) => {
        const s = await inner.snapshot(token, ws, doc)
        const v = this.view(client)
        v.snapshotCursor = Math.max(v.snapshotCursor, s.cursor)
        return s
      },
      connectLive: async (token, ws, handlers: LiveHandlers): Promise<LiveConnection> => {
        const conn = await inner.connectLive(token, ws, {
          ...handlers,
          onUpdate: (doc, seq, bytes) => {
            this.saw(client, seq, bytes)
            handlers.onUpdate(doc, seq, bytes)
          },
        })
        // The engine pushes over the socket while it is up (pipelined): record those too.
        return {
          ...conn,
          push: (doc, bytes, key) => this.record(client, ws, doc, bytes, key, () => conn.push(doc, bytes, key)),
        }
      },
    }
  }
}
