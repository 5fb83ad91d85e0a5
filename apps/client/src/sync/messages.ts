import { decodeSafely, ErrorKind } from "@vibestack/shared"
import { Either, Schema } from "effect"

/**
 * Everything that crosses a thread or tab boundary: the BroadcastChannel between tabs and
 * the sync worker, and the worker's own `postMessage`. Another tab may run an older or newer
 * build of the app, so every payload is decoded here before anything acts on it.
 */
const Bytes = Schema.Uint8ArrayFromSelf
const Id = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/))

/**
 * A tab committed locally (or the leader re-applied a refused change, C15); the commit is
 * already durable in the Dexie outbox (entry `id`). `createdAt` is absent from older builds.
 */
export const LocalCommit = Schema.TaggedStruct("LocalCommit", {
  ws: Id,
  doc: Id,
  id: Schema.Int,
  idempotencyKey: Schema.String,
  bytes: Bytes,
  createdAt: Schema.optional(Schema.Number),
})

/**
 * The leader stored updates from the server (already durable in Dexie). With `snapshot`: a
 * snapshot the leader fetched (its seq), sent as it arrives, before it is stored
 * (`SnapshotStored` follows once it is).
 */
export const RemoteUpdates = Schema.TaggedStruct("RemoteUpdates", {
  ws: Id,
  doc: Id,
  updates: Schema.Array(Bytes),
  snapshot: Schema.optional(Schema.Int),
})

/**
 * The leader stored the snapshot it fetched at seq `cursor`, sent earlier as a `RemoteUpdates`
 * with `snapshot: cursor`. Without the bytes: a replica that heard that copy has it; one that
 * did not (it started listening after it, and may have read IndexedDB before the write) reads
 * the document from IndexedDB again.
 */
export const SnapshotStored = Schema.TaggedStruct("SnapshotStored", { ws: Id, doc: Id, cursor: Schema.Int })

/**
 * The leader's status of one workspace (SPEC C16). "Up to date" is `live` with `pending` 0;
 * `live` already means nothing is known to be missing from the server. `pending` counts the
 * outbox, `oldestPendingAt` dates its oldest change, `rejected` counts refused changes.
 */
export const SyncStatusWire = Schema.Struct({
  state: Schema.Literal("idle", "connecting", "catchingUp", "live", "offline", "stopped", "unregistered"),
  online: Schema.Boolean,
  pending: Schema.Int,
  oldestPendingAt: Schema.UndefinedOr(Schema.Number),
  lastSyncedAt: Schema.UndefinedOr(Schema.Number),
  error: Schema.UndefinedOr(Schema.Struct({ kind: ErrorKind, message: Schema.String })),
  rejected: Schema.Int,
})
export type SyncStatusWire = typeof SyncStatusWire.Type

export const StatusReport = Schema.TaggedStruct("StatusReport", { ws: Id, status: SyncStatusWire })

/** A new tab asks the leader to repeat every workspace's status. */
export const StatusRequest = Schema.TaggedStruct("StatusRequest", {})

/**
 * A tab saw the browser go on- or offline. Workers do not reliably get these events (and
 * devtools network emulation only reaches pages), so tabs forward them to the leader.
 */
export const NetworkChanged = Schema.TaggedStruct("NetworkChanged", { online: Schema.Boolean })

/** A workspace was created, joined or registered: tabs reload the list, the leader rescans. */
export const WorkspacesChanged = Schema.TaggedStruct("WorkspacesChanged", {})

/**
 * The leader rewrote the document in IndexedDB (refused changes taken out, C14): every tab
 * drops its copy and opens the document again from Dexie.
 */
export const DocReset = Schema.TaggedStruct("DocReset", { ws: Id, doc: Id })

/** Tab → leader: drop refused change `id` from the rejected list (its ops are not in the document). */
export const DiscardRejected = Schema.TaggedStruct("DiscardRejected", { ws: Id, doc: Id, id: Schema.Int })

/** Tab → leader: apply refused change `id` again as a new change on top (e.g. after joining as an editor). */
export const RetryRejected = Schema.TaggedStruct("RetryRejected", { ws: Id, doc: Id, id: Schema.Int })

/** Leader → tabs: a `RetryRejected` could not apply; `message` says why, for a person. */
export const RetryFailed = Schema.TaggedStruct("RetryFailed", {
  ws: Id,
  doc: Id,
  id: Schema.Int,
  message: Schema.String,
})

