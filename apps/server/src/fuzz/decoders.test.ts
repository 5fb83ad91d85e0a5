import {
  DownText,
  decodeFrame,
  decodeSafely,
  decodeUpdates,
  encodeFrame,
  encodeUpdates,
  UpBinaryHeader,
  UpText,
} from "@vibestack/shared"
import { Either, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"

/**
 * The decoders at the trust boundaries never throw, whatever the bytes: they return a
 * reason (string / Left) or a value that re-encodes to the same thing. fast-check prints
 * the seed and the shrunk counterexample on failure; replay with FC_SEED.
 */
const runs = Number(process.env.VIBESTACK_FUZZ_RUNS ?? 300)
const params = { numRuns: runs, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) }

const record = fc.record({ seq: fc.integer({ min: 1, max: 2 ** 40 }), bytes: fc.uint8Array({ maxLength: 64 }) })
const json = fc.jsonValue()
// Hostile JSON: prototype keys, wrong types, huge numbers, deep nesting.
const hostile = fc.oneof(
  json,
  fc.constant({ __proto__: { _tag: "Auth" } }),
  fc.record({
    _tag: fc.constantFrom("Auth", "Subscribe", "Unsubscribe", "Ping", "Push", "Nope"),
    token: json,
    docId: json,
    id: json,
    requestId: json,
    idempotencyKey: json,
  }),
  fc.dictionary(fc.constantFrom("__proto__", "constructor", "_tag", "prototype"), json),
)

describe("fuzz: wire decoders", () => {
  it("[B1] decodeUpdates never throws on any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
        const r = decodeUpdates(b)
        if (typeof r !== "string") expect(encodeUpdates(r)).toEqual(b)
      }),
      params,
    )
  })

  it("[B1] decodeUpdates round-trips valid bodies and rejects every truncation", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.nat(), (recs, cut) => {
        const sorted = [...new Map(recs.map((r) => [r.seq, r])).values()].sort((a, b) => a.seq - b.seq)
        const body = encodeUpdates(sorted)
        expect(decodeUpdates(body)).toEqual(sorted)
        if (body.length > 0) {
          const n = cut % body.length
          expect(typeof decodeUpdates(body.subarray(0, n)) === "string" || n === 0 || isBoundary(sorted, n)).toBe(true)
        }
      }),
      params,
    )
  })

  it("[B1][B3] decodeFrame never throws and round-trips what encodeFrame made", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
        decodeFrame(b)
      }),
      params,
    )
    fc.assert(
      fc.property(json, fc.uint8Array({ maxLength: 64 }), (h, blob) => {
        const f = encodeFrame(h, blob)
        const d = decodeFrame(f)
        if (f.length - blob.length - 4 > 1024) expect(typeof d).toBe("string")
        else if (typeof d !== "string") {
          expect(d.header).toEqual(JSON.parse(JSON.stringify(h)))
          expect(d.blob).toEqual(blob)
        }
      }),
      params,
    )
  })

  it("[B3] a value whose toString is not a function is a Left, not a throw (Effect's formatter throws on it)", () => {
    const hostileValue = JSON.parse('{"_tag":[{"toString":0}]}')
    expect(() => Schema.decodeUnknownEither(UpText)(hostileValue)).toThrow()
    for (const s of [UpText, DownText, UpBinaryHeader])
      expect(Either.isLeft(decodeSafely(s as Schema.Schema<unknown, unknown>)(hostileValue))).toBe(true)
  })

  it("[B3] UpText, DownText and the push header decode any JSON to a value or a Left, never a throw", () => {
    // The decoders the server and the engine use (`decodeSafely`: Effect's own formatting of
    // the offending value throws on `{"toString":0}`, a Left here).
    const decoders = [UpText, DownText, UpBinaryHeader].map((s) => decodeSafely(s as Schema.Schema<unknown, unknown>))
    fc.assert(
      fc.property(hostile, (v) => {
        for (const d of decoders) {
          const r = d(v)
          if (Either.isRight(r)) expect(typeof (r.right as { _tag: unknown })._tag).toBe("string")
        }
        // What arrives on the socket is text: parse it like the server does.
        for (const d of decoders) d(JSON.parse(JSON.stringify(v) ?? "null"))
      }),
      params,
    )
  })
})

/** A cut exactly between two records is a valid shorter body. */
const isBoundary = (recs: ReadonlyArray<{ bytes: Uint8Array }>, n: number): boolean => {
  let at = 0
  for (const r of recs) {
    at += 12 + r.bytes.length
    if (at === n) return true
  }
  return false
}
