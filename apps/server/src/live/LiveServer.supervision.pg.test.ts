import { rmSync } from "node:fs"
import { CloseCode } from "@vibestack/shared"
import { Effect, Exit, Layer, Logger, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Tokens } from "../auth/Tokens.js"
import { NodeServer } from "../http/NodeServer.js"
import { CoreLive } from "../Server.js"
import { PushService } from "../store/PushService.js"
import { api, updateChain } from "../test/http.js"
import { liveClient, subscribed } from "../test/liveClient.js"
import { freePort, startTestPg, type TestPg } from "../test/pg.js"
import { startTestServer, type TestServer, testConfig } from "../test/server.js"
import { defaultLiveLimits } from "./Connection.js"
import { HttpNodeServer, LiveServerLive } from "./LiveServer.js"

/** What a live node's services may be swapped for: a token check or a push that misbehaves. */
interface Faults {
  readonly verify?: (token: string, real: Tokens["verify"]) => ReturnType<Tokens["verify"]>
  readonly submit?: (
    input: Parameters<PushService["submit"]>[0],
    real: PushService["submit"],
  ) => ReturnType<PushService["submit"]>
}

/**
 * A node serving only the live socket (`LiveServerLive` on the real services, real Postgres,
 * real `ws` sockets), with the token check and the push path wrapped by `faults`, and every
 * log line it writes kept in `lines`.
 */
const startLiveNode = async (pg: TestPg, faults: Faults) => {
  const port = await freePort()
  const config = testConfig(pg.url, { port })
  const node = new NodeServer()
  const lines: Array<string> = []
  const wrapped = Layer.mergeAll(
    Layer.effect(
      Tokens,
      Effect.map(
        Tokens,
        (t) => new Tokens({ ...t, verify: (token) => faults.verify?.(token, t.verify) ?? t.verify(token) }),
      ),
    ),
    Layer.effect(
      PushService,
      Effect.map(
        PushService,
        (p) => new PushService({ ...p, submit: (input) => faults.submit?.(input, p.submit) ?? p.submit(input) }),
      ),
    ),
  )
  const layer = LiveServerLive({ ...defaultLiveLimits, heartbeatMs: 120_000 }).pipe(
    Layer.provide(Layer.succeed(HttpNodeServer, node)),
    Layer.provide(wrapped),
    Layer.provide(CoreLive(config)),
    Layer.provide(
      Logger.replace(
        Logger.defaultLogger,
        Logger.map(Logger.logfmtLogger, (l) => void lines.push(l)),
      ),
    ),
  )
  const scope = Effect.runSync(Scope.make())
  await Effect.runPromise(Layer.buildWithScope(layer, scope))
  // Node emits upgrades only to a server with an upgrade listener (the platform adds one on a full server).
  node.on("upgrade", () => {})
  await new Promise<void>((resolve) => node.listen(port, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${port}`,
    lines,
    /** Closes the node's scope (what a server's shutdown does), then its HTTP server. */
    stop: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await new Promise((resolve) => node.close(resolve))
      rmSync(config.dataDir, { recursive: true, force: true })
    },
  }
}

describe("live socket supervision (real sockets, real Postgres)", () => {
  let pg: TestPg
  let server: TestServer
  let ws: string
  let master: string
  beforeAll(async () => {
    pg = await startTestPg()
    server = await startTestServer({ pg })
    ;({ workspaceId: ws, masterToken: master } = await api(server.url).register("Supervision"))
  })
  afterAll(async () => {
    await server?.stop()
    await pg?.dispose()
  })

  it("[S14] a defect in a socket's handler closes that socket with 1011 and is logged; the node keeps serving the others", async () => {
    const node = await startLiveNode(pg, {
      verify: (token, real) =>
        token === "defect" ? Effect.die(new Error("injected token-check defect")) : real(token),
      submit: (input, real) =>
        input.idempotencyKey === "defect" ? Promise.reject(new Error("injected push defect")) : real(input),
    })
    try {
      const other = await subscribed(node.url, ws, master)

      // A defect inside a fiber the socket started (the token check).
      const bad = liveClient(node.url, ws)
      await bad.opened
      bad.sendJson({ _tag: "Auth", token: "defect", protocolVersion: 1 })
      expect(await bad.closed).toEqual({ code: 1011, reason: "internal error" })

      // A rejection on the push path (plain promises, no fiber).
      const pusher = await subscribed(node.url, ws, master)
      pusher.push("main", 1, "defect", updateChain(1)[0]!)
      expect(await pusher.closed).toEqual({ code: 1011, reason: "internal error" })

      const logged = node.lines.filter((l) => l.includes("live socket handler failed; socket closed"))
      expect(logged).toHaveLength(2)
      expect(logged.some((l) => l.includes("injected token-check defect"))).toBe(true)
      expect(logged.some((l) => l.includes("injected push defect"))).toBe(true)

      // The socket that did nothing wrong still gets what is committed, and new sockets are served.
      const chain = updateChain(2)
      expect((await api(server.url).push(ws, master, chain[0]!, "after-defect-0")).status).toBe(200)
      await other.waitFor(() => other.updates.length === 1)
      const fresh = await subscribed(node.url, ws, master)
      fresh.push("main", 7, "after-defect-1", chain[1]!)
      await fresh.waitFor(() => fresh.texts.find((t) => t._tag === "PushAck" && t.requestId === 7))
      await other.waitFor(() => other.updates.length === 2)
      expect(other.updates.map((u) => u.seq)).toEqual([1, 2])
      for (const c of [other, fresh]) c.socket.close()
    } finally {
      await node.stop()
    }
  })

  it("[S14] shutting the node's scope interrupts the Effects its sockets started and closes its sockets", async () => {
    let started: () => void = () => {}
    const checking = new Promise<void>((resolve) => {
      started = resolve
    })
    let interrupted = false
    const node = await startLiveNode(pg, {
      // A token check that never ends until it is interrupted.
      verify: (token, real) =>
        token === "stall"
          ? Effect.sync(started).pipe(
              Effect.zipRight(Effect.never),
              Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))),
            )
          : real(token),
    })
    const open = await subscribed(node.url, ws, master)
    const stalled = liveClient(node.url, ws)
    await stalled.opened
    stalled.sendJson({ _tag: "Auth", token: "stall", protocolVersion: 1 })
    await checking
    expect(interrupted).toBe(false)
    await node.stop()
    // Closing the scope waited for the FiberSet to interrupt the check in flight.
    expect(interrupted).toBe(true)
    expect(await open.closed).toEqual({ code: CloseCode.ServerShutdown, reason: "server shutting down" })
    stalled.socket.terminate()
  })
})
