/// <reference lib="webworker" />
import { MAIN_DOC } from "@vibestack/schema"
import { SyncEngine, type SyncStatus, TransportError, type WorkspaceMeta } from "@vibestack/shared"
import { DexieLocalStore } from "../db/DexieLocalStore.js"
import { fatalText } from "./fatalMessage.js"
import {
  CHANNEL_NAME,
  type ChannelMessage,
  parseChannelMessage,
  parseWorkerCommand,
  type SyncStatusWire,
} from "./messages.js"
import { makeTransport } from "./transport.js"
import { tabCommitStore, WorkerDocHost } from "./WorkerDocHost.js"

/**
 * The sync leader: started by the one tab holding the leader lock, it runs one SyncEngine per
 * registered workspace (all of them, not only the ones open in tabs: local-first means data
 * keeps flowing in the background), registers workspaces created offline, and speaks to every
 * tab over the BroadcastChannel. It dies with its tab; the next leader resumes from Dexie.
 */
declare const self: DedicatedWorkerGlobalScope

const store = new DexieLocalStore()
const transport = makeTransport(self.location.origin)
const channel = new BroadcastChannel(CHANNEL_NAME)
const post = (m: ChannelMessage): void => channel.postMessage(m)

interface Running {
  readonly engine: SyncEngine
  readonly host: WorkerDocHost
  readonly remember: ReturnType<typeof tabCommitStore>["remember"]
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
    lastSyncedAt: status.lastSyncedAt,
    error: status.error,
  }
  statuses.set(ws, wire)
  post({ _tag: "StatusReport", ws, status: wire })
}

const startEngine = async (meta: WorkspaceMeta & { readonly token: string }): Promise<void> => {
  const ws = meta.workspaceId
  const host = await WorkerDocHost.load(store, ws, MAIN_DOC)
  const wrapped = tabCommitStore(store)
  const engine = await SyncEngine.start({
    store: wrapped.store,
    transport,
    host,
    workspaceId: ws,
    docId: MAIN_DOC,
    token: meta.token,
    online: self.navigator.onLine,
    onRemoteStored: (records) => {
      if (records.length > 0) post({ _tag: "RemoteUpdates", ws, doc: MAIN_DOC, updates: records.map((r) => r.bytes) })
    },
  })
  const r: Running = { engine, host, remember: wrapped.remember }
  running.set(ws, r)
  for (const m of early.get(ws) ?? []) acceptCommit(r, m)
  early.delete(ws)
  engine.subscribe((s) => {
    report(ws, s)
    if (s.state === "stopped" && s.error !== undefined && running.get(ws) === r) void stopFatal(ws, s.error)
  })
  report(ws, engine.getStatus())
}

/**
 * The server refused this device for good (revoked or expired token, app too old): record
 * why on the workspace (tabs turn read-only and say so) and forget the engine, so joining
 * again with a new link starts a fresh one.
 */
const stopFatal = async (ws: string, error: { readonly kind: string; readonly message: string }): Promise<void> => {
  running.delete(ws)
  const meta = await store.getWorkspace(ws as WorkspaceMeta["workspaceId"])
  if (meta !== undefined && meta.fatal === undefined) await store.putWorkspace({ ...meta, fatal: fatalText(error) })
  post({ _tag: "WorkspacesChanged" })
}

const acceptCommit = (r: Running, m: Extract<ChannelMessage, { _tag: "LocalCommit" }>): void => {
  r.remember(m.bytes, { id: m.id, bytes: m.bytes, idempotencyKey: m.idempotencyKey })
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
    const unregistered: SyncStatusWire = {
      state: "unregistered",
      online: false,
      pending: (await store.outbox(meta.workspaceId, MAIN_DOC)).length,
      lastSyncedAt: undefined,
      error: undefined,
    }
    report(
      meta.workspaceId,
      e instanceof TransportError ? { ...unregistered, error: { kind: e.kind, message: e.message } } : unregistered,
    )
    return undefined
  }
}

/** Starts an engine for every workspace that can sync and has none yet. */
const scan = async (): Promise<void> => {
  if (stopped) return
  for (const meta of await store.listWorkspaces()) {
    const ws = meta.workspaceId
    if (running.has(ws) || starting.has(ws) || meta.fatal !== undefined) continue
    const job = (async () => {
      const ready = meta.token === undefined ? await register(meta) : meta
      if (ready?.token !== undefined && !stopped) await startEngine({ ...ready, token: ready.token })
    })()
      .catch((e) =>
        report(ws, {
          state: "stopped",
          online: false,
          pending: 0,
          lastSyncedAt: undefined,
          error: { kind: "Internal", message: String(e) },
        }),
      )
      .finally(() => starting.delete(ws))
    starting.set(ws, job)
  }
}

channel.onmessage = (event: MessageEvent) => {
  const m = parseChannelMessage(event.data)
  if (m === undefined) return
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
    case "RemoteUpdates":
    case "StatusReport":
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
