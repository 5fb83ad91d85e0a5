import { Effect } from "effect"
import type pg from "pg"
import type { Canonicalize } from "./compileShape.js"
import { WhereError } from "./where/WhereError.js"
import { sqlTypeOf } from "./where/whereSql.js"

/**
 * Resolves a where's typed constants through Postgres, on a connection with the feed's
 * session settings (UTC, ISO dates): `'2024-1-1'::date` becomes `2024-01-01`, a bad one a
 * 400 with Postgres' own message. Text constants need no round trip.
 */
export const makeCanonicalize =
  (pool: pg.Pool): Canonicalize =>
  (consts) =>
    Effect.gen(function* () {
      const typed = consts.flatMap((c, i) => (c.ty === "text" ? [] : [i]))
      const out = consts.map((c) => c.raw)
      if (typed.length === 0) return out
      const text = `select ${typed.map((i, j) => `$${j + 1}::${sqlTypeOf(consts[i]!.ty)}::text`).join(", ")}`
      const r = yield* Effect.tryPromise({
        try: () => pool.query<Array<string>>({ text, values: typed.map((i) => consts[i]!.raw), rowMode: "array" }),
        catch: (e) => e as { code?: string; message?: string },
      }).pipe(
        Effect.catchAll((e) =>
          typeof e.code === "string" && e.code.startsWith("22")
            ? Effect.fail(new WhereError({ message: `where: ${e.message}` }))
            : Effect.die(e),
        ),
      )
      typed.forEach((i, j) => {
        const v = r.rows[0]![j]!
        out[i] = consts[i]!.ty === "bool" ? (v === "true" ? "t" : "f") : v
      })
      return out
    })
