import fc from "fast-check"
import { expect } from "vitest"
import { SNAPSHOT_TAIL_UPDATES } from "../../../store/snapshotTail.js"
import { liveClient } from "../../liveClient.js"
import { authOutcome, DOCS, type Model, SLOTS, stateOf } from "./Model.js"
import { checkHeads, checkSockets, type Real, WAIT_MS } from "./Real.js"

/**
 * The L5 commands. Each reads what it needs from the model (token and backup picks are
 * taken modulo the model's lists, so a shrunk sequence still means something), runs
 * against the real server, and compares the answer with what the model says before
 * updating the model.
 */
type Cmd = fc.AsyncCommand<Model, Real>

const expectError = (r: { status: number; json: any }, status: number, what: string) => {
  expect(r.status, `${what}: ${JSON.stringify(r.json)}`).toBe(status)
  // S10: one error shape.
  expect(typeof r.json?.error?.kind, `${what}: error body`).toBe("string")
}

type Blob = "fresh" | "chain" | "noKey" | "retry" | "retryOtherBytes" | "otherDocKey" | "garbage" | "gap"

const keyed = (m: Model, doc: string) => m.log(doc).filter((r) => r.key !== undefined)
const otherDocKeys = (m: Model, doc: string) => {
  const other = DOCS.find((d) => d !== doc)!
  return keyed(m, other).filter((r) => m.seqOfKey(doc, r.key!) === undefined)
}

export class PushCmd implements Cmd {
  /** Set by run: whether it went over a live socket (stats only). */
  usedSocket = false
  constructor(
    readonly doc: number,
    readonly who: number,
    readonly via: number | undefined,
    readonly blob: Blob,
    readonly pick: number,
  ) {}
  private slot(m: Model) {
    return this.via !== undefined && m.sockets[this.via] !== undefined ? this.via : undefined
  }
  check(m: Model) {
    const doc = DOCS[this.doc]!
    if (this.blob === "retry" || this.blob === "retryOtherBytes") return keyed(m, doc).length > 0
    if (this.blob === "otherDocKey") return otherDocKeys(m, doc).length > 0
    // A socket push always carries a key.
    if (this.blob === "noKey") return this.slot(m) === undefined
    return true
  }
  async run(m: Model, r: Real) {
    const docId = DOCS[this.doc]!
    const slot = this.slot(m)
    this.usedSocket = slot !== undefined
    const ti = slot === undefined ? m.token(this.who) : m.sockets[slot]!.token
    const t = m.tokens[ti]!
    let key: string | undefined = `k${r.next()}`
    let bytes: Uint8Array
    let ack: (() => void) | undefined
    let first: number | undefined
    switch (this.blob) {
      case "fresh":
        bytes = r.freshUpdate()
        break
      case "noKey":
        key = undefined
        bytes = r.freshUpdate()
        break
      case "chain":
        ;({ bytes, ack } = r.chainUpdate(docId))
        break
      case "retry":
      case "retryOtherBytes": {
        const rec = keyed(m, docId)[this.pick % keyed(m, docId).length]!
        key = rec.key
        first = rec.seq
        // S3: a retry is answered by the key alone, whatever bytes come with it.
        bytes = this.blob === "retry" ? rec.bytes : r.freshUpdate()
        break
      }
      case "otherDocKey": {
        const recs = otherDocKeys(m, docId)
        key = recs[this.pick % recs.length]!.key
        bytes = r.freshUpdate()
        break
      }
      case "garbage":
        bytes = r.garbage(this.pick)
        break
      case "gap":
        bytes = r.missingDependency(docId)
        break
    }
    // What the model expects: refusal by token (S6, S7), by bytes (S4), a duplicate (S3) or the next seq (S2).
    const refusedBy = slot === undefined ? authOutcome(t, "write") : t.role === "viewer" ? 403 : undefined
    const invalid = this.blob === "garbage" || this.blob === "gap"
    const expectedStatus = refusedBy ?? (invalid ? 422 : 200)
    let answer: { status: number; seq?: number; duplicate?: boolean }
    if (slot === undefined) {
      const res = await r.http.push(r.ws, r.tokens[ti]!.token, bytes, key, docId)
      if (res.status !== 200) expectError(res, expectedStatus, `push ${this}`)
      answer = { status: res.status, ...res.json }
    } else {
      const client = r.sockets[slot]!
      const requestId = ++r.requestId
      client.push(docId, requestId, key!, bytes)
      const reply = await client.waitFor(
        () =>
          client.texts.find((x) => (x._tag === "PushAck" || x._tag === "PushRejected") && x.requestId === requestId),
        WAIT_MS,
      )
      const kindStatus: Record<string, number> = { Forbidden: 403, InvalidUpdate: 422, Unauthorized: 401 }
      answer =
        reply._tag === "PushAck"
          ? { status: 200, seq: reply.seq, duplicate: reply.duplicate }
          : { status: kindStatus[reply.error.kind] ?? 500 }
    }
    expect(answer.status, `push ${this}: ${JSON.stringify(answer)}`).toBe(expectedStatus)
    if (expectedStatus === 200) {
      if (first !== undefined) expect(answer).toEqual({ status: 200, seq: first, duplicate: true })
      else {
        expect(answer).toEqual({ status: 200, seq: m.head(docId) + 1, duplicate: false })
        m.append(docId, bytes, key)
        ack?.()
      }
    }
    await checkHeads(m, r)
    await checkSockets(m, r)
  }
  toString() {
    return `Push(${DOCS[this.doc]}, token#${this.who}, ${this.via === undefined ? "http" : `socket${this.via}`}, ${this.blob}, ${this.pick})`
  }
}

