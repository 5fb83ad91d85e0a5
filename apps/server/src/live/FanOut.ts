import type { DocId, WorkspaceId } from "@vibestack/schema"
import { encodeFrame } from "@vibestack/shared"
import type { Connection } from "./Connection.js"

type Pull = (
  ws: WorkspaceId,
  doc: DocId,
  after: number,
) => Promise<{ records: ReadonlyArray<{ seq: number; bytes: Uint8Array }>; more: boolean }>

/**
 * Per-node fan-out: which local sockets follow which document, and how far this node
 * has sent each document. Updates this node commits are sent from memory right after
 * COMMIT (`committed`). A commit NOTIFY from another node names a document and its new
 * last seq; the node reads what it has not sent yet from the log once and sends the
 * same frames to every local subscriber, in seq order. One read runs per document at
 * a time; notifications arriving meanwhile only raise the target.
 */
export class FanOut {
  private readonly subscribers = new Map<string, Set<Connection>>()
  private readonly sent = new Map<string, number>()
  private readonly target = new Map<string, number>()
  private readonly running = new Set<string>()

  constructor(
    private readonly pull: Pull,
    private readonly send: (conn: Connection, frame: Uint8Array) => void,
    private readonly observe: (latencyMs: number) => void,
    /** This node's `CommitHub.origin`: the commits it sends from memory. */
    private readonly origin?: string,
  ) {}

  /**
   * Registers a socket: live frames of the document reach it from now on. Then read the log's
   * head and call `joined` with it; until the first subscriber's `joined`, commits only raise
   * the target (the position they follow is not known yet).
   */
  subscribe(conn: Connection, doc: DocId): void {
    const key = this.key(conn.workspaceId, doc)
    let set = this.subscribers.get(key)
    if (!set) {
      set = new Set()
      this.subscribers.set(key, set)
    }
    set.add(conn)
  }

  /**
   * `head`: the document's last seq, read after `subscribe`. Returns the socket's
   * `Subscribed.cursor`: every update after it reaches the socket live (S9). Updates other
   * subscribers were sent before this one registered are at most that cursor (it pulls them).
   */
  joined(conn: Connection, doc: DocId, head: number): number {
    const key = this.key(conn.workspaceId, doc)
    if (!this.subscribers.get(key)?.has(conn)) return head
    if (!this.sent.has(key)) this.sent.set(key, head)
    const sent = this.sent.get(key)!
    // Commits announced while the position was unknown go out now.
    const target = this.target.get(key) ?? 0
    if (target > sent) this.notify(conn.workspaceId, doc, target)
    return Math.max(head, sent)
  }

  unsubscribe(conn: Connection, doc: DocId): void {
    const key = this.key(conn.workspaceId, doc)
    const set = this.subscribers.get(key)
    if (!set) return
    set.delete(conn)
    if (set.size === 0) {
      this.subscribers.delete(key)
      this.sent.delete(key)
      this.target.delete(key)
    }
  }

  /**
   * A commit NOTIFY from `from` (a node's origin, if it gave one). This node's own commits went
   * out from memory already, or will (`committed`), or are read back (`recheck`): its NOTIFY
   * often arrives before the commit's answer, and reading the log then would cost a query per
   * commit to send what memory sends anyway. Another node's commits are read from the log.
   */
  announced(ws: WorkspaceId, doc: DocId, seq: number, committedAt?: number, from?: string | null): void {
    if (this.origin !== undefined && from === this.origin) return
    this.notify(ws, doc, seq, committedAt)
  }

  /** This node does not know whether its commit of the document landed: read the log to its end. */
  recheck(ws: WorkspaceId, doc: DocId): void {
    // An unbounded target: the drain stops at the first empty page.
    this.notify(ws, doc, Number.MAX_SAFE_INTEGER)
  }

  /** A document's log grew to `seq` (committed at `committedAt`, ms since epoch, if known). */
  notify(ws: WorkspaceId, doc: DocId, seq: number, committedAt?: number): void {
    const key = this.key(ws, doc)
    if (!this.subscribers.has(key)) return
    this.target.set(key, Math.max(this.target.get(key) ?? 0, seq))
    if (this.running.has(key)) return
    this.running.add(key)
    void this.drain(key, ws, doc, committedAt).then(
      (outcome) => {
        this.running.delete(key)
        // The position became known (`joined`) while this read found none: read again.
        if (outcome === "position unknown" && this.sent.has(key)) this.notify(ws, doc, this.target.get(key) ?? 0)
      },
      () => this.running.delete(key),
    )
  }

  /**
   * This node just committed these updates of one document (seq order, durable): send them to
   * the local subscribers straight from memory. If they do not follow what was sent (another
   * node's commit in between, or a read already running), fall back to reading the log.
   */
  committed(ws: WorkspaceId, doc: DocId, records: ReadonlyArray<{ seq: number; bytes: Uint8Array }>): void {
    const key = this.key(ws, doc)
    const subs = this.subscribers.get(key)
    const last = records.at(-1)
    if (subs === undefined || last === undefined) return
    const sent = this.sent.get(key)
    if (sent !== undefined && last.seq <= sent) return
    if (sent === undefined || this.running.has(key) || records[0]!.seq !== sent + 1) {
      this.notify(ws, doc, last.seq)
      return
    }
    for (const r of records) {
      const frame = encodeFrame({ _tag: "Update", docId: doc, seq: r.seq }, r.bytes)
      for (const conn of subs) this.send(conn, frame)
    }
    this.sent.set(key, last.seq)
  }

  /** Notifications may have been missed (the LISTEN connection dropped): re-read every followed document. */
  resyncAll(): void {
    for (const key of [...this.subscribers.keys()]) {
      const [ws, doc] = key.split("\u0000") as [WorkspaceId, DocId]
      this.recheck(ws, doc)
    }
  }

  get docsFollowed(): number {
    return this.subscribers.size
  }

  private async drain(
    key: string,
    ws: WorkspaceId,
    doc: DocId,
    committedAt?: number,
  ): Promise<"done" | "position unknown"> {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      const sent = this.sent.get(key)
      const target = this.target.get(key)
      if (sent === undefined) return "position unknown"
      if (target === undefined || sent >= target) return "done"
      let page: Awaited<ReturnType<Pull>>
      try {
        page = await this.pull(ws, doc, sent)
      } catch {
        return "done" // The next notification or the client's own catch-up pull fills the gap.
      }
      if (page.records.length === 0) return "done"
      const subs = this.subscribers.get(key)
      if (!subs) return "done"
      for (const r of page.records) {
        const frame = encodeFrame({ _tag: "Update", docId: doc, seq: r.seq }, r.bytes)
        for (const conn of subs) this.send(conn, frame)
      }
      if (committedAt !== undefined) this.observe(Date.now() - committedAt)
      this.sent.set(key, page.records.at(-1)!.seq)
    }
    return "done"
  }

  private key(ws: string, doc: string): string {
    return `${ws}\u0000${doc}`
  }
}
