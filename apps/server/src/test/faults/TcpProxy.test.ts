import { createServer, type Server, Socket } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTcpProxy, type TcpProxy } from "./TcpProxy.js"

let echo: Server
let port = 0
let received = 0
beforeAll(async () => {
  echo = createServer((s) => {
    s.on("error", () => {})
    s.on("data", (d) => {
      received += d.length
      s.write(d)
    })
  })
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()))
  port = (echo.address() as { port: number }).port
})
afterAll(() => new Promise<void>((r) => echo.close(() => r())))

/** Sends `msg`, resolves with what came back or how the connection ended (bounded by `ms`). */
const talk = (proxy: TcpProxy, msg: string, ms = 500) =>
  new Promise<string>((resolve) => {
    const s = new Socket()
    let got = ""
    const done = (v: string) => {
      clearTimeout(t)
      s.destroy()
      resolve(v)
    }
    const t = setTimeout(() => done(got === "" ? "silence" : got), ms)
    s.on("data", (d) => {
      got += d
      if (got === msg) done(got)
    })
    s.on("error", (e: NodeJS.ErrnoException) => done(e.code ?? "error"))
    s.on("close", () => done(got === "" ? "closed" : got))
    s.connect(proxy.port, "127.0.0.1", () => s.write(msg))
  })

describe("TcpProxy", () => {
  it("passes, drops, resets, delays, blackholes and swallows responses", async () => {
    const proxy = await startTcpProxy({ port })
    try {
      expect(await talk(proxy, "hello")).toBe("hello")
      proxy.setMode("drop")
      expect(await talk(proxy, "x")).toBe("closed")
      proxy.setMode("reset")
      expect(await talk(proxy, "x")).toBe("ECONNRESET")
      proxy.setMode("latency", { latencyMs: 50 })
      expect(await talk(proxy, "slow", 5_000)).toBe("slow")
      proxy.setMode("blackhole")
      expect(await talk(proxy, "void", 300)).toBe("silence")
      // dropResponses: the request reaches the upstream, the answer never reaches the client.
      proxy.setMode("dropResponses")
      const before = received
      expect(await talk(proxy, "lost", 5_000)).toBe("ECONNRESET")
      expect(received - before).toBe(4)
      proxy.setMode("pass")
      expect(await talk(proxy, "back")).toBe("back")
    } finally {
      await proxy.close()
    }
  })
})
