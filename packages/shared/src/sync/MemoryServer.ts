import { type DocId, type Role, WorkspaceId } from "@vibestack/schema"
import { Schema } from "effect"
import { LoroDoc } from "loro-crdt"
import type { ErrorKind } from "../protocol/errors.js"
import { encodeUpdates, type SeqBlob } from "../protocol/updatesBody.js"

/**
 * An in-memory server with the HTTP/WebSocket contract's semantics (seq per document,
 * idempotency keys, roles, validate-then-publish) for fast tests. Clients reach it through
 * `MemoryTransport` (`transport()`), which also injects faults.
 */
export class MemoryServerError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message)
  }
}

interface DocState {
  readonly log: Array<SeqBlob>
  readonly keys: Map<string, number>
  readonly ref: LoroDoc
}

interface WorkspaceState {
  readonly name: string
  readonly creatorKey: string | undefined
  readonly masterToken: string
  readonly docs: Map<string, DocState>
}

export interface Subscriber {
  readonly ws: WorkspaceId
  readonly token: string
  readonly docs: Set<string>
  readonly deliver: (doc: DocId, seq: number, bytes: Uint8Array) => void
  readonly kick: (kind: ErrorKind, message: string) => void
}

const isWorkspaceId = Schema.is(WorkspaceId)

export class MemoryServer {
  private readonly workspaces = new Map<string, WorkspaceState>()
  private readonly tokens = new Map<string, { ws: WorkspaceId; role: Role; revoked: boolean }>()
  private readonly subscribers = new Set<Subscriber>()
  private nextToken = 1
  /** Pushes that reached the commit step, including duplicates (for tests). */
  pushCount = 0
  /**
   * Extra validation, as the real server's checks by meaning: a rule sees the document as it
   * would be after the update and returns a reason to refuse it (`InvalidUpdate`).
   */
  readonly rules: Array<(after: LoroDoc, update: Uint8Array) => string | undefined> = []

  register(ws: WorkspaceId, name: string, creatorKey: string | undefined): { masterToken: string } {
    if (!isWorkspaceId(ws)) throw new MemoryServerError("BadRequest", "bad workspace id")
    const existing = this.workspaces.get(ws)
    if (existing) {
      if (creatorKey !== undefined && existing.creatorKey === creatorKey) return { masterToken: existing.masterToken }
      throw new MemoryServerError("Conflict", "workspace exists")
    }
    const masterToken = this.issue(ws, "master")
    this.workspaces.set(ws, { name, creatorKey, masterToken, docs: new Map() })
    return { masterToken }
  }

  mintToken(ws: WorkspaceId, role: Role): string {
    if (!this.workspaces.has(ws)) throw new MemoryServerError("NotFound", "no such workspace")
    return this.issue(ws, role)
  }

  /** Revocation also closes the token's open sockets. */
  revokeToken(token: string): void {
    const t = this.tokens.get(token)
    if (t) t.revoked = true
    for (const s of [...this.subscribers]) if (s.token === token) s.kick("Unauthorized", "token revoked")
  }

  private issue(ws: WorkspaceId, role: Role): string {
    const token = `tok-${this.nextToken++}-${role}`
    this.tokens.set(token, { ws, role, revoked: false })
    return token
  }

  /** Checks the token against the workspace: unknown/revoked → Unauthorized, other workspace → Forbidden. */
  auth(token: string, ws: WorkspaceId, write = false): { role: Role; name: string } {
    const t = this.tokens.get(token)
    if (!t || t.revoked) throw new MemoryServerError("Unauthorized", "bad token")
    const w = this.workspaces.get(ws)
    if (t.ws !== ws || !w) throw new MemoryServerError("Forbidden", "token is for another workspace")
    if (write && t.role === "viewer") throw new MemoryServerError("Forbidden", "viewers cannot push")
    return { role: t.role, name: w.name }
  }

