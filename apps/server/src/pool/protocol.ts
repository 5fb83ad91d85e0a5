import type { PoolOpArgs, PoolOpName, PoolOpResult } from "./ops/index.js"

/**
 * Messages between LoroPool (main thread) and poolWorker. Both ends are our own code in
 * one process, so messages are typed (a request → answer map, `Answer<R>`), not
 * schema-decoded: decoding would cost every push a pass over its bytes. The untrusted part
 * (blob bytes) is only ever interpreted by Loro inside the worker.
 */

export interface DocKey {
  readonly ws: string
  readonly doc: string
}

/** One document's share of a `Validate` message. */
export interface ValidateItem {
  readonly key: DocKey
  readonly batchId: number
  /** Blobs of this batch that already passed before the copy was reloaded. */
  readonly reapply: ReadonlyArray<Uint8Array>
  readonly blobs: ReadonlyArray<Uint8Array>
  /** Run the health check (untrusted bytes); false for bytes already validated and stored. */
  readonly check: boolean
  /**
   * The log's head as the caller last read it: a copy committed below it lacks what other
   * nodes committed since, so it is reloaded first (NeedLoad).
   */
  readonly atLeastSeq?: number | undefined
}

export interface CommitItem {
  readonly key: DocKey
  readonly batchId: number
  readonly seq: number
  /** The batch's first seq: past `committedSeq + 1`, the copy missed entries and is dropped. */
  readonly fromSeq?: number | undefined
}

/** A named operation (pool/ops) on a document's copy: `op` decides `args` and the answer. */
export interface RunRequest<K extends PoolOpName = PoolOpName> {
  readonly _tag: "Run"
  readonly key: DocKey
  readonly op: K
  readonly args: PoolOpArgs<K>
}

export type WorkerRequest =
  | {
      readonly _tag: "Load"
      readonly key: DocKey
      readonly snapshot: Uint8Array | undefined
      readonly updates: ReadonlyArray<Uint8Array>
      readonly seq: number
    }
  /** Many documents' batches in one message: one round trip per worker per tick. */
  | { readonly _tag: "Validate"; readonly items: ReadonlyArray<ValidateItem> }
  /** Batches committed to the log (sent without waiting for the answer: the worker is FIFO). */
  | { readonly _tag: "Commit"; readonly items: ReadonlyArray<CommitItem> }
  | { readonly _tag: "Discard"; readonly keys: ReadonlyArray<DocKey> }
  | { readonly _tag: "ExportSnapshot"; readonly key: DocKey; readonly atLeastSeq?: number | undefined }
  | { readonly _tag: "Build"; readonly snapshot: Uint8Array | undefined; readonly updates: ReadonlyArray<Uint8Array> }
  | RunRequest
  /** Operations on many documents in one message (the projection's group turn); answered in order. */
  | { readonly _tag: "RunMany"; readonly items: ReadonlyArray<RunRequest> }

/** A committed document's full snapshot and the seq it covers. */
export interface Snapshot {
  readonly bytes: Uint8Array
  readonly seq: number
}

/**
 * What each request answers with `Ok`: the request → response map both ends are checked
 * against (`poolWorker.ts` builds each answer for its request's tag, `LoroPool` reads it).
 * `Validate` answers `Validated` instead.
 */
export type OkValue<R extends WorkerRequest> =
  R extends RunRequest<infer K>
    ? PoolOpResult<K>
    : R extends { readonly _tag: "RunMany" }
      ? ReadonlyArray<Answer<RunRequest>>
      : R extends { readonly _tag: "ExportSnapshot" }
        ? Snapshot
        : R extends { readonly _tag: "Build" }
          ? Uint8Array
          : R extends { readonly _tag: "Validate" }
            ? never
            : undefined

/** The outcome of one `ValidateItem`. */
export type ItemResult =
  | { readonly _tag: "Ok" }
  /** The document is not in this worker's cache (or is behind `atLeastSeq`): load it and resend. */
  | { readonly _tag: "NeedLoad" }
  /**
   * Loro refused the blobs cleanly (or they broke the health check); the copy was dropped.
   * `missingDeps`: they depend on ops the copy lacks, which another node may have committed
   * (the copy covered the log up to `committedSeq`).
   */
  | {
      readonly _tag: "Refused"
      readonly reason: string
      readonly missingDeps?: boolean
      readonly committedSeq?: number
    }
  /** Loro panicked on this item: the worker is poisoned and must be recycled. */
  | { readonly _tag: "Crashed"; readonly reason: string }
  /** Not attempted: an earlier item crashed the worker. Send it again to a healthy one. */
  | { readonly _tag: "NotRun" }

/** Answers any request may get instead of its own. */
export type NotDone =
  /** The document is not in this worker's cache: send Load, then the request again. */
  | { readonly _tag: "NeedLoad" }
  /** The copy holds validated-but-uncommitted updates: answer from the source instead. */
  | { readonly _tag: "NeedSource" }
  /** Loro's WebAssembly instance panicked; this worker is dead for Loro work and must be recycled. */
  | { readonly _tag: "Crashed"; readonly reason: string }
  /** An earlier request crashed this worker; the request was not run. */
  | { readonly _tag: "Poisoned" }
  /** An operation failed without a crash (bad op name, a Loro error string in a read). */
  | { readonly _tag: "Failed"; readonly message: string }

export interface Ok<V> {
  readonly _tag: "Ok"
  readonly value: V
}
export interface Validated {
  readonly _tag: "Validated"
  readonly results: ReadonlyArray<ItemResult>
}

/** The answer to `R` (only `Validate` is answered `Validated`; its `Ok` carries nothing). */
export type Answer<R extends WorkerRequest> = NotDone | Validated | Ok<OkValue<R>>

/** Any answer, as it crosses the thread boundary. */
export type WorkerResponse = Answer<WorkerRequest>

export interface WorkerEnvelope<A> {
  /** 0: nobody waits for the answer, and the worker sends none. */
  readonly id: number
  readonly body: A
  /**
   * Commit marks posted since the worker's last message, applied before `body`: they ride on
   * the next call instead of costing a message (and a wake-up of the thread) each.
   */
  readonly commits?: ReadonlyArray<CommitItem> | undefined
}