export class PullCmd implements Cmd {
  constructor(
    readonly doc: number,
    readonly who: number,
    readonly after: number,
    readonly limit: number | undefined,
  ) {}
  check() {
    return true
  }
  async run(m: Model, r: Real) {
    const docId = DOCS[this.doc]!
    const ti = m.token(this.who)
    const after = this.after % (m.head(docId) + 3)
    if (authOutcome(m.tokens[ti]!, "read") !== undefined) {
      expectError(await r.http.pull(r.ws, r.tokens[ti]!.token, after, this.limit, docId), 401, `pull ${this}`)
      return
    }
    const got = await r.pullAll(r.ws, r.tokens[ti]!.token, docId, after, this.limit)
    const expected = m.log(docId).filter((x) => x.seq > after)
    expect(
      got.map((x) => x.seq),
      `pull ${this}`,
    ).toEqual(expected.map((x) => x.seq))
    got.forEach((x, i) => expect(Buffer.from(x.bytes).equals(Buffer.from(expected[i]!.bytes))).toBe(true))
  }
  toString() {
    return `Pull(${DOCS[this.doc]}, token#${this.who}, after ${this.after}, limit ${this.limit ?? "-"})`
  }
}

export class ReconnectCmd implements Cmd {
  constructor(
    readonly slot: number,
    readonly who: number,
    readonly subscribe: ReadonlyArray<boolean>,
  ) {}
  check() {
    return true
  }
  async run(m: Model, r: Real) {
    const old = r.sockets[this.slot]
    if (old !== undefined) {
      old.socket.close()
      await old.closed
    }
    r.sockets[this.slot] = undefined
    m.sockets[this.slot] = undefined
    const ti = m.token(this.who)
    const t = m.tokens[ti]!
    const c = liveClient(r.base, r.ws)
    await c.opened
    c.sendJson({ _tag: "Auth", token: r.tokens[ti]!.token, protocolVersion: 1 })
    if (t.revoked) {
      // S8: a revoked token cannot open a socket again.
      expect((await c.closed).code, `reconnect ${this}`).toBe(4001)
      return
    }
    const ok = await c.waitFor(() => c.texts.find((x) => x._tag === "AuthOk"), WAIT_MS)
    expect(ok.role).toBe(t.role)
    expect(
      [...ok.docs].sort((a: { docId: string }, b: { docId: string }) => (a.docId < b.docId ? -1 : 1)),
      "AuthOk.docs",
    ).toEqual(m.heads())
    const subscribed = new Map<string, number>()
    for (const [i, docId] of DOCS.entries()) {
      if (!this.subscribe[i]) continue
      c.sendJson({ _tag: "Subscribe", docId })
      const s = await c.waitFor(() => c.texts.find((x) => x._tag === "Subscribed" && x.docId === docId), WAIT_MS)
      // S9: the cursor is the newest committed seq when the subscription started.
      expect(s.cursor, `Subscribed.cursor of ${docId}`).toBe(m.head(docId))
      subscribed.set(docId, s.cursor)
    }
    r.sockets[this.slot] = c
    m.sockets[this.slot] = { token: ti, subscribed }
    await checkSockets(m, r)
  }
  toString() {
    return `Reconnect(socket${this.slot}, token#${this.who}, ${DOCS.filter((_, i) => this.subscribe[i]).join("+") || "no docs"})`
  }
}

