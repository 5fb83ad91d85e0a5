import { DexieLocalStore } from "../db/DexieLocalStore.js"
import {
  CHANNEL_NAME,
  type ChannelMessage,
  LEADER_LOCK,
  parsePageMessage,
  parseWorkerEvent,
  type SyncStatusWire,
} from "./messages.js"
import { webLocksLock } from "./WebLocksLock.js"

export interface TabSyncSnapshot {
  /** This tab holds the leader lock and runs the sync worker. */
  readonly leader: boolean
  readonly statuses: ReadonlyMap<string, SyncStatusWire>
  /** The worker failed to start (shown in the status bar). */
  readonly workerError: string | undefined
  /** Bumped when another tab changed the workspace list. */
  readonly workspacesVersion: number
}

/**
 * This tab's end of cross-tab sync: the shared Dexie store, the BroadcastChannel, and the
 * leader election. Every tab queues for the Web Lock; the holder starts the sync worker.
 * When it closes, the browser releases the lock and the next tab in line takes over.
 */
export class TabSync {
  readonly store = new DexieLocalStore()
  private readonly channel = new BroadcastChannel(CHANNEL_NAME)
  private readonly messageListeners = new Set<(m: ChannelMessage) => void>()
  private readonly listeners = new Set<() => void>()
  private worker: Worker | undefined
  private snapshot: TabSyncSnapshot = {
    leader: false,
    statuses: new Map(),
    workerError: undefined,
    workspacesVersion: 0,
  }

  constructor() {
    this.channel.onmessage = (event: MessageEvent) => {
      const m = parsePageMessage(event.data)
      if (m === undefined) return
      if (m._tag === "StatusReport") {
        const statuses = new Map(this.snapshot.statuses)
        statuses.set(m.ws, m.status)
        this.update({ statuses })
      } else if (m._tag === "WorkspacesChanged") {
        this.update({ workspacesVersion: this.snapshot.workspacesVersion + 1 })
      }
      for (const l of this.messageListeners) l(m)
    }
    this.post({ _tag: "StatusRequest" })
    const network = () => this.post({ _tag: "NetworkChanged", online: navigator.onLine })
    addEventListener("online", network)
    addEventListener("offline", network)
    void webLocksLock()
      .acquire(LEADER_LOCK)
      .then(() => this.becomeLeader())
  }

  private becomeLeader(): void {
    document.documentElement.dataset.syncLeader = "true"
    this.update({ leader: true })
    const worker = new Worker(new URL("./sync.worker.ts", import.meta.url), { type: "module" })
    worker.onmessage = (event: MessageEvent) => {
      const e = parseWorkerEvent(event.data)
      if (e?._tag === "Crashed") this.update({ workerError: e.message })
    }
    worker.onerror = (event) => this.update({ workerError: event.message || "sync worker failed" })
    this.worker = worker
  }

  get isLeader(): boolean {
    return this.snapshot.leader
  }

  post(m: ChannelMessage): void {
    this.channel.postMessage(m)
  }

  /** Tells the other tabs and the leader that the workspace list changed. */
  workspacesChanged(): void {
    this.post({ _tag: "WorkspacesChanged" })
    this.update({ workspacesVersion: this.snapshot.workspacesVersion + 1 })
  }

  onMessage(listener: (m: ChannelMessage) => void): () => void {
    this.messageListeners.add(listener)
    return () => this.messageListeners.delete(listener)
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  readonly getSnapshot = (): TabSyncSnapshot => this.snapshot

  private update(patch: Partial<TabSyncSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch }
    for (const l of this.listeners) l()
  }

  /** For tests and page teardown; a closed tab releases the lock by itself. */
  stopWorker(): void {
    this.worker?.postMessage({ _tag: "Stop" })
  }
}
