/**
 * Moves text and list edits past changes that were left out (rebase, SPEC C14): operational
 * transformation over one container, in the style of rich-text editors' deltas.
 *
 * It tracks the container's content in two worlds at once as runs of elements: `both` (there
 * in the world where every change happened and in the one without the left-out changes),
 * `ghost` (inserted by a left-out change: only in the first world) and `hidden` (deleted by a
 * left-out change: only in the second). Each change's delta, as read in the first world, is
 * fed in order: a left-out one only updates the runs; a kept one is also rewritten for the
 * second world (retains skip ghosts and cover hidden runs; deletes of ghosts vanish).
 * O(runs) per delta, whatever the size of the text (a pasted megabyte is one run).
 */
type Kind = "both" | "ghost" | "hidden"
interface Run {
  len: number
  readonly kind: Kind
}

/** One op of a Loro text or list delta (`Delta<string>` / `Delta<Array<Value>>`). */
export interface DeltaOp {
  insert?: string | ReadonlyArray<unknown> | undefined
  delete?: number | undefined
  retain?: number | undefined
  attributes?: Record<string, unknown> | undefined
}
type AnyDelta = DeltaOp
const sizeOf = (insert: string | ReadonlyArray<unknown>): number => insert.length

export class PositionMap {
  /** The content as runs; the untouched rest of the container is an endless `both` run. */
  private runs: Array<Run> = [{ len: Number.POSITIVE_INFINITY, kind: "both" }]

  /** A left-out change's delta: its inserts become ghosts, the content it deleted becomes hidden. */
  leftOut(delta: ReadonlyArray<AnyDelta>): void {
    this.walk(delta, false)
  }

  /** A kept change's delta, rewritten for the world without the left-out changes. */
  kept(delta: ReadonlyArray<AnyDelta>): Array<AnyDelta> {
    return this.walk(delta, true)
  }

  private walk(delta: ReadonlyArray<AnyDelta>, keep: boolean): Array<AnyDelta> {
    const queue = this.runs
    const next: Array<Run> = []
    const out: Array<AnyDelta> = []
    let at = 0
    const emitRetain = (n: number, attributes?: Record<string, unknown>) => {
      if (!keep || n === 0) return
      const last = out.at(-1)
      if (attributes === undefined && last?.retain !== undefined && last.attributes === undefined) last.retain += n
      else out.push(attributes === undefined ? { retain: n } : { retain: n, attributes })
    }
    /** Takes up to `n` elements of the current run (splitting it); hidden runs are never taken. */
    const take = (n: number): Run => {
      const run = queue[at]!
      if (run.len <= n) {
        at++
        return run
      }
      run.len -= n
      return { len: n, kind: run.kind }
    }
    /** Hidden runs are invisible in the first world: a kept change passes over them. */
    const passHidden = () => {
      while (queue[at]?.kind === "hidden") {
        const run = queue[at++]!
        emitRetain(run.len)
        next.push(run)
      }
    }
    for (const op of delta) {
      if (op.retain !== undefined) {
        for (let n = op.retain; n > 0; ) {
          passHidden()
          const run = take(n)
          n -= run.len
          if (run.kind === "both") emitRetain(run.len, keep ? op.attributes : undefined)
          next.push(run)
        }
      } else if (op.insert !== undefined) {
        const len = sizeOf(op.insert)
        if (keep) {
          // After content the left-out change deleted right there (it is back in this world).
          passHidden()
          out.push(op)
        }
        next.push({ len, kind: keep ? "both" : "ghost" })
      } else if (op.delete !== undefined) {
        for (let n = op.delete; n > 0; ) {
          passHidden()
          const run = take(n)
          n -= run.len
          if (run.kind === "both") {
            if (keep) out.push({ delete: run.len })
            else next.push({ len: run.len, kind: "hidden" })
          }
        }
      }
    }
    this.runs = merge([...next, ...queue.slice(at)])
    return mergeDeletes(out)
  }
}

const merge = (runs: ReadonlyArray<Run>): Array<Run> => {
  const out: Array<Run> = []
  for (const r of runs) {
    if (r.len === 0) continue
    const last = out.at(-1)
    if (last !== undefined && last.kind === r.kind) last.len += r.len
    else out.push({ ...r })
  }
  return out
}

/** Adjacent deletes as one; a trailing retain says nothing and is dropped. */
const mergeDeletes = (ops: Array<AnyDelta>): Array<AnyDelta> => {
  const out: Array<AnyDelta> = []
  for (const op of ops) {
    const last = out.at(-1)
    if (op.delete !== undefined && last?.delete !== undefined) last.delete += op.delete
    else out.push(op)
  }
  while (out.length > 0 && out.at(-1)!.retain !== undefined && out.at(-1)!.attributes === undefined) out.pop()
  return out
}
