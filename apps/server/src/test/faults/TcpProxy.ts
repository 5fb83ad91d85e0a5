import { createServer, type Server, Socket } from "node:net"

/**
 * What the proxy does with traffic:
 * - `pass`: forwards both ways.
 * - `drop`: accepts new connections and closes them at once (FIN): "connection refused"-like.
 * - `blackhole`: accepts, never forwards, never answers; open connections go silent too.
 *   This is how a half-open socket looks to both ends.
 * - `reset`: destroys every connection with a TCP RST, new ones as they arrive.
 * - `latency`: forwards, each chunk delayed by `latencyMs` (order kept).
 * - `dropResponses`: forwards requests, then resets the client's connection as soon as the
 *   upstream answers, so the request is processed but its response is lost (F8).
 */
export type ProxyMode = "pass" | "drop" | "blackhole" | "reset" | "latency" | "dropResponses"

export interface TcpProxy {
  readonly port: number
  readonly url: string
  readonly mode: () => ProxyMode
  readonly setMode: (mode: ProxyMode, options?: { readonly latencyMs?: number }) => void
  /** Connections accepted so far (all modes). */
  readonly accepted: () => number
  readonly close: () => Promise<void>
}

interface Pair {
  readonly client: Socket
  upstream: Socket | undefined
}

/** A TCP proxy on 127.0.0.1 in front of `target` (a server or Postgres), with switchable faults. */
export const startTcpProxy = async (target: { readonly host?: string; readonly port: number }): Promise<TcpProxy> => {
  let mode: ProxyMode = "pass"
  let latencyMs = 0
  let accepted = 0
  const pairs = new Set<Pair>()
  const host = target.host ?? "127.0.0.1"

  const kill = (p: Pair, rst: boolean) => {
    pairs.delete(p)
    if (rst) {
      p.client.resetAndDestroy()
      p.upstream?.resetAndDestroy()
    } else {
      p.client.destroy()
      p.upstream?.destroy()
    }
  }

  // Each direction through one function so a mode switch applies to open connections too.
  const relay = (p: Pair, from: Socket, to: () => Socket | undefined, upstreamToClient: boolean) => {
    let chain = Promise.resolve()
    from.on("data", (chunk: Buffer) => {
      if (mode === "blackhole") return
      if (mode === "reset" || mode === "drop") return kill(p, mode === "reset")
      if (mode === "dropResponses" && upstreamToClient) return kill(p, true)
      const delay = mode === "latency" ? latencyMs : 0
      chain = chain.then(async () => {
        if (delay > 0) await new Promise((r) => setTimeout(r, delay))
        const dest = to()
        if (dest && !dest.destroyed) dest.write(chunk)
      })
    })
  }

  const all = new Set<Socket>()
  const server: Server = createServer((client) => {
    accepted++
    all.add(client)
    client.on("close", () => all.delete(client))
    const p: Pair = { client, upstream: undefined }
    client.on("error", () => kill(p, false))
    if (mode === "drop") {
      client.end()
      return
    }
    if (mode === "reset") {
      client.resetAndDestroy()
      return
    }
    pairs.add(p)
    const upstream = new Socket()
    p.upstream = upstream
    // Bytes the client sends before the upstream connects wait in the relay chain.
    client.pause()
    upstream.on("error", () => kill(p, false))
    upstream.on("close", () => {
      // Upstream went away: tell the client the same way, unless we play dead.
      if (mode !== "blackhole") kill(p, false)
    })
    client.on("close", () => {
      if (mode !== "blackhole") kill(p, false)
    })
    upstream.connect(target.port, host, () => client.resume())
    relay(p, client, () => p.upstream, false)
    relay(p, upstream, () => p.client, true)
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const addr = server.address()
  const port = typeof addr === "object" && addr ? addr.port : 0
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    mode: () => mode,
    accepted: () => accepted,
    setMode: (m, options) => {
      // Bytes swallowed by a blackhole are gone: like a real dead peer, those connections
      // cannot resume, so healing one resets them (the peers time out on their own otherwise).
      if (mode === "blackhole" && m !== "blackhole") for (const p of [...pairs]) kill(p, true)
      mode = m
      latencyMs = options?.latencyMs ?? latencyMs
      if (m === "reset") for (const p of [...pairs]) kill(p, true)
      if (m === "drop") for (const p of [...pairs]) kill(p, false)
    },
    close: async () => {
      for (const p of [...pairs]) kill(p, false)
      for (const c of all) c.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
