import { SqlClient } from "@effect/sql"
import { Effect, PubSub, Redacted, Runtime } from "effect"
import pg from "pg"
import { DatabaseUrl } from "../db/Database.js"
import { bestEffort, CLOSE_WITHIN } from "../logging/bestEffort.js"

/**
 * Cross-node signals over Postgres LISTEN/NOTIFY. Every node listens; a NOTIFY sent
 * inside a transaction is delivered only if it commits, so "committed" and "announced"
 * cannot disagree. Payloads are small JSON; the data itself is read from the tables.
 *
 * The LISTEN connection is our own `pg.Client` (the one in @effect/sql-pg 0.53 swallows
 * connection errors, so a Postgres restart silently ended every live feed). When it drops
 * it is re-established, and `resync` tells followers that notifications may have been
 * missed meanwhile, so they re-read what they follow instead of waiting for the next one.
 */
export const Channel = {
  /** `{ ws, doc, seq }`: a document's log grew up to `seq`. */
  updates: "vibestack_updates",
  /** `{ tokenId, ws }`: a token was revoked. */
  tokens: "vibestack_tokens",
  /** `stored_lsn|tbl:ws,…` (plain text, see feed/Feed.ts): change_log grew. */
  feed: "vibestack_feed",
  /** `{ ws, doc }`: a document's log was rewritten (an operator's repair): drop every copy of it. */
  docs: "vibestack_docs",
} as const

export interface UpdatesSignal {
  readonly ws: string
  readonly doc: string
  readonly seq: number
  /** When the committing node built the transaction (ms since epoch), for fan-out latency. */
  readonly t?: number
  /** The committing node's `CommitHub.origin`, if it sends the updates to its own subscribers from memory. */
  readonly n?: string | null
}
export interface DocResetSignal {
  readonly ws: string
  readonly doc: string
}
export interface TokenSignal {
  readonly tokenId: string
  readonly ws: string
}

const RECONNECT_MS = 500

export class Bus extends Effect.Service<Bus>()("Bus", {
  scoped: Effect.gen(function* () {
    const url = Redacted.value(yield* DatabaseUrl)
    const sql = yield* SqlClient.SqlClient
    /**
     * Called in the notification's own task, in order: one per committed document per
     * transaction, so no Effect runtime per signal (a `PubSub` with its consumers' fibers was
     * ~10 % of what the main thread allocated at 2,500 pushes/s).
     */
    const updateListeners = new Set<(s: UpdatesSignal) => void>()
    const tokens = yield* PubSub.unbounded<TokenSignal>()
    const feed = yield* PubSub.unbounded<string>()
    const resets = yield* PubSub.unbounded<DocResetSignal>()
    const resync = yield* PubSub.unbounded<void>()
    // Not a FiberSet: each call (a log line, a publish to an unbounded PubSub) completes inside
    // the pg callback that makes it, so no fiber outlives it for shutdown to interrupt.
    const runSync = Runtime.runSync(yield* Effect.runtime<never>())

    // Effect's Clock, read synchronously: LISTEN's state changes in pg callbacks.
    const clock = yield* Effect.clock
    let client: pg.Client | undefined
    let closed = false
    let timer: NodeJS.Timeout | undefined
    /** For readiness: is LISTEN up, since when, and how often it came back. */
    let state = { up: false, since: clock.unsafeCurrentTimeMillis() }
    let reconnects = 0
    /** One log line per change (not per failed attempt while Postgres is away). */
    const setUp = (up: boolean) => {
      if (state.up === up) return
      const now = clock.unsafeCurrentTimeMillis()
      const wasDownMs = now - state.since
      state = { up, since: now }
      if (!up && !closed) runSync(Effect.logWarning("LISTEN connection to Postgres lost; reconnecting"))
      else if (reconnects > 0)
        runSync(Effect.logInfo(`LISTEN connection to Postgres re-established after ${wasDownMs} ms`))
    }

    const onNotification = (m: pg.Notification) => {
      if (m.channel === Channel.feed) {
        runSync(PubSub.publish(feed, m.payload ?? ""))
        return
      }
      let payload: unknown
      try {
        payload = JSON.parse(m.payload ?? "")
      } catch {
        return // Only our own code notifies on these channels; a malformed one is ignored.
      }
      if (m.channel === Channel.updates) {
        for (const l of updateListeners)
          try {
            l(payload as UpdatesSignal)
          } catch (err) {
            runSync(Effect.logError("a listener of committed updates failed", err))
          }
      } else if (m.channel === Channel.tokens) runSync(PubSub.publish(tokens, payload as TokenSignal))
      else if (m.channel === Channel.docs) runSync(PubSub.publish(resets, payload as DocResetSignal))
    }

    /** Resolves once LISTEN is active on a connection (each attempt that fails schedules the next). */
    let listening: () => void = () => {}
    const firstListen = new Promise<void>((resolve) => {
      listening = resolve
    })

    const connect = (isReconnect: boolean): void => {
      if (closed) return
      const c = new pg.Client({ connectionString: url, application_name: "vibestack-listen" })
      let dropped = false
      const drop = () => {
        if (dropped) return
        dropped = true
        c.removeAllListeners("notification")
        // The connection already failed or ended: closing it may fail too, and that says nothing new.
        c.end().catch(() => {})
        if (client === c) client = undefined
        setUp(false)
        if (!closed) timer = setTimeout(() => connect(true), RECONNECT_MS)
      }
      c.on("notification", onNotification)
      c.on("error", drop)
      c.on("end", drop)
      c.connect()
        .then(() =>
          c.query(
            `LISTEN ${Channel.updates}; LISTEN ${Channel.tokens}; LISTEN ${Channel.feed}; LISTEN ${Channel.docs}`,
          ),
        )
        .then(() => {
          client = c
          if (isReconnect) reconnects++
          setUp(true)
          listening()
          if (isReconnect) runSync(PubSub.publish(resync, undefined))
        })
        .catch(drop)
    }
    connect(false)
    // Serve nothing before this node hears commits: a subscriber must not miss the first one.
    yield* Effect.promise(() => firstListen).pipe(
      Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error("could not LISTEN on Postgres") }),
      Effect.orDie,
    )
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        clearTimeout(timer)
        const c = client
        return c === undefined ? Effect.void : bestEffort("closing the LISTEN connection", () => c.end(), CLOSE_WITHIN)
      }),
    )

    /** `pg_notify` rather than PgClient.notify, which is broken in @effect/sql-pg 0.53. */
    const notify = (channel: string, payload: unknown) =>
      sql`select pg_notify(${channel}, ${JSON.stringify(payload)})`.pipe(Effect.asVoid)

    return {
      /** Calls `listener` with every document another node (or this one) committed to; returns its removal. */
      onUpdates: (listener: (s: UpdatesSignal) => void): (() => void) => {
        updateListeners.add(listener)
        return () => updateListeners.delete(listener)
      },
      tokens,
      feed,
      resets,
      resync,
      notify,
      /** Whether LISTEN is up and since when (readiness), and how many times it was re-established. */
      listenState: () => ({ ...state, reconnects }),
    } as const
  }),
}) {}
