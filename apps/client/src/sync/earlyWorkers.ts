/**
 * The workers, started by the page's first code when it is joining a workspace (`main.ts`),
 * before React, Effect or the app have loaded. Each worker's start (its bundle fetched,
 * compiled and evaluated, then Loro's WebAssembly) took 0.35-0.4 s of a new device's first board,
 * and began only once the app had mounted; now it runs while the page's own code loads.
 * This module imports nothing: it is part of the page's entry chunk.
 */

/** The Web Lock whose holder runs the sync worker: one tab at a time. */
export const LEADER_LOCK = "vibestack-sync-leader"

/** A started worker whose messages and errors wait until its owner takes them (`adopt`). */
export interface EarlyWorker {
  readonly worker: Worker
  adopt(onMessage: (e: MessageEvent) => void, onError: (e: ErrorEvent) => void): void
}

const early = (worker: Worker): EarlyWorker => {
  const queued: Array<MessageEvent | ErrorEvent> = []
  worker.onmessage = (e) => queued.push(e)
  worker.onerror = (e) => queued.push(e)
  return {
    worker,
    adopt(onMessage, onError) {
      worker.onmessage = onMessage
      worker.onerror = onError
      for (const e of queued.splice(0)) e instanceof ErrorEvent ? onError(e) : onMessage(e)
    },
  }
}

let leader: Promise<EarlyWorker> | undefined

/**
 * Queues this tab for the leader lock, once; when the browser grants it (at once in the only
 * tab, or when the leader's tab closes) the sync worker starts. The lock is held for the tab's
 * life: the browser hands it to the next tab in line when this one goes away.
 */
export const leaderWorker = (): Promise<EarlyWorker> =>
  (leader ??= new Promise((resolve) => {
    void navigator.locks.request(LEADER_LOCK, () => {
      resolve(early(new Worker(new URL("./sync.worker.ts", import.meta.url), { type: "module" })))
      return new Promise<never>(() => {})
    })
  }))

const newDocWorker = (): Worker =>
  new Worker(new URL("./doc.worker.ts", import.meta.url), { type: "module", name: "vibestack-doc" })

let spareDocWorker: Worker | undefined

/**
 * Starts a document worker for a workspace about to open: it loads its bundle and compiles
 * Loro, then waits for `Open`. The next session takes it (`takeDocWorker`).
 */
export const startDocWorkerEarly = (): void => {
  spareDocWorker ??= newDocWorker()
}

/** The started document worker, or a new one. */
export const takeDocWorker = (): Worker => {
  const w = spareDocWorker ?? newDocWorker()
  spareDocWorker = undefined
  return w
}

/**
 * Called first by `main.ts`. Only a join starts its workers this early: there the first board
 * waits for both (the snapshot comes through the sync worker, the rows from the document
 * worker), and the sync worker requests the snapshot as soon as it runs, not once the page has
 * loaded and stored the join. A reload draws its first board from IndexedDB rows, which the workers' starts would
 * only slow on a machine with few cores; they start when the app mounts, as before.
 */
export const startWorkersEarly = (path: string, hash: string): void => {
  const join = /^\/join\/([^/]+)$/.exec(path)
  if (join === null) return
  // The link's token (the join page checks the link; the worker checks what it is sent).
  const token = new URLSearchParams(hash.slice(1)).get("token")
  void leaderWorker().then(({ worker }) => {
    if (token) worker.postMessage({ _tag: "PrefetchJoin", ws: decodeURIComponent(join[1]!), token })
  })
  startDocWorkerEarly()
}