export class MintCmd implements Cmd {
  constructor(
    readonly role: "editor" | "viewer",
    readonly who: number,
  ) {}
  check() {
    return true
  }
  async run(m: Model, r: Real) {
    const ti = m.token(this.who)
    const res = await r.http.call("POST", `/api/v1/workspaces/${r.ws}/tokens`, {
      token: r.tokens[ti]!.token,
      json: { role: this.role },
    })
    const refused = authOutcome(m.tokens[ti]!, "master")
    if (refused !== undefined) return expectError(res, refused, `mint ${this}`)
    expect(res.status, JSON.stringify(res.json)).toBe(201)
    expect(res.json.role).toBe(this.role)
    r.tokens.push({ token: res.json.token, tokenId: res.json.tokenId })
    m.tokens.push({ role: this.role, revoked: false })
  }
  toString() {
    return `Mint(${this.role}, by token#${this.who})`
  }
}

export class RevokeCmd implements Cmd {
  constructor(
    readonly target: number,
    readonly who: number,
    readonly master: boolean,
  ) {}
  check() {
    return true
  }
  async run(m: Model, r: Real) {
    const ti = m.token(this.who)
    // Index 0 is the master; any other index is an access token (perhaps revoked already).
    const target = this.master ? 0 : 1 + (this.target % (m.tokens.length - 1))
    const res = await r.http.call("DELETE", `/api/v1/workspaces/${r.ws}/tokens/${r.tokens[target]!.tokenId}`, {
      token: r.tokens[ti]!.token,
    })
    const refused = authOutcome(m.tokens[ti]!, "master")
    if (refused !== undefined) return expectError(res, refused, `revoke ${this}`)
    if (target === 0) return expectError(res, 404, `revoke ${this}: the master token cannot be revoked`)
    expect(res.status, JSON.stringify(res.json)).toBe(204)
    m.tokens[target]!.revoked = true
    // S8: its sockets are closed with 4011.
    for (const [slot, s] of m.sockets.entries()) {
      if (s?.token !== target) continue
      const closed = await Promise.race([
        r.sockets[slot]!.closed,
        new Promise<{ code: number }>((res) => setTimeout(() => res({ code: -1 }), WAIT_MS)),
      ])
      expect(closed.code, `socket${slot} of the revoked token`).toBe(4011)
      m.sockets[slot] = undefined
      r.sockets[slot] = undefined
    }
    // S7: the next request with it is refused.
    expectError(await r.http.pull(r.ws, r.tokens[target]!.token, 0), 401, "pull with a revoked token")
  }
  toString() {
    return `Revoke(${this.master ? "master" : `access#${this.target}`}, by token#${this.who})`
  }
}

