import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"
import type { SeqBlob } from "../../protocol/updatesBody.js"
import type { Clock } from "../Clock.js"
import type { LocalStore } from "../LocalStore.js"
import { LoroDocHost } from "../LoroDocHost.js"
import { MemoryLocalStore } from "../MemoryLocalStore.js"
import { SyncEngine } from "../SyncEngine.js"
import type { Transport } from "../Transport.js"

export interface PeerOptions {
  readonly name: string
  readonly transport: Transport
  readonly workspaceId: WorkspaceId
  readonly docId: DocId
  readonly token: string
  readonly clock: Clock
  readonly random: () => number
  readonly store?: LocalStore
  readonly compactEvery?: number
  readonly compactSpread?: number
}

/**
 * A test client: real engine + real LoroDoc over a persisted store. `restart` throws away
 * the engine and the document (as a killed process would) and rebuilds both from the store.
 */
export class Peer {
  readonly store: LocalStore
  host!: LoroDocHost
  engine!: SyncEngine
  /** Every (seq, bytes) this peer stored from pulls/live, and the cursors it advanced to. */
  readonly seen = new Map<number, Uint8Array>()
  readonly cursors: Array<number> = []
  snapshotCursor = 0
  private keyCounter = 0

  constructor(readonly o: PeerOptions) {
    this.store = o.store ?? new MemoryLocalStore()
  }

  get doc(): LoroDoc {
    return this.host.doc
  }

  async start(): Promise<void> {
    this.host = LoroDocHost.fromStored(await this.store.loadDoc(this.o.workspaceId, this.o.docId))
    this.engine = await SyncEngine.start({
      store: this.store,
      transport: this.o.transport,
      host: this.host,
      workspaceId: this.o.workspaceId,
      docId: this.o.docId,
      token: this.o.token,
      clock: this.o.clock,
      random: this.o.random,
      newKey: () => `${this.o.name}-${Math.floor(this.o.random() * 1e9)}-${this.keyCounter++}`,
      pullLimit: 3,
      compactEvery: this.o.compactEvery ?? 7,
      // Exact compaction points unless a test asks for the spread.
      compactSpread: this.o.compactSpread ?? 0,
      onRemoteStored: (records: ReadonlyArray<SeqBlob>, cursor: number, viaSnapshot: boolean) => {
        if (viaSnapshot) this.snapshotCursor = Math.max(this.snapshotCursor, cursor)
        else for (const r of records) this.seen.set(r.seq, r.bytes)
        this.cursors.push(cursor)
      },
    })
  }

  /** Edits and commits; resolves once the commit is in the outbox. */
  async edit(f: (doc: LoroDoc) => void): Promise<void> {
    f(this.doc)
    this.doc.commit()
    await this.engine.flushLocal()
  }

  async restart(): Promise<void> {
    await this.engine.stop()
    await this.start()
  }
}
