import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, PubSub, Schedule, Stream } from "effect"

/**
 * Cross-node signals over Postgres LISTEN/NOTIFY. Every node listens; a NOTIFY sent
 * inside a transaction is delivered only if it commits, so "committed" and "announced"
 * cannot disagree. Payloads are small JSON; the data itself is read from the tables.
 */
export const Channel = {
  /** `{ ws, doc, seq }`: a document's log grew up to `seq`. */
  updates: "vibestack_updates",
  /** `{ tokenId, ws }`: a token was revoked. */
  tokens: "vibestack_tokens",
} as const

export interface UpdatesSignal {
  readonly ws: string
  readonly doc: string
  readonly seq: number
  /** When the committing node built the transaction (ms since epoch), for fan-out latency. */
  readonly t?: number
}
export interface TokenSignal {
  readonly tokenId: string
  readonly ws: string
}

export class Bus extends Effect.Service<Bus>()("Bus", {
  scoped: Effect.gen(function* () {
    const pgClient = yield* PgClient.PgClient
    const sql = yield* SqlClient.SqlClient
    const updates = yield* PubSub.unbounded<UpdatesSignal>()
    const tokens = yield* PubSub.unbounded<TokenSignal>()

    const follow = <A>(channel: string, hub: PubSub.PubSub<A>) =>
      pgClient.listen(channel).pipe(
        Stream.mapEffect((payload) =>
          Effect.try(() => JSON.parse(payload) as A).pipe(
            Effect.flatMap((a) => PubSub.publish(hub, a)),
            Effect.catchAll(() => Effect.logWarning(`ignoring malformed ${channel} payload`)),
          ),
        ),
        Stream.runDrain,
        // A dropped LISTEN connection is re-established; revocation also has a TTL fallback.
        Effect.retry(Schedule.spaced("500 millis")),
        Effect.forkScoped,
      )
    yield* follow(Channel.updates, updates)
    yield* follow(Channel.tokens, tokens)

    /** `pg_notify` rather than PgClient.notify, which is broken in @effect/sql-pg 0.53. */
    const notify = (channel: string, payload: unknown) =>
      sql`select pg_notify(${channel}, ${JSON.stringify(payload)})`.pipe(Effect.asVoid)

    return { updates, tokens, notify } as const
  }),
}) {}