  private doc(ws: WorkspaceId, doc: DocId): DocState {
    const w = this.workspaces.get(ws)!
    let d = w.docs.get(doc)
    if (!d) w.docs.set(doc, (d = { log: [], keys: new Map(), ref: new LoroDoc() }))
    return d
  }

  docs(ws: WorkspaceId): Array<{ docId: DocId; cursor: number }> {
    return [...(this.workspaces.get(ws)?.docs ?? new Map<string, DocState>())].map(([docId, d]) => ({
      docId: docId as DocId,
      cursor: d.log.length,
    }))
  }

  /** Commits one update: same key → the first result; bytes must import (validate, then publish). */
  push(
    token: string,
    ws: WorkspaceId,
    doc: DocId,
    bytes: Uint8Array,
    key: string,
  ): { seq: number; duplicate: boolean } {
    this.auth(token, ws, true)
    if (key.length === 0 || key.length > 128) throw new MemoryServerError("BadRequest", "bad idempotency key")
    const d = this.doc(ws, doc)
    this.pushCount++
    const first = d.keys.get(key)
    if (first !== undefined) return { seq: first, duplicate: true }
    if (bytes.length === 0) throw new MemoryServerError("InvalidUpdate", "empty update")
    // Judged on a copy, as the real server's pool does: an update whose dependencies the
    // server lacks, or that a rule refuses, must leave no trace in the reference document.
    const probe = d.ref.fork()
    try {
      const status = probe.import(bytes)
      if (status.pending !== undefined && status.pending !== null)
        throw new MemoryServerError("InvalidUpdate", "update depends on operations the server does not have")
      for (const rule of this.rules) {
        const reason = rule(probe, bytes)
        if (reason !== undefined) throw new MemoryServerError("InvalidUpdate", reason)
      }
      d.ref.import(bytes)
    } catch (e) {
      if (e instanceof MemoryServerError) throw e
      throw new MemoryServerError("InvalidUpdate", `update does not import: ${String(e)}`)
    } finally {
      probe.free()
    }
    const seq = d.log.length + 1
    d.log.push({ seq, bytes: bytes.slice() })
    d.keys.set(key, seq)
    for (const s of this.subscribers) if (s.ws === ws && s.docs.has(doc)) s.deliver(doc, seq, bytes.slice())
    return { seq, duplicate: false }
  }

  /** The pull body as the HTTP route would send it. */
  pull(token: string, ws: WorkspaceId, doc: DocId, after: number, limit: number) {
    this.auth(token, ws)
    if (!Number.isSafeInteger(after) || after < 0 || limit < 1) throw new MemoryServerError("BadRequest", "bad range")
    const log = this.doc(ws, doc).log
    const records = log.slice(after, after + limit)
    const cursor = records.at(-1)?.seq ?? after
    return { body: encodeUpdates(records), cursor: String(cursor), more: cursor < log.length ? "1" : "0" }
  }

  snapshot(token: string, ws: WorkspaceId, doc: DocId): { bytes: Uint8Array; cursor: number } {
    this.auth(token, ws)
    const d = this.doc(ws, doc)
    return { bytes: d.ref.export({ mode: "snapshot" }), cursor: d.log.length }
  }

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s)
    return () => this.subscribers.delete(s)
  }

  cursorOf(ws: WorkspaceId, doc: DocId): number {
    return this.workspaces.get(ws)?.docs.get(doc)?.log.length ?? 0
  }

  /** The committed log, in seq order (copies). */
  log(ws: WorkspaceId, doc: DocId): Array<SeqBlob> {
    return (this.workspaces.get(ws)?.docs.get(doc)?.log ?? []).map((r) => ({ seq: r.seq, bytes: r.bytes.slice() }))
  }

  /** A fresh document built from the log alone: the reference every client must equal (I3). */
  referenceDoc(ws: WorkspaceId, doc: DocId): LoroDoc {
    const ref = new LoroDoc()
    const log = this.log(ws, doc)
    if (log.length > 0) ref.importBatch(log.map((r) => r.bytes))
    return ref
  }
}