export class BackupCmd implements Cmd {
  constructor(readonly who: number) {}
  check() {
    return true
  }
  async run(m: Model, r: Real) {
    const ti = m.token(this.who)
    const res = await r.http.call("POST", `/api/v1/workspaces/${r.ws}/backups`, { token: r.tokens[ti]!.token })
    const refused = authOutcome(m.tokens[ti]!, "master")
    if (refused !== undefined) return expectError(res, refused, `backup ${this}`)
    expect(res.status, JSON.stringify(res.json)).toBe(201)
    const docs = (res.json.docs as Array<{ docId: string; cursor: number }>)
      .map(({ docId, cursor }) => ({ docId, cursor }))
      .sort((a, b) => (a.docId < b.docId ? -1 : 1))
    expect(docs, "the backup covers every document at its head").toEqual(m.heads())
    m.backups.push({ index: r.backupIds.length, heads: new Map(docs.map((d) => [d.docId, d.cursor])) })
    r.backupIds.push(res.json.backupId)
  }
  toString() {
    return `Backup(by token#${this.who})`
  }
}

export class RestoreCmd implements Cmd {
  constructor(
    readonly backup: number,
    readonly mode: "revert" | "fork",
    readonly who: number,
  ) {}
  check(m: Model) {
    return m.backups.length > 0
  }
  async run(m: Model, r: Real) {
    const b = m.backups[this.backup % m.backups.length]!
    const ti = m.token(this.who)
    const res = await r.http.call("POST", `/api/v1/workspaces/${r.ws}/backups/${r.backupIds[b.index]}/restore`, {
      token: r.tokens[ti]!.token,
      json: this.mode === "fork" ? { mode: "fork", name: "L5 fork" } : { mode: "revert" },
    })
    const refused = authOutcome(m.tokens[ti]!, "master")
    if (refused !== undefined) return expectError(res, refused, `restore ${this}`)
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    // The state a document had in the backup; a document created after it goes back to empty.
    const target = (docId: string) => (b.heads.has(docId) ? m.state(docId, b.heads.get(docId)) : {})
    if (this.mode === "fork") {
      const { workspaceId, masterToken } = res.json
      expect(workspaceId).not.toBe(r.ws)
      const forkHeads = await r.heads(workspaceId, masterToken)
      expect(forkHeads.map((d) => d.docId)).toEqual([...b.heads.keys()].sort())
      for (const { docId } of forkHeads)
        expect(stateOf(await r.pullAll(workspaceId, masterToken, docId, 0)), `fork's ${docId}`).toEqual(target(docId))
    } else {
      const reverted = res.json.docs as Array<{ docId: string; seq: number | null }>
      const expectedDocs = new Set([...b.heads.keys(), ...m.heads().map((d) => d.docId)])
      expect(reverted.map((d) => d.docId).sort()).toEqual([...expectedDocs].sort())
      for (const { docId, seq } of reverted) {
        if (seq !== null) {
          expect(seq, `revert of ${docId} is the next seq`).toBe(m.head(docId) + 1)
          const rec = await r.pullAll(r.ws, r.master, docId, m.head(docId))
          expect(rec.map((x) => x.seq)).toEqual([seq])
          // The revert's bytes are the server's own; the model adopts them and checks what they do.
          m.append(docId, rec[0]!.bytes, undefined)
        }
        expect(m.state(docId), `${docId} after revert (seq ${seq})`).toEqual(target(docId))
      }
    }
    await checkHeads(m, r)
    await checkSockets(m, r)
  }
  toString() {
    return `Restore(backup#${this.backup}, ${this.mode}, by token#${this.who})`
  }
}

