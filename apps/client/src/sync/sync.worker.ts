/// <reference lib="webworker" />
import { MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { SyncEngine, type SyncError, type SyncStatus, TransportError, type WorkspaceMeta } from "@vibestack/shared"
import { DexieLocalStore } from "../db/DexieLocalStore.js"
import { loadLoro } from "./loroReady.js"
import { type ChannelMessage, documentChannels, parseWorkerCommand, type SyncStatusWire } from "./messages.js"
import { makeTransport, prefetchingSnapshots } from "./transport.js"
import { tabCommitStore, WorkerDocHost } from "./WorkerDocHost.js"

/**
 * The sync leader: started by the one tab holding the leader lock, it runs one SyncEngine per
 * registered workspace (all of them, not only the ones open in tabs: local-first means data
 * keeps flowing in the background), registers workspaces created offline, and speaks to every
 * tab over the BroadcastChannel. It dies with its tab; the next leader resumes from Dexie.
 */
declare const self: DedicatedWorkerGlobalScope

const store = new DexieLocalStore()
const { transport, prefetch } = prefetchingSnapshots(makeTransport(self.location.origin))
const channel = documentChannels((m) => onChannelMessage(m))
const post = (m: ChannelMessage): void => channel.post(m)

interface Running {
  readonly engine: SyncEngine
  readonly host: WorkerDocHost
  readonly remember: ReturnType<typeof tabCommitStore>["remember"]
  /** The token it runs with: joining again with a new link restarts it. */
  readonly token: string
}

const running = new Map<string, Running>()
const starting = new Map<string, Promise<void>>()
const statuses = new Map<string, SyncStatusWire>()
/** Tab commits that arrived while their engine was starting: replayed once it runs. */
const early = new Map<string, Array<Extract<ChannelMessage, { _tag: "LocalCommit" }>>>()
let stopped = false

const report = (ws: string, status: SyncStatus | SyncStatusWire): void => {
  const wire: SyncStatusWire = {
    state: status.state,
    online: status.online,
    pending: status.pending,
    oldestPendingAt: status.oldestPendingAt,
    lastSyncedAt: status.lastSyncedAt,
    error: status.error,
    rejected: status.rejected,
  }
  statuses.set(ws, wire)
  post({ _tag: "StatusReport", ws, status: wire })
}

const startEngine = async (meta: WorkspaceMeta & { readonly token: string }): Promise<void> => {
  const ws = meta.workspaceId
  const { host, stored } = await WorkerDocHost.load(store, ws, MAIN_DOC)
  const wrapped = tabCommitStore(store)
  const engine = await SyncEngine.start({
    store: wrapped.store,
    stored,
    transport,
    host,
    workspaceId: ws,
    docId: MAIN_DOC,
    token: meta.token,
    online: self.navigator.onLine,
    // A new device's snapshot goes to the tabs as it arrives, not after this worker stored it;
    // once stored, only a notice follows: a replica that opened in between may have read the
    // store before the write, and reads it again (sending the bytes twice cost every listener a
    // second copy and import: tens of MB at 100,000 tasks).
    onSnapshotFetched: (bytes, cursor) =>
      post({ _tag: "RemoteUpdates", ws, doc: MAIN_DOC, updates: [bytes], snapshot: cursor }),
    onRemoteStored: (records, cursor, viaSnapshot) => {
      if (viaSnapshot) post({ _tag: "SnapshotStored", ws, doc: MAIN_DOC, cursor })
      else if (records.length > 0)
        post({ _tag: "RemoteUpdates", ws, doc: MAIN_DOC, updates: records.map((r) => r.bytes) })
    },
    // Refused changes were taken out of the stored document: every tab opens it again.
    onDocReset: () => post({ _tag: "DocReset", ws, doc: MAIN_DOC }),
    // A retried refused change: tabs import it like another tab's commit.
    onCommitAdded: (e) =>
      post({
        _tag: "LocalCommit",
        ws,
        doc: MAIN_DOC,
        id: e.id,
        idempotencyKey: e.idempotencyKey,
        bytes: e.bytes,
        createdAt: e.createdAt,
      }),
  })
  const r: Running = { engine, host, remember: wrapped.remember, token: meta.token }
  running.set(ws, r)
  for (const m of early.get(ws) ?? []) acceptCommit(r, m)
  early.delete(ws)
  engine.subscribe((s) => {
    report(ws, s)
    if (s.state === "stopped" && s.error !== undefined && running.get(ws) === r) void stopFatal(ws, r, s.error)
  })
  report(ws, engine.getStatus())
}

/**
 * The server refused this token for good (revoked or expired, app too old; C6): record why on
 * the workspace in the server's words (tabs turn read-only and say so) and forget the engine,
 * so joining again with a new link starts a fresh one. A refused change never gets here.
 */
const stopFatal = async (ws: string, r: Running, error: SyncError): Promise<void> => {
  running.delete(ws)
  const meta = await store.getWorkspace(ws as WorkspaceMeta["workspaceId"])
  if (meta !== undefined && meta.token === r.token && meta.fatal === undefined)
    await store.putWorkspace({ ...meta, fatal: { kind: error.kind, message: error.message } })
  post({ _tag: "WorkspacesChanged" })
}

/**
 * The engine that runs with the workspace's stored token. A retry right after joining again with
 * an editor link must not go to the viewer's engine that is still running (it would be refused
 * again): scan first, and wait for a restart it starts.
 */
const currentEngine = async (ws: string): Promise<Running | undefined> => {
  await scan()
  await starting.get(ws)
  const meta = await store.getWorkspace(ws as WorkspaceMeta["workspaceId"])
  const r = running.get(ws)
  return r !== undefined && meta !== undefined && r.token === meta.token ? r : undefined
}

const acceptCommit = (r: Running, m: Extract<ChannelMessage, { _tag: "LocalCommit" }>): void => {
  r.remember(m.bytes, {
    id: m.id,
    bytes: m.bytes,
    idempotencyKey: m.idempotencyKey,
    createdAt: m.createdAt ?? Date.now(),
  })
  r.host.acceptTabCommit(m.bytes)
}

/** Registers a workspace created on this device; the creator key makes a retry after a lost answer safe. */
const register = async (meta: WorkspaceMeta): Promise<WorkspaceMeta | undefined> => {
  try {
    const options = meta.creatorKey !== undefined ? { creatorKey: meta.creatorKey } : undefined
    const { masterToken } = await transport.register(meta.workspaceId, meta.name, options)
    const next = { ...meta, token: masterToken, role: "master" as const }
    await store.putWorkspace(next)
    post({ _tag: "WorkspacesChanged" })
    return next
  } catch (e) {
    const outbox = await store.outboxStats(meta.workspaceId, MAIN_DOC)
    const unregistered: SyncStatusWire = {
      state: "unregistered",
      online: false,
      pending: outbox.count,
      oldestPendingAt: outbox.oldestAt,
      lastSyncedAt: undefined,
      error: undefined,
      rejected: outbox.rejected,
    }
    report(
      meta.workspaceId,
      e instanceof TransportError ? { ...unregistered, error: { kind: e.kind, message: e.message } } : unregistered,
    )
    return undefined
  }
}

/**
 * A workspace this device has stored nothing of (just joined) gets its snapshot requested now,
 * while Loro compiles; its engine takes the answer when it starts (`prefetchingSnapshots`).
 */
const prefetchNewDevices = async (): Promise<void> => {
  const idle = (ws: WorkspaceId) => !running.has(ws) && !starting.has(ws)
  for (const meta of await store.listWorkspaces()) {
    const ws = meta.workspaceId
    if (meta.token === undefined || meta.fatal !== undefined || !idle(ws)) continue
    // Its engine may have started meanwhile: then it asked for the snapshot itself.
    if (!(await store.hasDoc(ws, MAIN_DOC)) && idle(ws)) prefetch(meta.token, ws, MAIN_DOC)
  }
}

/**
 * Starts an engine for every workspace that can sync and has none yet, and restarts one whose
 * token changed (joined again with a new link: a viewer becoming an editor, or after a fatal).
 */
const scan = async (): Promise<void> => {
  // Only a head start: an error here is the engine's to meet when it asks. Its request goes out
  // before Loro's compile takes this thread (loroReady.ts), so the server's answer overlaps it.
  await prefetchNewDevices().catch(() => undefined)
  // Engines hold documents: none starts before Loro is in.
  await loadLoro()
  if (stopped) return
  for (const meta of await store.listWorkspaces()) {
    const ws = meta.workspaceId
    const previous = running.get(ws)
    if (previous !== undefined && previous.token === meta.token) continue
    if (starting.has(ws) || meta.fatal !== undefined) continue
    const job = (async () => {
      if (previous !== undefined) {
        running.delete(ws)
        await previous.engine.stop()
      }
      const ready = meta.token === undefined ? await register(meta) : meta
      if (ready?.token !== undefined && !stopped) await startEngine({ ...ready, token: ready.token })
    })()
      .catch((e) =>
        report(ws, {
          state: "stopped",
          online: false,
          pending: 0,
          oldestPendingAt: undefined,
          lastSyncedAt: undefined,
          error: { kind: "Internal", message: String(e) },
          rejected: 0,
        }),
      )
      .finally(() => starting.delete(ws))
    starting.set(ws, job)
  }
}

const onChannelMessage = (m: ChannelMessage): void => {
  switch (m._tag) {
    case "LocalCommit": {
      if (m.doc !== MAIN_DOC) return
      const r = running.get(m.ws)
      if (r !== undefined) acceptCommit(r, m)
      else if (starting.has(m.ws)) early.set(m.ws, [...(early.get(m.ws) ?? []), m])
      // Otherwise it waits in the outbox: an engine reads the outbox when it starts.
      return
    }
    case "StatusRequest":
      for (const [ws, status] of statuses) post({ _tag: "StatusReport", ws, status })
      return
    case "WorkspacesChanged":
      void scan()
      return
    case "NetworkChanged":
      setOnline(m.online)
      return
    case "DiscardRejected": {
      if (m.doc !== MAIN_DOC) return
      const r = running.get(m.ws)
      // Discarding needs no server: without an engine, straight from the store.
      if (r !== undefined) void r.engine.discardRejected(m.id)
      else void store.resolveRejected(m.ws as WorkspaceMeta["workspaceId"], MAIN_DOC, m.id, undefined)
      return
    }
    case "RetryRejected": {
      if (m.doc !== MAIN_DOC) return
      const failed = (message: string) => post({ _tag: "RetryFailed", ws: m.ws, doc: m.doc, id: m.id, message })
      currentEngine(m.ws).then(
        (r) =>
          r === undefined
            ? failed("Sync is not running for this workspace; join it again with a link first.")
            : r.engine.retryRejected(m.id).then((out) => out.error !== undefined && failed(out.error)),
        (e: unknown) => failed(`Could not apply the change again: ${String(e)}`),
      )
      return
    }
    case "RemoteUpdates":
    case "SnapshotStored":
    case "StatusReport":
    case "DocReset":
    case "RetryFailed":
      return
  }
}

self.onmessage = (event: MessageEvent) => {
  const c = parseWorkerCommand(event.data)
  if (c?._tag === "Stop") {
    stopped = true
    for (const r of running.values()) void r.engine.stop()
    running.clear()
    channel.close()
  }
}

const setOnline = (online: boolean): void => {
  for (const r of running.values()) r.engine.setOnline(online)
  if (online) void scan()
}
self.addEventListener("online", () => setOnline(true))
self.addEventListener("offline", () => setOnline(false))

// Workspaces created offline are registered on the next scan; retry on a slow timer too,
// not only when the browser reports coming online (that signal is unreliable).
setInterval(() => void scan(), 15_000)

scan().then(
  () => self.postMessage({ _tag: "Ready" }),
  (e: unknown) => self.postMessage({ _tag: "Crashed", message: String(e) }),
)
