import { randomBytes } from "node:crypto"
import { type DocId, MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import {
  type AckedEntry,
  type Clock,
  growLoroMemoryInSteps,
  HttpTransport,
  keepLoroHeadroom,
  type LocalStore,
  LoroDocHost,
  MemoryLocalStore,
  type OutboxEntry,
  type SeqBlob,
  SyncEngine,
  type SyncStatus,
  type Transport,
  TransportError,
  type WebSocketCtor,
} from "@vibestack/shared"
import type { LoroDoc } from "loro-crdt"
import * as loro from "loro-crdt"
import { WebSocket } from "ws"
import { FileLocalStore } from "./FileLocalStore.js"

export interface HeadlessOptions {
  /** Folder the local store lives in; reopen the same folder to resume after a kill. */
  readonly dir: string
  readonly docId?: DocId
  readonly fsync?: boolean
  readonly clock?: Clock
  readonly compactEvery?: number
  readonly requestTimeoutMs?: number
  readonly pingIntervalMs?: number
  /** Replaces the HTTP transport (e.g. to go through a fault proxy). */
  readonly transport?: Transport
  /**
   * `memory` keeps the local store in memory (benchmarks with many clients in one process:
   * nothing survives the process, `resume` cannot work); default `file` (in `dir`).
   */
  readonly store?: "file" | "memory"
  /** Pushes in flight on the socket at most (default 32). */
  readonly pushWindow?: number
}

const openStore = (o: HeadlessOptions): LocalStore =>
  o.store === "memory"
    ? new MemoryLocalStore()
    : new FileLocalStore(o.dir, o.fsync === undefined ? {} : { fsync: o.fsync })

type RemoteListener = (records: ReadonlyArray<SeqBlob>, at: number) => void
type AckListener = (acks: ReadonlyArray<AckedEntry>, at: number) => void

// Loro's memory grows in steps, not a garbage collection per 64 KiB page (loroMemory.ts).
growLoroMemoryInSteps(loro)

const newWorkspaceId = (): WorkspaceId => randomBytes(12).toString("base64url") as WorkspaceId

/**
 * A Node client running the same sync core as the browser worker: LoroDoc + SyncEngine +
 * HttpTransport (`ws` for the socket) + FileLocalStore. Used by tests, benchmarks, fault runs.
 * Pushes go over the live socket, pipelined, when it is up (HTTP otherwise), as in the app.
 */
export class HeadlessClient {
  private readonly remoteListeners = new Set<RemoteListener>()
  private readonly ackListeners = new Set<AckListener>()
  private readonly waiting = new Map<number, (seq: number) => void>()
  /** Acknowledgements nobody waited for yet (the latest 10,000), for an `acked` that comes late. */
  private readonly early = new Map<number, number>()
  engine!: SyncEngine

  private constructor(
    readonly workspaceId: WorkspaceId,
    readonly token: string,
    readonly store: LocalStore,
    readonly host: LoroDocHost,
  ) {}

  get doc(): LoroDoc {
    return this.host.doc
  }

  get status(): SyncStatus {
    return this.engine.getStatus()
  }

  private static transport(serverUrl: string, o: HeadlessOptions): Transport {
    return (
      o.transport ??
      new HttpTransport({
        baseUrl: serverUrl,
        WebSocket: WebSocket as unknown as WebSocketCtor,
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
        ...(o.pingIntervalMs ? { pingIntervalMs: o.pingIntervalMs } : {}),
      })
    )
  }

  /**
   * Creates a workspace on this device, then registers it. The creator key is stored first,
   * so a registration whose answer was lost is retried as the same creator.
   */
  static async create(serverUrl: string, name: string, o: HeadlessOptions): Promise<HeadlessClient> {
    const store = openStore(o)
    const workspaceId = newWorkspaceId()
    const creatorKey = randomBytes(16).toString("hex")
    const meta = {
      workspaceId,
      name,
      serverUrl,
      token: undefined,
      role: "master" as const,
      createdAt: Date.now(),
      creatorKey,
    }
    await store.putWorkspace(meta)
    const transport = HeadlessClient.transport(serverUrl, o)
    let masterToken: string | undefined
    for (let attempt = 0; masterToken === undefined; attempt++) {
      try {
        masterToken = (await transport.register(workspaceId, name, { creatorKey })).masterToken
      } catch (e) {
        if (!(e instanceof TransportError) || e.kind !== "Unavailable" || attempt >= 4) throw e
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt))
      }
    }
    await store.putWorkspace({ ...meta, token: masterToken })
    return HeadlessClient.start(serverUrl, workspaceId, masterToken, store, transport, o)
  }

  /** Opens (or resumes, from the folder) a workspace with a master or access token. */
  static async open(
    serverUrl: string,
    workspaceId: WorkspaceId,
    token: string,
    dirOrOptions: string | HeadlessOptions,
  ): Promise<HeadlessClient> {
    const o: HeadlessOptions = typeof dirOrOptions === "string" ? { dir: dirOrOptions } : dirOrOptions
    const store = openStore(o)
    const transport = HeadlessClient.transport(serverUrl, o)
    const meta = await store.getWorkspace(workspaceId)
    if (!meta || meta.token !== token) {
      // Role is informational here; the server enforces it. A new token clears a fatal
      // reason recorded for the old one (C6).
      const info = await transport.info(token, workspaceId).catch(() => undefined)
      const { fatal: _, ...kept } = meta ?? { createdAt: Date.now() }
      await store.putWorkspace({
        ...kept,
        workspaceId,
        name: info?.name ?? meta?.name ?? workspaceId,
        serverUrl,
        token,
        role: info?.role ?? meta?.role ?? "editor",
      })
    }
    return HeadlessClient.start(serverUrl, workspaceId, token, store, transport, o)
  }

  /** Resumes a workspace this folder already holds (after a restart or a kill), with its stored token. */
  static async resume(workspaceId: WorkspaceId, o: HeadlessOptions): Promise<HeadlessClient> {
    const meta = await new FileLocalStore(o.dir, { fsync: false }).getWorkspace(workspaceId)
    if (!meta?.token) throw new Error(`workspace ${workspaceId} is not registered in ${o.dir}`)
    if (meta.fatal)
      throw new Error(`workspace ${workspaceId} stopped syncing: ${meta.fatal.kind}: ${meta.fatal.message}`)
    return HeadlessClient.open(meta.serverUrl, workspaceId, meta.token, o)
  }

  private static async start(
    _serverUrl: string,
    workspaceId: WorkspaceId,
    token: string,
    store: LocalStore,
    transport: Transport,
    o: HeadlessOptions,
  ): Promise<HeadlessClient> {
    const docId = o.docId ?? MAIN_DOC
    const stored = await store.loadDoc(workspaceId, docId)
    const host = LoroDocHost.fromStored(stored)
    const client = new HeadlessClient(workspaceId, token, store, host)
    client.engine = await SyncEngine.start({
      store,
      stored,
      transport,
      host,
      workspaceId,
      docId,
      token,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.compactEvery ? { compactEvery: o.compactEvery } : {}),
      ...(o.pushWindow ? { pushWindow: o.pushWindow } : {}),
      onRemoteStored: (records) => {
        const at = performance.now()
        for (const l of client.remoteListeners) l(records, at)
      },
      onPushAcked: (acks) => {
        const at = performance.now()
        for (const l of client.ackListeners) l(acks, at)
        for (const a of acks) {
          const waiter = client.waiting.get(a.id)
          client.waiting.delete(a.id)
          if (waiter !== undefined) waiter(a.seq)
          else {
            client.early.set(a.id, a.seq)
            if (client.early.size > 10_000) client.early.delete(client.early.keys().next().value!)
          }
        }
      },
    })
    return client
  }

  /**
   * Runs `fn` on the document and commits; resolves once the commit is in the outbox (C1),
   * with its outbox entry (`acked(entry.id)` waits for the server).
   */
  async edit(fn: (doc: LoroDoc) => void): Promise<OutboxEntry> {
    fn(this.doc)
    this.doc.commit()
    keepLoroHeadroom()
    const entry = await this.engine.flushLocal()
    if (entry === undefined) throw new Error("the edit changed nothing, or could not be saved")
    return entry
  }

  /**
   * Resolves with the seq the server gave outbox entry `id` once its acknowledgement is
   * persisted (also when it came before this call, among the latest 10,000).
   */
  acked(id: number): Promise<number> {
    const seq = this.early.get(id)
    this.early.delete(id)
    return seq !== undefined ? Promise.resolve(seq) : new Promise((resolve) => this.waiting.set(id, resolve))
  }

  /** Remote updates as they are stored (live or pulled), with `performance.now()` at arrival. */
  onRemote(listener: RemoteListener): () => void {
    this.remoteListeners.add(listener)
    return () => this.remoteListeners.delete(listener)
  }

  /** Acknowledgements as they are persisted, in order, with `performance.now()`. */
  onAck(listener: AckListener): () => void {
    this.ackListeners.add(listener)
    return () => this.ackListeners.delete(listener)
  }

  waitIdle(timeoutMs?: number): Promise<void> {
    return this.engine.waitIdle(timeoutMs)
  }

  close(): Promise<void> {
    return this.engine.stop()
  }
}
