import { decodeUpdates } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestServer, type TestServer } from "../test/server.js"

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any })

describe("HTTP API smoke", () => {
  let srv: TestServer
  beforeAll(async () => {
    srv = await startTestServer()
  })
  afterAll(() => srv?.stop())

  it("registers, pushes, pulls", async () => {
    const reg = await json(
      await fetch(`${srv.url}/api/v1/workspaces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Acme" }),
      }),
    )
    expect(reg.status).toBe(201)
    const { workspaceId, masterToken } = reg.body
    const doc = new LoroDoc()
    doc.getMap("m").set("a", 1)
    doc.commit()
    const bytes = doc.export({ mode: "update" })
    const push = await fetch(`${srv.url}/api/v1/workspaces/${workspaceId}/docs/main/updates`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${masterToken}`,
        "content-type": "application/octet-stream",
        "idempotency-key": "k1",
      },
      body: bytes,
    })
    expect(push.status).toBe(200)
    expect(await push.json()).toEqual({ seq: 1, duplicate: false })
    const pull = await fetch(`${srv.url}/api/v1/workspaces/${workspaceId}/docs/main/updates?after=0`, {
      headers: { authorization: `Bearer ${masterToken}` },
    })
    expect(pull.status).toBe(200)
    const recs = decodeUpdates(new Uint8Array(await pull.arrayBuffer()))
    expect(Array.isArray(recs) && recs.length).toBe(1)
  })
})
