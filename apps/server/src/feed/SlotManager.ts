import type { ChangeWriter } from "./ChangeWriter.js"
import { parseLsn } from "./offset.js"

interface SlotRow {
  readonly wal_status: string | null
  readonly active_pid: number | null
}

/**
 * Creates the slot, and recreates it when Postgres invalidated it (`wal_status = 'lost'`,
 * after `max_slot_wal_keep_size`) or it disappeared. A new slot starts a new epoch:
 * handles of older epochs answer 409 must-refetch, never silence (rule W5).
 */
export class SlotManager {
  epoch = 0
  private warned = false

  constructor(
    private readonly writer: ChangeWriter,
    private readonly options: {
      readonly slotName: string
      readonly nodeId: string
      readonly log: (level: "info" | "warn" | "error", message: string) => void
      readonly onEpoch?: ((epoch: number, lsn: number) => void) | undefined
    },
  ) {}

  async ensureSlot(): Promise<void> {
    await this.checkSettings()
    const name = this.options.slotName
    const rows = await this.writer.query<SlotRow>(
      "select wal_status, active_pid from pg_replication_slots where slot_name = $1",
      [name],
    )
    const slot = rows.rows[0]
    const state = await this.writer.query<{ epoch: number }>("select epoch from feed_state where id = 1")
    this.epoch = state.rows[0]?.epoch ?? 0
    if (slot && slot.wal_status !== "lost" && this.epoch > 0) {
      // A standby that took over: record who streams now (operators read it; the lock decides).
      await this.writer.query("update feed_state set holder = $1 where id = 1 and holder is distinct from $1", [
        this.options.nodeId,
      ])
      return
    }
    if (slot) {
      this.options.log("warn", `replication slot ${name} was invalidated (wal_status=lost); recreating it`)
      if (slot.active_pid) await this.writer.query("select pg_terminate_backend($1)", [slot.active_pid])
      await this.writer.query("select pg_drop_replication_slot($1)", [name])
    }
    const created = await this.writer.query<{ lsn: string }>(
      "select lsn::text as lsn from pg_create_logical_replication_slot($1, 'pgoutput')",
      [name],
    )
    const lsn = parseLsn(created.rows[0]!.lsn)
    const bumped = await this.writer.query<{ epoch: number }>(
      `update feed_state set epoch = epoch + 1, epoch_lsn = $1, stored_lsn = $1, holder = $2, updated_at = now()
       where id = 1 returning epoch`,
      [lsn, this.options.nodeId],
    )
    this.epoch = bumped.rows[0]!.epoch
    this.writer.storedLsn = lsn
    this.options.onEpoch?.(this.epoch, lsn)
    await this.writer.query("select pg_notify('vibestack_feed', $1)", [String(lsn)])
    this.options.log("info", `change feed slot ${name} created at ${created.rows[0]!.lsn}, epoch ${this.epoch}`)
  }

  /** An external Postgres without a slot WAL limit lets a stalled consumer fill its disk. */
  private async checkSettings(): Promise<void> {
    if (this.warned) return
    this.warned = true
    const r = await this.writer.query<{ v: string }>("select current_setting('max_slot_wal_keep_size') as v")
    if (r.rows[0]?.v === "-1")
      this.options.log(
        "warn",
        "max_slot_wal_keep_size is unset (-1): a stalled change feed can retain WAL until the disk fills; set it (e.g. 1GB)",
      )
  }
}
