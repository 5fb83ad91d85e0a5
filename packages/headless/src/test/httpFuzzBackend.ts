import type { DocId, WorkspaceId } from "@vibestack/schema"
import { decodeUpdates, encodeUpdates, HttpTransport, type SeqBlob, type WebSocketCtor } from "@vibestack/shared"
import type { FuzzBackend, FuzzFault } from "@vibestack/shared/testing"
import { WebSocket } from "ws"

/**
 * The fuzz backend for any server speaking the public HTTP + WebSocket contract. Faults
 * are injected per peer in its `fetch` and WebSocket, like a flaky network would:
 * requests failing before they reach the server, responses lost after the commit,
 * corrupted pull bodies and blobs, sockets dropped.
 */
export const httpFuzzBackend = (o: {
  readonly url: string
  readonly workspaceId: WorkspaceId
  readonly docId: DocId
  readonly token: string
  readonly log: () => Promise<ReadonlyArray<SeqBlob>>
}): FuzzBackend => ({
  workspaceId: o.workspaceId,
  docId: o.docId,
  token: o.token,
  pause: () => new Promise((r) => setTimeout(r, 2)),
  log: o.log,
  connect: () => {
    let online = true
    const once: Array<FuzzFault> = []
    const sockets = new Set<WebSocket>()
    const take = (k: FuzzFault) => {
      const i = once.indexOf(k)
      if (i >= 0) once.splice(i, 1)
      return i >= 0
    }
    const fetchFn: typeof fetch = async (input, init) => {
      if (!online || take("failBeforeCommit")) throw new TypeError("fetch failed (injected)")
      const res = await fetch(input, init)
      if (init?.method === "POST" && take("dropAfterCommit")) {
        await res.arrayBuffer()
        throw new TypeError("response lost (injected)")
      }
      if (res.ok && String(input).includes("/updates?")) {
        if (take("garbageBody")) {
          const b = new Uint8Array(await res.arrayBuffer())
          return new Response(b.length > 0 ? b.slice(0, -1) : new Uint8Array([7]), { headers: res.headers })
        }
        if (take("garbageBlob")) {
          const records = decodeUpdates(new Uint8Array(await res.arrayBuffer()))
          if (typeof records === "string") throw new Error(records)
          const bad = records.map((r, i) => (i === 0 ? { seq: r.seq, bytes: new Uint8Array([1, 2, 3]) } : r))
          return new Response(encodeUpdates(bad), { headers: res.headers })
        }
      }
      return res
    }
    // Pushes go over the socket when it is up: the same faults there. A push frame that
    // never leaves, or whose answer is lost after the server committed it (the socket dies
    // on the answer, before the client sees it).
    class PeerSocket extends WebSocket {
      private dropAnswer = false
      constructor(url: string) {
        super(url)
        sockets.add(this)
        this.on("close", () => sockets.delete(this))
        if (!online) queueMicrotask(() => this.terminate())
      }
      override send(data: unknown, ...rest: Array<unknown>): void {
        if (typeof data !== "string") {
          if (take("failBeforeCommit")) return void this.terminate()
          if (take("dropAfterCommit")) this.dropAnswer = true
        }
        ;(super.send as (...a: Array<unknown>) => void)(data, ...rest)
      }
      override emit(event: string | symbol, ...args: Array<unknown>): boolean {
        if (event === "message" && this.dropAnswer && String(args[0]).includes('"requestId"')) {
          this.dropAnswer = false
          this.terminate()
          return false
        }
        return super.emit(event, ...args)
      }
    }
    return {
      transport: new HttpTransport({
        baseUrl: o.url,
        WebSocket: PeerSocket as unknown as WebSocketCtor,
        fetch: fetchFn,
        requestTimeoutMs: 3_000,
        pingIntervalMs: 2_000,
      }),
      setOnline: (on: boolean) => {
        online = on
        if (!on) for (const sock of sockets) sock.terminate()
      },
      inject: (f: FuzzFault) => {
        if (f === "closeSocket") for (const sock of sockets) sock.terminate()
        else once.push(f)
      },
    }
  },
})

/** The whole committed log of a document, read page by page over HTTP. */
export const pullAll = async (url: string, token: string, ws: WorkspaceId, doc: DocId): Promise<Array<SeqBlob>> => {
  const t = new HttpTransport({ baseUrl: url })
  const out: Array<SeqBlob> = []
  let after = 0
  for (let page = 0; page < 10_000; page++) {
    const p = await t.pull(token, ws, doc, after, 1000)
    out.push(...p.updates)
    after = p.cursor
    if (!p.more) break
  }
  return out
}
