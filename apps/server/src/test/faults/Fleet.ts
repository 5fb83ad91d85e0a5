import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HeadlessClient } from "@vibestack/headless"
import type { WorkspaceId } from "@vibestack/schema"
import { HttpTransport, type WebSocketCtor } from "@vibestack/shared"
import { WebSocket } from "ws"
import { api } from "../http.js"
import type { AuditLog } from "./AuditTransport.js"
import type { CheckedClient } from "./checkInvariants.js"
import { applyFaultEdit, pushNotesFixture } from "./faultEdits.js"

export interface FleetOptions {
  /** Where clients connect (a proxy's url, or the server's). */
  readonly url: string
  /** The server itself, for minting tokens and reading the head (never through faults). */
  readonly directUrl: string
  readonly clients: number
  readonly audit: AuditLog
  readonly requestTimeoutMs?: number
  readonly pingIntervalMs?: number
}

interface Member {
  readonly name: string
  readonly dir: string
  client: HeadlessClient
  readonly cursorSamples: Array<number>
}

/**
 * N headless clients of one workspace, each with its own folder-backed store, all going
 * through the audit log (and whatever proxy `url` is). Client 0 created the workspace.
 */
export class Fleet {
  private sampler: ReturnType<typeof setInterval> | undefined
  private constructor(
    readonly o: FleetOptions,
    readonly workspaceId: WorkspaceId,
    readonly masterToken: string,
    readonly members: Array<Member>,
  ) {
    this.sampler = setInterval(() => this.sampleCursors(), 100)
  }

  private static transport(o: FleetOptions, name: string) {
    return o.audit.wrap(
      name,
      new HttpTransport({
        baseUrl: o.url,
        WebSocket: WebSocket as unknown as WebSocketCtor,
        requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
        pingIntervalMs: o.pingIntervalMs ?? 1_000,
      }),
    )
  }

  static async create(o: FleetOptions): Promise<Fleet> {
    const members: Array<Member> = []
    const dir0 = await mkdtemp(join(tmpdir(), "vibestack-fleet-"))
    const c0 = await HeadlessClient.create(o.url, "faults", {
      dir: dir0,
      fsync: false,
      transport: Fleet.transport(o, "c0"),
    })
    members.push({ name: "c0", dir: dir0, client: c0, cursorSamples: [] })
    // The shared notes task every writer's text edits go to (see faultEdits.ts).
    await pushNotesFixture(o.directUrl, c0.workspaceId, c0.token, o.audit)
    for (let i = 1; i < o.clients; i++) {
      const name = `c${i}`
      const { token } = await api(o.directUrl).mint(c0.workspaceId, c0.token, "editor")
      const dir = await mkdtemp(join(tmpdir(), "vibestack-fleet-"))
      const client = await HeadlessClient.open(o.url, c0.workspaceId, token, {
        dir,
        fsync: false,
        transport: Fleet.transport(o, name),
      })
      members.push({ name, dir, client, cursorSamples: [] })
    }
    return new Fleet(o, c0.workspaceId, c0.token, members)
  }

  private sampleCursors(): void {
    for (const m of this.members) m.cursorSamples.push(m.client.engine.cursor)
  }

  /** One random edit by client `i`: a keyed value, a text insert or a log entry (`applyFaultEdit`). */
  async edit(i: number, n: number): Promise<void> {
    const m = this.members[i]!
    await m.client.edit((d) => applyFaultEdit(d, m.name, n, 11))
  }

  /** Closes client `i` and resumes it from its folder, like a process restart. */
  async restartClient(i: number): Promise<void> {
    const m = this.members[i]!
    await m.client.close()
    this.sampleCursors()
    m.client = await HeadlessClient.resume(this.workspaceId, {
      dir: m.dir,
      fsync: false,
      transport: Fleet.transport(this.o, m.name),
    })
  }

  /** The network came back (what a browser's `online` event does): reconnect now, not at the next backoff. */
  nudge(): void {
    for (const m of this.members) {
      m.client.engine.setOnline(false)
      m.client.engine.setOnline(true)
    }
  }

  /** The server's head for the document, asked directly. */
  async head(): Promise<number> {
    const r = await api(this.o.directUrl).call("GET", `/api/v1/workspaces/${this.workspaceId}`, {
      token: this.masterToken,
    })
    if (r.status !== 200) throw new Error(`info ${r.status}`)
    return (
      (r.json as { docs: Array<{ docId: string; cursor: number }> }).docs.find((d) => d.docId === "main")?.cursor ?? 0
    )
  }

  /**
   * Waits until every client has an empty outbox, is live and has pulled up to the server's
   * head (bounded by `timeoutMs`); throws with every client's status otherwise.
   */
  async quiesce(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      let head = -1
      try {
        head = await this.head()
      } catch {}
      const quiet = this.members.every((m) => {
        const s = m.client.status
        return s.state === "live" && s.pending === 0 && m.client.engine.cursor === head
      })
      if (quiet) return
      if (process.env.VIBESTACK_FAULT_DEBUG && Date.now() % 2000 < 100)
        console.log(`[faults] quiesce head ${head}: ${this.describe()}`)
      if (Date.now() > deadline) throw new Error(`not quiet after ${timeoutMs} ms (head ${head}): ${this.describe()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  describe(): string {
    return this.members
      .map((m) => `${m.name} ${JSON.stringify(m.client.status)} cursor ${m.client.engine.cursor}`)
      .join("; ")
  }

  checked(): Array<CheckedClient> {
    this.sampleCursors()
    return this.members.map((m) => ({ name: m.name, client: m.client, cursorSamples: m.cursorSamples }))
  }

  async close(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler)
    for (const m of this.members) await m.client.close().catch(() => {})
    for (const m of this.members) await rm(m.dir, { recursive: true, force: true })
  }
}
