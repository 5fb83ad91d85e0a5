import type { WorkspaceId } from "@vibestack/schema"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { describeRequestError } from "../ui/requestError.js"
import { callServer, ServerCallError } from "./callServer.js"

/**
 * `callServer` is the contract's derived client (`HttpApiClient.make(VibeStackApi)`); here its
 * fetch is a stub so every kind of answer can be made. The real server answers it in
 * `test/collab.browser.test.ts` (share links, backups) and `test/status.browser.test.ts` (offline).
 */
const ws = "ws_callserver01" as WorkspaceId
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })
let answer: (req: Request) => Response | Promise<Response>
const seen: Array<Request> = []

beforeEach(() => {
  seen.length = 0
  vi.stubGlobal("location", { origin: "http://app.test", pathname: "/w/ws_callserver01" })
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init)
    seen.push(req)
    return answer(req)
  })
  vi.spyOn(console, "warn").mockImplementation(() => undefined)
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

const failureOf = async (p: Promise<unknown>): Promise<ServerCallError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ServerCallError)
  return e as ServerCallError
}

describe("callServer (the contract's derived client)", () => {
  it("[U5] sends the route of the contract with the bearer token and decodes the answer", async () => {
    answer = () => json(200, { workspaceId: ws, name: "Team", role: "master", docs: [{ docId: "main", cursor: 3 }] })
    const info = await callServer("tok", (api) => api.workspaces.info({ path: { ws } }))
    expect(info).toEqual({ workspaceId: ws, name: "Team", role: "master", docs: [{ docId: "main", cursor: 3 }] })
    expect(seen[0]?.method).toBe("GET")
    expect(seen[0]?.url).toBe(`http://app.test/api/v1/workspaces/${ws}`)
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer tok")
  })

  it("[U5] encodes the payload by the contract (mint a share link)", async () => {
    answer = () =>
      json(201, { tokenId: "tok_1", token: "t", role: "editor", expiresAt: "2030-01-01T00:00:00Z", shareUrl: "x" })
    const minted = await callServer("tok", (api) =>
      api.tokens.mint({ path: { ws }, payload: { role: "editor", expiresInSeconds: 86_400 } }),
    )
    expect(minted.tokenId).toBe("tok_1")
    expect(seen[0]?.method).toBe("POST")
    expect(await seen[0]?.json()).toEqual({ role: "editor", expiresInSeconds: 86_400 })
  })

  it("[U5] a declared error answer becomes its kind, said in words", async () => {
    answer = () => json(403, { error: { kind: "Forbidden", message: "master only" } })
    const e = await failureOf(callServer("tok", (api) => api.tokens.list({ path: { ws } })))
    expect(e).toMatchObject({ reason: "answer", kind: "Forbidden", status: 403 })
    expect(describeRequestError(e)).toBe("Only the workspace's owner can do this.")
  })

  it("[U5] an undeclared status still reads the kind from the body, else goes by the status", async () => {
    // The tokens routes declare no 429: the kind comes from the body, not the status.
    answer = () => json(429, { error: { kind: "Overloaded", message: "slow down" } })
    const busy = await failureOf(callServer("tok", (api) => api.tokens.list({ path: { ws } })))
    expect(busy).toMatchObject({ reason: "answer", kind: "Overloaded", status: 429 })
    expect(describeRequestError(busy)).toBe("The server is busy or restarting. Try again in a moment.")
    answer = () => new Response("<html>bad gateway</html>", { status: 502 })
    const proxy = await failureOf(callServer("tok", (api) => api.backups.list({ path: { ws } })))
    expect(proxy).toMatchObject({ reason: "answer", status: 502 })
    expect(proxy.kind).toBeUndefined()
    expect(describeRequestError(proxy)).toBe("The server had a problem. Try again in a moment.")
  })

  it("[U5] no answer at all: the server cannot be reached", async () => {
    answer = () => Promise.reject(new TypeError("Failed to fetch"))
    const e = await failureOf(callServer("tok", (api) => api.tokens.list({ path: { ws } })))
    expect(e.reason).toBe("unreachable")
    expect(describeRequestError(e)).toBe("Can't reach the server. Check the connection and try again.")
  })

  it("[U5] an answer outside the contract is refused, not shown", async () => {
    answer = () => json(200, { tokens: [{ tokenId: 5 }] })
    const e = await failureOf(callServer("tok", (api) => api.tokens.list({ path: { ws } })))
    expect(e.reason).toBe("unreadable")
    expect(describeRequestError(e)).toBe("The server's answer could not be read. Reload the page and try again.")
  })
})
