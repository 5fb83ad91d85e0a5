import { LogicalReplicationService, type Pgoutput } from "pg-logical-replication"
import { ChangeWriter, type PendingTx } from "./ChangeWriter.js"
import { FeedPlugin, type InsertJson } from "./insertJson.js"
import { parseLsn } from "./offset.js"
import { SlotManager } from "./SlotManager.js"

export const FENCE_PREFIX = "vibestack_feed_fence"
/** Both the stream and the snapshot reads render values with these, so they agree. */
export const SESSION_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO,YMD -c extra_float_digits=3"

export interface WalConsumerOptions {
  readonly connectionString: string
  readonly slotName: string
  readonly publication: string
  readonly nodeId: string
  readonly log: (level: "info" | "warn" | "error", message: string) => void
  /** Transactions held in memory before the stream is paused. */
  readonly maxPendingChanges?: number
  /**
   * Each transaction (and fence position) as it is received, before it is stored: a
   * commit the slot sent is committed in Postgres and keeps its offset if redelivered,
   * so this node may serve it at once (see ChangeTail.ts).
   */
  readonly onReceived?: (tx: PendingTx) => void
  /**
   * Every commit below `lsn` is in change_log: after each stored batch, and at once for a
   * fence received while nothing is waiting to be stored (this node's initial syncs need
   * not wait for the fence's own write and its NOTIFY).
   */
  readonly onStored?: (lsn: number) => void
  /** A new slot was created: its epoch and the position its history starts at. */
  readonly onEpoch?: (epoch: number, lsn: number) => void
}

type Status = "starting" | "standby" | "streaming" | "stalled" | "stopped"

const ACK_EVERY_MS = 50

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Tearing down or nudging a replication stream that failed or is being replaced: its error
 * says nothing the stream's own failure did not (that one reaches `log`), and a lost
 * acknowledgement is sent again with the next one.
 */
const quietly = (p: Promise<unknown> | undefined): Promise<void> =>
  Promise.resolve(p).then(
    () => undefined,
    () => undefined,
  )

/**
 * Reads the projection tables' changes from a pgoutput slot and stores them in change_log
 * (rule W1). Acknowledgement is manual: the slot advances only to a position whose changes
 * are committed in change_log; keepalives are answered with the stored position, or the
 * server's position when nothing is in flight. One node holds the advisory lock and the
 * slot; the others poll for the lock and take over when its session dies (rule W7).
 */
