import { LoroDoc } from "loro-crdt"
import { normalize } from "../../../backup/test/backupHarness.js"

/**
 * The in-memory model of one workspace for the L5 model-based run: what the server must
 * hold and answer, kept by plain code beside the real server and compared after every
 * command. The model decides seqs, duplicates, roles and revocation on its own; Loro is
 * only used to turn a log (the model's bytes) into JSON for the state comparisons.
 */
export type Role = "master" | "editor" | "viewer"

export interface TokenM {
  readonly role: Role
  revoked: boolean
}

export interface RecordM {
  readonly seq: number
  readonly bytes: Uint8Array
  /** The Idempotency-Key it was stored under; undefined for keyless pushes and reverts. */
  readonly key: string | undefined
}

export interface BackupM {
  /** Index into `Real.backupIds`. */
  readonly index: number
  /** Per document that had a log then: its head (the backup holds records 1..head). */
  readonly heads: ReadonlyMap<string, number>
}

/** A live socket: which token authenticated it and, per subscribed doc, `Subscribed.cursor`. */
export interface SocketM {
  readonly token: number
  readonly subscribed: Map<string, number>
}

export const DOCS = ["main", "notes"] as const
export const SLOTS = 2

export class Model {
  /** Index 0 is the master token; the setup mints one editor and one viewer after it. */
  readonly tokens: Array<TokenM> = [{ role: "master", revoked: false }]
  readonly logs = new Map<string, Array<RecordM>>(DOCS.map((d) => [d, []]))
  readonly backups: Array<BackupM> = []
  readonly sockets: Array<SocketM | undefined> = Array.from({ length: SLOTS }, () => undefined)

  log(doc: string): Array<RecordM> {
    return this.logs.get(doc)!
  }
  head(doc: string): number {
    return this.log(doc).length
  }
  /** The first seq stored under `key` in `doc` (S3 is per document). */
  seqOfKey(doc: string, key: string): number | undefined {
    return this.log(doc).find((r) => r.key === key)?.seq
  }
  append(doc: string, bytes: Uint8Array, key: string | undefined): RecordM {
    const r = { seq: this.head(doc) + 1, bytes, key }
    this.log(doc).push(r)
    return r
  }
  /** Documents the server knows, by id: `main` (made at registration) and any with a committed update. */
  heads(): Array<{ docId: string; cursor: number }> {
    return DOCS.filter((d) => d === "main" || this.head(d) > 0)
      .map((d) => ({ docId: d, cursor: this.head(d) }))
      .sort((a, b) => (a.docId < b.docId ? -1 : 1))
  }
  /** Picks a token by a generated number; the list only grows, so shrinking keeps picks valid. */
  token(pick: number): number {
    return pick % this.tokens.length
  }
  /** The document's JSON after its first `upTo` records (all by default). */
  state(doc: string, upTo = this.head(doc)): unknown {
    return stateOf(this.log(doc).slice(0, upTo))
  }
}

export const stateOf = (records: ReadonlyArray<{ bytes: Uint8Array }>): unknown => {
  const d = new LoroDoc()
  if (records.length > 0) d.importBatch(records.map((r) => r.bytes))
  return normalize(d.toJSON())
}

/** What a push by this token must get, before looking at its bytes (S6, S7). */
export const authOutcome = (t: TokenM, action: "read" | "write" | "master"): 401 | 403 | undefined => {
  if (t.revoked) return 401
  if (action === "write" && t.role === "viewer") return 403
  if (action === "master" && t.role !== "master") return 403
  return undefined
}