export class SnapshotCmd implements Cmd {
  constructor(
    readonly doc: number,
    readonly who: number,
  ) {}
  check(m: Model) {
    return m.head(DOCS[this.doc]!) > 0
  }
  async run(m: Model, r: Real) {
    const docId = DOCS[this.doc]!
    const ti = m.token(this.who)
    const res = await r.http.call("GET", `/api/v1/workspaces/${r.ws}/docs/${docId}/snapshot`, {
      token: r.tokens[ti]!.token,
    })
    const refused = authOutcome(m.tokens[ti]!, "read")
    if (refused !== undefined) return expectError(res, refused, `snapshot ${this}`)
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    // A stored snapshot a few updates behind the head may be served as is (the client pulls
    // the rest): the cursor is at most SNAPSHOT_TAIL_UPDATES behind, and the bytes are the log's prefix.
    const cursor = Number(res.headers.get("x-vibestack-cursor"))
    expect(cursor, "snapshot cursor").toBeLessThanOrEqual(m.head(docId))
    expect(cursor, "snapshot cursor").toBeGreaterThanOrEqual(Math.max(1, m.head(docId) - SNAPSHOT_TAIL_UPDATES))
    // It holds exactly that prefix of the log: nothing from refused or duplicate pushes.
    expect(stateOf([{ bytes: res.bytes }]), `snapshot of ${docId}`).toEqual(m.state(docId, cursor))
  }
  toString() {
    return `Snapshot(${DOCS[this.doc]}, token#${this.who})`
  }
}

const doc = fc.integer({ min: 0, max: DOCS.length - 1 })
const who = fc.nat(30)
const pick = fc.nat(1000)
/** Master-only actions: half of them by the master, the rest by whichever token (refused). */
const byMaster = fc.oneof(fc.constant(0), who)

export interface MixOptions {
  /**
   * Include retries that send the stored key with different (valid) bytes. Off in the
   * quick tier: the server answers them correctly but keeps their ops in its copy of the
   * document (see faults/model/README.md, "Found"), which later snapshots, backups and
   * reverts expose; the full tier runs them in a test of their own.
   */
  readonly retryWithOtherBytes: boolean
}

/** The command mix (fast-check picks an arbitrary uniformly): pushes most, then the rest. */
export const commandArbitraries = (options: MixOptions): Array<fc.Arbitrary<Cmd>> => {
  const retries: Array<Blob> = ["retry", "otherDocKey", "noKey"]
  if (options.retryWithOtherBytes) retries.push("retryOtherBytes")
  const blob = fc.oneof(
    { arbitrary: fc.constantFrom<Blob>("fresh", "chain"), weight: 6 },
    { arbitrary: fc.constantFrom<Blob>(...retries), weight: 3 },
    { arbitrary: fc.constantFrom<Blob>("garbage", "gap"), weight: 1 },
  )
  const push = fc
    .tuple(doc, who, fc.option(fc.integer({ min: 0, max: SLOTS - 1 }), { nil: undefined, freq: 2 }), blob, pick)
    .map(([d, w, v, b, p]) => new PushCmd(d, w, v, b, p))
  return [
    push,
    push,
    push,
    push,
    fc
      .tuple(doc, who, fc.nat(50), fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }))
      .map(([d, w, a, l]) => new PullCmd(d, w, a, l)),
    fc
      .tuple(
        fc.integer({ min: 0, max: SLOTS - 1 }),
        who,
        fc.array(fc.boolean(), { minLength: DOCS.length, maxLength: DOCS.length }),
      )
      .map(([s, w, subs]) => new ReconnectCmd(s, w, subs)),
    fc.tuple(fc.constantFrom("editor" as const, "viewer" as const), byMaster).map(([role, w]) => new MintCmd(role, w)),
    fc
      .tuple(
        pick,
        byMaster,
        fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      )
      .map(([t, w, master]) => new RevokeCmd(t, w, master)),
    byMaster.map((w) => new BackupCmd(w)),
    fc
      .tuple(pick, fc.constantFrom("revert" as const, "fork" as const), byMaster)
      .map(([b, mode, w]) => new RestoreCmd(b, mode, w)),
    fc.tuple(doc, who).map(([d, w]) => new SnapshotCmd(d, w)),
  ]
}
