import type { LoroDoc } from "loro-crdt"

/**
 * A client document migration from version `to - 1` to `to`. Never edited once landed.
 *
 * Rules, because two devices may run the same migration concurrently on copies of one
 * document and later merge: `run` must be idempotent (a second run writes nothing), must only
 * write values that are a pure function of what it reads (so concurrent runs write the same
 * values and converge), must never create a child container at a key another device might also
 * create (use root containers or `ensureMergeable*`), and must leave data that older clients
 * can still write to in a shape newer readers understand.
 */
export interface DocMigration {
  readonly to: number
  readonly name: string
  readonly run: (doc: LoroDoc) => void
}