export const ChannelMessage = Schema.Union(
  LocalCommit,
  RemoteUpdates,
  SnapshotStored,
  StatusReport,
  StatusRequest,
  WorkspacesChanged,
  NetworkChanged,
  DocReset,
  DiscardRejected,
  RetryRejected,
  RetryFailed,
)
export type ChannelMessage = typeof ChannelMessage.Type

const decodeChannel = decodeSafely(ChannelMessage)

/** Decodes a channel payload; anything malformed (e.g. from another build) is dropped. */
export const parseChannelMessage = (data: unknown): ChannelMessage | undefined => {
  const r = decodeChannel(data)
  return Either.isRight(r) ? r.right : undefined
}

/** Messages with document bytes: only the workers act on them. */
const WORKERS_ONLY: ReadonlySet<unknown> = new Set<ChannelMessage["_tag"]>(["LocalCommit", "RemoteUpdates"])

/**
 * A page's decode of the shared channel. Document bytes small enough to travel there (see
 * `LARGE_MESSAGE_BYTES`) are the workers' business; a page drops them before the schema runs
 * (otherwise two decodes of bytes on its main thread per keystroke, and one per update while
 * another device types).
 */
export const parsePageMessage = (data: unknown): ChannelMessage | undefined =>
  typeof data === "object" && data !== null && WORKERS_ONLY.has((data as { _tag?: unknown })._tag)
    ? undefined
    : parseChannelMessage(data)

/** Owner tab → its sync worker. */
export const WorkerCommand = Schema.Union(Schema.TaggedStruct("Stop", {}))
export type WorkerCommand = typeof WorkerCommand.Type

const decodeCommand = decodeSafely(WorkerCommand)

export const parseWorkerCommand = (data: unknown): WorkerCommand | undefined => {
  const r = decodeCommand(data)
  return Either.isRight(r) ? r.right : undefined
}

/** Sync worker → owner tab: it started, or failed to start. */
export const WorkerEvent = Schema.Union(
  Schema.TaggedStruct("Ready", {}),
  Schema.TaggedStruct("Crashed", { message: Schema.String }),
)
export type WorkerEvent = typeof WorkerEvent.Type

const decodeEvent = decodeSafely(WorkerEvent)

export const parseWorkerEvent = (data: unknown): WorkerEvent | undefined => {
  const r = decodeEvent(data)
  return Either.isRight(r) ? r.right : undefined
}

export const CHANNEL_NAME = "vibestack-sync"
export const LEADER_LOCK = "vibestack-sync-leader"

/**
 * Document bytes over this size travel on `DOC_CHANNEL_NAME`, which pages never open: every
 * listener of a BroadcastChannel gets its own copy, and a page would copy a new device's first
 * snapshot (tens of MB, 100+ ms) on its main thread for nothing. Smaller ones stay on the
 * shared channel, where tabs of an older build still hear them.
 */
export const LARGE_MESSAGE_BYTES = 64 * 1024
export const DOC_CHANNEL_NAME = "vibestack-sync-docs"

const bytesIn = (m: ChannelMessage): number =>
  m._tag === "LocalCommit"
    ? m.bytes.byteLength
    : m._tag === "RemoteUpdates"
      ? m.updates.reduce((n, u) => n + u.byteLength, 0)
      : 0

/**
 * The sync worker's and the document workers' end of the channels: posts a message on the
 * channel its size calls for, hears both (a large message may overtake a small one posted
 * before it; Loro imports out of order, and the leader reads the outbox from Dexie in order).
 */
export const documentChannels = (onMessage: (m: ChannelMessage) => void) => {
  const shared = new BroadcastChannel(CHANNEL_NAME)
  const docs = new BroadcastChannel(DOC_CHANNEL_NAME)
  const receive = (event: MessageEvent) => {
    const m = parseChannelMessage(event.data)
    if (m !== undefined) onMessage(m)
  }
  shared.onmessage = receive
  docs.onmessage = receive
  return {
    post: (m: ChannelMessage): void => (bytesIn(m) > LARGE_MESSAGE_BYTES ? docs : shared).postMessage(m),
    close: (): void => {
      shared.close()
      docs.close()
    },
  }
}
