/**
 * Initial syncs in progress on this node. A snapshot is read once, into pages of about
 * `pageBytes`; the first page answers `offset=-1`, later pages `0_<n>` requests. A held
 * snapshot is bound to the workspace, role and shape that started it (its `owner`): a
 * request from anyone else is answered as if it did not exist (409 must-refetch), never
 * with its rows. Memory is bounded: pages already fetched are dropped, idle snapshots
 * expire after `ttlMs`, a reader pauses while the node holds more than `maxBytes`, and
 * at most `concurrency` readers query Postgres at once.
 */
/** A page's JSON: bytes as the COPY reader builds them (strings in tests). */
export type PageBody = string | Uint8Array

export class HeldSnapshot {
  readonly pages: Array<PageBody> = []
  /** Set when the last page is pushed: the offset catch-up continues from (`<L1>_0`). */
  endOffset = ""
  done = false
  failed: string | undefined
  aborted = false
  /** The slot epoch the snapshot was taken in (its handle names it). */
  epoch = 0
  touched = Date.now()
  private wakers = new Set<() => void>()

  constructor(
    readonly owner: string,
    private readonly store: SnapshotStore,
  ) {}

  /** A finished page; the reader pushes page n only once it holds a row of page n + 1. */
  push(page: PageBody): void {
    this.pages.push(page)
    this.store.bytes += page.length
    this.wake()
  }

  /** The last page: done is set before anyone waiting for it wakes. */
  finish(lastPage: PageBody, endOffset: string): void {
    this.endOffset = endOffset
    this.done = true
    this.push(lastPage)
  }

  fail(message: string): void {
    this.failed = message
    this.wake()
  }

  /** Resolves once page `n` exists, or the read ended (done, failed, aborted). */
  ready(n: number): Promise<void> {
    this.touched = Date.now()
    if (n < this.pages.length || this.done || this.failed || this.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const w = () => {
        if (n < this.pages.length || this.done || this.failed || this.aborted) {
          this.wakers.delete(w)
          resolve()
        }
      }
      this.wakers.add(w)
    })
  }

  /** Pages before `n - 1` were fetched: free them (the one before stays for a retry). */
  release(n: number): void {
    let freed = false
    for (let i = 0; i < Math.min(n - 1, this.pages.length); i++) {
      const p = this.pages[i]!
      if (p !== "") {
        this.store.bytes -= p.length
        this.pages[i] = ""
        freed = true
      }
    }
    if (freed) this.store.notifyRoom()
  }

  drop(): void {
    this.aborted = true
    this.release(this.pages.length + 1)
    this.wake()
  }

  private wake(): void {
    for (const w of [...this.wakers]) w()
  }
}

export class SnapshotStore {
  bytes = 0
  private readonly held = new Map<string, HeldSnapshot>()
  private running = 0
  private readonly queue: Array<() => void> = []
  private readonly roomWaiters = new Set<() => void>()

  constructor(readonly options: { readonly ttlMs: number; readonly maxBytes: number; readonly concurrency: number }) {}

  open(owner: string): HeldSnapshot {
    return new HeldSnapshot(owner, this)
  }

  hold(handle: string, snap: HeldSnapshot): void {
    this.held.set(handle, snap)
  }

  /** The snapshot behind a handle, only for the owner that started it. */
  find(handle: string, owner: string): HeldSnapshot | undefined {
    const s = this.held.get(handle)
    return s && s.owner === owner && !s.aborted ? s : undefined
  }

  forget(handle: string): void {
    const s = this.held.get(handle)
    if (!s) return
    this.held.delete(handle)
    s.drop()
    this.notifyRoom()
  }

  full(): boolean {
    return this.bytes > this.options.maxBytes
  }

  /** Waits until the node holds less than its budget (or `stop()` says give up). */
  async room(stop: () => boolean): Promise<void> {
    while (this.full() && !stop())
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t)
          this.roomWaiters.delete(done)
          resolve()
        }
        const t = setTimeout(done, 250)
        this.roomWaiters.add(done)
      })
  }

  /**
   * Asks for a turn to read Postgres: `done(true)` when it is this caller's, `done(false)`
   * if none came within `waitMs`. The returned cancel gives back a turn already granted or
   * leaves the queue, so a caller that went away never keeps one.
   */
  acquire(waitMs: number, done: (ok: boolean) => void): () => void {
    let granted = false
    let settled = false
    const turn = () => {
      clearTimeout(timer)
      this.running++
      granted = settled = true
      done(true)
    }
    const timer = setTimeout(() => {
      this.queue.splice(this.queue.indexOf(turn) >>> 0, 1)
      settled = true
      done(false)
    }, waitMs)
    if (this.running < this.options.concurrency) turn()
    else this.queue.push(turn)
    return () => {
      if (granted) this.releaseTurn()
      else if (!settled) {
        clearTimeout(timer)
        const i = this.queue.indexOf(turn)
        if (i >= 0) this.queue.splice(i, 1)
      }
      granted = false
      settled = true
    }
  }

  releaseTurn(): void {
    this.running--
    const next = this.queue.shift()
    if (next) next()
  }

  /** Drops snapshots nobody asked a page of for `ttlMs`. */
  sweep(now = Date.now()): void {
    for (const [h, s] of this.held) if (now - s.touched > this.options.ttlMs) this.forget(h)
    this.notifyRoom()
  }

  notifyRoom(): void {
    for (const w of [...this.roomWaiters]) {
      this.roomWaiters.delete(w)
      w()
    }
  }
}
