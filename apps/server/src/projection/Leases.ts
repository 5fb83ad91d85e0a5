import { Effect } from "effect"
import pg from "pg"
import { bestEffort, CLOSE_WITHIN } from "../logging/bestEffort.js"

/** Advisory-lock namespace of projection leases (the two-key form: namespace, hashtext(workspace id)). */
const NAMESPACE = 0x7069 // "pi"

/**
 * Per-workspace projection leases as session-level Postgres advisory locks, all held on one
 * dedicated connection of this node.
 *
 * Why session-level on a dedicated connection rather than `pg_try_advisory_xact_lock` per
 * batch: the pool work of a batch (import, diff, read) happens before its transaction, so a
 * transaction-level lock would let two nodes do that work for the same workspace and one
 * throw it away; a lease held across batches also keeps the workspace's document warm in
 * one node's pool. If this node dies, or only its lease connection drops, Postgres releases
 * every lock of that session and another node's sweep takes the workspaces over. Batches
 * are fenced anyway (`projected_seq` compare-and-set in the batch transaction), so a node
 * that has not noticed yet that its connection dropped cannot apply a batch twice.
 * Two workspaces whose ids collide under `hashtext` share a lease: harmless.
 */
export type LeaseChange = "acquired" | "released" | "lost"

export class Leases {
  private client: pg.Client | undefined
  private connecting: Promise<pg.Client> | undefined
  private readonly held = new Map<string, number>()
  private closed = false

  constructor(
    private readonly url: string,
    /** Told of every lease taken, released or lost (for the log and metrics). */
    private readonly onChange: (change: LeaseChange, workspaces: ReadonlyArray<string>) => void,
    /** When a lease was last used: the Projector's Effect Clock, which its idle sweep compares with. */
    private readonly now: () => number,
  ) {}

  /** Workspaces this node holds, with the time each was last used. */
  heldLeases(): ReadonlyMap<string, number> {
    return this.held
  }

  has(ws: string): boolean {
    return this.held.has(ws)
  }

  touch(ws: string): void {
    if (this.held.has(ws)) this.held.set(ws, this.now())
  }

  /** True if this node now holds the workspace's lease (already held counts). */
  tryAcquire(ws: string): Effect.Effect<boolean> {
    // Session locks nest: taking a held one again would need two unlocks to release it.
    if (this.held.has(ws)) return Effect.succeed(true)
    return this.query<{ ok: boolean }>("select pg_try_advisory_lock($1, hashtext($2)) as ok", [NAMESPACE, ws]).pipe(
      Effect.map((rows) => {
        const ok = rows[0]?.ok === true
        if (ok) {
          this.held.set(ws, this.now())
          this.onChange("acquired", [ws])
        }
        return ok
      }),
      Effect.orElseSucceed(() => false),
    )
  }

  release(ws: string): Effect.Effect<void> {
    if (!this.held.delete(ws)) return Effect.void
    this.onChange("released", [ws])
    return this.query("select pg_advisory_unlock($1, hashtext($2))", [NAMESPACE, ws]).pipe(Effect.ignore)
  }

  close(): Effect.Effect<void> {
    this.closed = true
    this.held.clear()
    const c = this.client
    this.client = undefined
    return c === undefined
      ? Effect.void
      : bestEffort("closing the projection's lease connection", () => c.end(), CLOSE_WITHIN)
  }

  private query<A>(text: string, values: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>, Error> {
    return Effect.tryPromise({
      try: async () => {
        const c = await this.connect()
        const res = await c.query(text, values as Array<unknown>)
        return res.rows as ReadonlyArray<A>
      },
      catch: (e) => (e instanceof Error ? e : new Error(String(e))),
    })
  }

  private connect(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error("leases closed"))
    if (this.client !== undefined) return Promise.resolve(this.client)
    this.connecting ??= (async () => {
      const c = new pg.Client({ connectionString: this.url, application_name: "vibestack-projection-leases" })
      // The session's locks died with it: forget them, the next attempt reconnects and re-acquires.
      const lost = () => {
        if (this.client === c) this.client = undefined
        if (this.held.size > 0 && !this.closed) this.onChange("lost", [...this.held.keys()])
        this.held.clear()
      }
      c.on("error", lost)
      c.on("end", lost)
      try {
        await c.connect()
      } catch (e) {
        c.removeAllListeners()
        throw e
      } finally {
        this.connecting = undefined
      }
      this.client = c
      return c
    })()
    return this.connecting
  }
}
