import { execFile, spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Duplex } from "node:stream"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { rawRequest, upgradeRequest } from "../test/rawHttp.js"
import { NodeServer } from "./NodeServer.js"

/** The class fix for issue #13 finding 1: no handler's exception gets past the Node server. */
describe("NodeServer guards (S14)", () => {
  const server = new NodeServer()
  const reported: Array<{ error: string; method: string; path: string }> = []
  let port = 0
  beforeAll(async () => {
    server.onHandlerError = (error, where) => reported.push({ error: String(error), ...where })
    server.addUpgradeHandler((req) => {
      if (req.url?.startsWith("/throws")) throw new URIError("URI malformed")
      return false
    })
    // Node sends upgrades to "request" when nothing listens for "upgrade" (the platform does).
    server.on("upgrade", (_req, socket) => socket.destroy())
    server.on("request", (req, res) => {
      if (req.url?.startsWith("/throws")) throw new TypeError("handler bug")
      res.end("ok")
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    port = (server.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it("[S14] an upgrade handler that throws: 400 in the error shape, reported with method and path (no query)", async () => {
    const r = await rawRequest(port, upgradeRequest("/throws/here?token=secret"))
    expect(r.status).toBe(400)
    expect(r.headers["content-type"]).toBe("application/json")
    expect(JSON.parse(r.body)).toEqual({ error: { kind: "BadRequest", message: "malformed request" } })
    expect(r.headers.connection).toBe("close")
    expect(reported.at(-1)).toEqual({ error: "URIError: URI malformed", method: "GET", path: "/throws/here" })
    expect(JSON.stringify(reported)).not.toContain("secret")
  })

  it("[S14] a request handler that throws: 400 in the error shape; the server keeps serving", async () => {
    const r = await rawRequest(port, "POST /throws?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    expect(r.status).toBe(400)
    expect(JSON.parse(r.body).error.kind).toBe("BadRequest")
    expect(reported.at(-1)).toMatchObject({ error: "TypeError: handler bug", method: "POST", path: "/throws" })
    expect(await (await fetch(`http://127.0.0.1:${port}/fine`)).text()).toBe("ok")
  })

  it("[S14] malformed HTTP is answered in the error shape too", async () => {
    for (const bad of [
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ]) {
      const r = await rawRequest(port, bad)
      expect(r.status, bad).toBe(400)
      expect(JSON.parse(r.body).error.kind, bad).toBe("BadRequest")
    }
    const huge = await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)
    expect(huge.status).toBe(431)
  })

  it("[S14] the process guard of `vibestack serve` logs an uncaught exception and keeps the process alive", async () => {
    const guard = fileURLToPath(new URL("./HandlerGuard.ts", import.meta.url))
    const script = `
      import { installProcessGuard } from ${JSON.stringify(guard)}
      installProcessGuard((kind, error) => console.log("caught", kind, String(error)))
      setTimeout(() => { throw new Error("boom") }, 10)
      Promise.reject(new Error("nope"))
      setTimeout(() => console.log("alive"), 200)`
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    )
    expect(out).toContain("caught uncaughtException Error: boom")
    expect(out).toContain("caught unhandledRejection Error: nope")
    expect(out.trim().endsWith("alive")).toBe(true)
  }, 60_000)

  it("[S14] a log reader that goes away is not an uncaught exception (the guard logged its own EPIPE in a loop at 100 % CPU)", async () => {
    const guard = fileURLToPath(new URL("./HandlerGuard.ts", import.meta.url))
    const result = join(mkdtempSync(join(tmpdir(), "guard-")), "reports")
    const script = `
      import { writeFileSync } from "node:fs"
      import { installProcessGuard } from ${JSON.stringify(guard)}
      let reports = 0
      installProcessGuard((kind, error) => { reports++; console.log("caught", kind, String(error)) })
      console.log("ready")
      const write = setInterval(() => console.log("a log line nobody reads"), 5)
      setTimeout(() => { clearInterval(write); writeFileSync(${JSON.stringify(result)}, String(reports)); process.exit(0) }, 800)`
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)))
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    // The reader of the child's log goes away, as when the process that started it dies.
    child.stdout.destroy()
    child.stderr.destroy()
    expect(await exited).toBe(0)
    expect(readFileSync(result, "utf8")).toBe("0")
  }, 60_000)
})

describe("NodeServer before the app is attached", () => {
  it("[S14] answers 503 with Retry-After instead of leaving the request waiting", async () => {
    const server = new NodeServer()
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    try {
      const port = (server.address() as { port: number }).port
      const r = await rawRequest(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(r.status).toBe(503)
      expect(r.headers["retry-after"]).toBe("1")
      expect(JSON.parse(r.body).error.kind).toBe("Unavailable")
      const u = await rawRequest(port, upgradeRequest("/api/v1/workspaces/w/live"))
      expect(u.status).toBe(503)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})

/**
 * Listens, connects a raw client that sends `request`, waits until the server took it
 * (`taken`), then closes the server: resolves once the close called back and the client's
 * socket was cut. A close that waits for the connection never resolves (the test times out).
 */
const closeCutting = async (
  server: NodeServer,
  taken: Promise<void>,
  request: string,
): Promise<{ readonly destroyed: boolean; readonly received: string }> => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  const { port } = server.address() as { port: number }
  const { createConnection } = await import("node:net")
  const client = createConnection({ port, host: "127.0.0.1" })
  const clientClosed = new Promise<void>((r) => client.once("close", () => r()))
  client.on("error", () => {})
  // Reading what the server answered also lets the server's end of the socket be seen.
  let received = ""
  client.on("data", (d: Buffer) => {
    received += d.toString()
  })
  client.write(request)
  await taken
  await new Promise<void>((r) => server.close(() => r()))
  await clientClosed
  return { destroyed: client.destroyed, received }
}

/**
 * Makes `server` take every upgrade as the live server does: answer 101 and keep the socket
 * (nothing here ever closes it), after `also`. Resolves when the first one is taken.
 */
const keepsUpgrades = (server: NodeServer, also?: (socket: Duplex) => void): Promise<void> =>
  new Promise<void>((taken) => {
    server.addUpgradeHandler((_req, socket) => {
      socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
      also?.(socket)
      taken()
      return true
    })
    // Node sends upgrades to "request" when nothing listens for "upgrade" (the platform does).
    server.on("upgrade", (_req, socket) => socket.destroy())
  })

describe("NodeServer shutdown", () => {
  it("closing cuts a request that never answers (a long-poll) instead of waiting for it", async () => {
    const server = new NodeServer()
    let started!: () => void
    const requestStarted = new Promise<void>((r) => (started = r))
    server.on("request", () => started()) // never answers
    const closed = await closeCutting(server, requestStarted, "GET /api/v1/shape?live=true HTTP/1.1\r\nHost: x\r\n\r\n")
    expect(closed.destroyed).toBe(true)
  })

  it("closing cuts a live socket still open (an upgrade handler took it, its client stays connected)", async () => {
    // Node's own close waits for upgraded sockets and `closeAllConnections` leaves them.
    const server = new NodeServer()
    const closed = await closeCutting(server, keepsUpgrades(server), upgradeRequest("/api/v1/workspaces/w/live"))
    expect(closed.destroyed).toBe(true)
  })

  it("closing runs the onClose steps first (the live server's goodbye), whichever finalizer closes the server", async () => {
    const server = new NodeServer()
    const taken = keepsUpgrades(server, (socket) => server.onClose(() => socket.end("goodbye")))
    const closed = await closeCutting(server, taken, upgradeRequest("/api/v1/workspaces/w/live"))
    expect(closed.received).toMatch(/goodbye$/)
  })
})