export class WalConsumer {
  status: Status = "starting"
  /** Test hook: store without confirming, so a restart redelivers what was stored (rule W2). */
  acking = true
  private stopped = false
  private stalled = false
  private service: LogicalReplicationService | undefined
  private readonly writer: ChangeWriter
  private readonly slots: SlotManager
  private open: PendingTx | undefined
  private loop: Promise<void> | undefined
  private ackLsn = 0
  private ackTimer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly options: WalConsumerOptions) {
    this.writer = new ChangeWriter(options.connectionString, {
      onStored: (lsn) => {
        this.acknowledge(lsn)
        this.options.onStored?.(lsn)
      },
      onFailed: (e) => this.restartStream(`store failed: ${String(e)}`),
      onDrained: () => this.resumeStream(),
    })
    this.slots = new SlotManager(this.writer, options)
  }

  /**
   * Not a fiber: the loop is plain promises on the replication stream's callbacks (no fiber per
   * message); the Feed layer's finalizer awaits `stop()`, and failures reach `options.log`.
   */
  start(): void {
    this.loop ??= this.run()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.status = "stopped"
    if (this.ackTimer) clearTimeout(this.ackTimer)
    await quietly(this.service?.destroy())
    await this.loop
    await this.writer.close()
  }

  /** Test and operator hook: drop the stream and do not read the slot until `resume`. */
  async stall(): Promise<void> {
    this.stalled = true
    await quietly(this.service?.stop())
  }

  resume(): void {
    this.stalled = false
  }

  get epoch(): number {
    return this.slots.epoch
  }

  /** Changes this node inserted into change_log (redeliveries excluded). */
  get inserted(): number {
    return this.writer.inserted
  }

  private async run(): Promise<void> {
    let backoff = 200
    while (!this.stopped) {
      try {
        if (!(await this.writer.holdLock())) {
          this.status = "standby"
          await sleep(1000)
          continue
        }
        if (this.stalled) {
          this.status = "stalled"
          await sleep(100)
          continue
        }
        await this.slots.ensureSlot()
        // stop() may have run meanwhile: with no stream yet, nothing would end one started now.
        if (this.stopped) break
        this.status = "streaming"
        await this.stream()
        backoff = 200
      } catch (e) {
        if (!this.stopped) this.options.log("warn", `change feed consumer: ${String(e)}`)
      }
      this.writer.discardPending()
      this.open = undefined
      if (!this.stopped) await sleep((backoff = Math.min(backoff * 2, 5000)))
    }
  }

  private async stream(): Promise<void> {
    const service = new LogicalReplicationService(
      { connectionString: this.options.connectionString, options: SESSION_OPTIONS } as never,
      // The library's defaults acknowledge on receipt and on a timer: that loses changes.
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    )
    this.service = service
    const plugin = new FeedPlugin({
      protoVersion: 1,
      publicationNames: [this.options.publication],
      messages: true,
    })
    service.on("data", (_lsn: string, msg: Pgoutput.Message | InsertJson) => this.onMessage(msg))
    service.on("heartbeat", (lsn: string, _at: number, shouldRespond: boolean) => {
      // Nothing received and unstored: the server's position is safe to confirm.
      if (!this.open && this.writer.idle()) this.acknowledge(parseLsn(lsn), shouldRespond)
      else this.acknowledge(this.writer.storedLsn, shouldRespond)
    })
    service.on("error", () => {})
    try {
      // "0/0" starts at the slot's confirmed position, never past it.
      await service.subscribe(plugin, this.options.slotName, "0/0")
    } finally {
      this.service = undefined
      await quietly(service.destroy())
    }
  }

  private onMessage(msg: Pgoutput.Message | InsertJson): void {
    switch (msg.tag) {
      case "insert-json":
        this.open?.changes.push({ tbl: msg.relation.name, ws: msg.ws, id: msg.id, op: "i", value: msg.json, old: null })
        return
      case "relation":
        // Keep Postgres' text rendering: the shape protocol sends text values.
        for (const c of msg.columns) c.parser = (raw: unknown) => raw
        return
      case "begin":
        this.open = {
          xid: msg.xid >>> 0,
          lsn: parseLsn(msg.commitLsn ?? "0/0"),
          endLsn: 0,
          at: new Date(),
          changes: [],
        }
        return
      case "insert":
        this.push(msg.relation.name, "i", msg.new, null)
        return
      case "update": {
        // REPLICA IDENTITY FULL (migration 0008): `old` is the whole old row; before it, only
        // a changed key arrived (`key`). pg-logical-replication fills unchanged TOASTed
        // values of `new` from `old`, so `new` is the whole row either way.
        const before = msg.old ?? msg.key
        if (before && (before.id !== msg.new.id || before.workspace_id !== msg.new.workspace_id)) {
          this.push(msg.relation.name, "d", keyOf(before), msg.old)
          this.push(msg.relation.name, "i", msg.new, null)
        } else this.push(msg.relation.name, "u", msg.new, msg.old ? changedColumns(msg.old, msg.new) : null)
        return
      }
      case "delete": {
        const before = msg.old ?? msg.key ?? {}
        this.push(msg.relation.name, "d", keyOf(before), msg.old)
        return
      }
      case "truncate":
        for (const r of msg.relations)
          this.open?.changes.push({ tbl: r.name, ws: "*", id: "", op: "t", value: "{}", old: null })
        return
      case "commit": {
        const tx = this.open
        this.open = undefined
        if (!tx) return
        const done: PendingTx = {
          ...tx,
          endLsn: parseLsn(msg.commitEndLsn ?? "0/0"),
          at: new Date(Number(msg.commitTime as bigint) / 1000),
        }
        this.enqueue(done)
        return
      }
      case "message":
        // A fence: every commit below it has been received (see Feed.awaitStored).
        if (!msg.transactional && msg.prefix === FENCE_PREFIX && msg.messageLsn)
          this.enqueue({ xid: 0, lsn: 0, endLsn: parseLsn(msg.messageLsn), at: new Date(), changes: [] })
        return
      default:
        return
    }
  }

  private push(tbl: string, op: "i" | "u" | "d", row: Row, old: Row | null): void {
    const value = JSON.stringify(row)
    this.open?.changes.push({
      tbl,
      ws: String(row.workspace_id),
      id: String(row.id),
      op,
      value,
      old: old ? JSON.stringify(old) : null,
    })
  }

  private enqueue(tx: PendingTx): void {
    this.options.onReceived?.(tx)
    if (tx.changes.length === 0 && this.writer.idle()) this.options.onStored?.(tx.endLsn)
    const pending = this.writer.enqueue(tx)
    if (pending > (this.options.maxPendingChanges ?? 50_000)) this.pauseStream()
  }

  /**
   * Confirms `lsn` to the slot: at once when Postgres asks for a reply, otherwise at most
   * every ACK_EVERY_MS (one write per stored batch and keepalive was a tenth of the
   * consumer's CPU while streaming). The library adds one to the position it sends; the
   * slot must confirm exactly `lsn`.
   */
  private acknowledge(lsn: number, now = false): void {
    if (lsn <= 0 || !this.acking) return
    this.ackLsn = Math.max(this.ackLsn, lsn)
    if (now) this.sendAck()
    else this.ackTimer ??= setTimeout(() => this.sendAck(), ACK_EVERY_MS)
  }
  private sendAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer)
    this.ackTimer = undefined
    if (this.ackLsn > 0 && this.acking) void quietly(this.service?.acknowledge(formatMinusOne(this.ackLsn)))
  }

  private socket(): { pause?: () => void; resume?: () => void } | undefined {
    // The library exposes no flow control that keeps keepalives in order; pause the socket.
    return (this.service as unknown as { _connection?: { stream?: { pause?: () => void; resume?: () => void } } })
      ?._connection?.stream
  }
  private pauseStream(): void {
    this.socket()?.pause?.()
  }
  private resumeStream(): void {
    this.socket()?.resume?.()
  }
  private restartStream(reason: string): void {
    this.options.log("warn", `change feed consumer restarting: ${reason}`)
    void quietly(this.service?.stop())
  }
}

type Row = Record<string, unknown>

const keyOf = (row: Row): Row => ({ workspace_id: row.workspace_id, id: row.id })

/** The old values of the columns an update changed. */
const changedColumns = (old: Row, next: Row): Row => {
  const out: Row = {}
  for (const k in next) if (old[k] !== next[k]) out[k] = old[k]
  return out
}

const formatMinusOne = (lsn: number): string => {
  const v = lsn - 1
  const hi = Math.floor(v / 2 ** 32)
  return `${hi.toString(16)}/${(v - hi * 2 ** 32).toString(16)}`
}
