import { createProject, createTask, TASK_DESCRIPTION_MAX } from "@vibestack/schema"
import { decodeUpdates } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"

/** Small fetch helpers for tests against a real server. */
export const api = (base: string) => {
  const call = async (
    method: string,
    path: string,
    init: { token?: string; json?: unknown; body?: RequestInit["body"]; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...init.headers }
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
    let body = init.body
    if (init.json !== undefined) {
      headers["content-type"] = "application/json"
      body = JSON.stringify(init.json)
    }
    const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
    const buf = new Uint8Array(await res.arrayBuffer())
    let json: any
    try {
      json = JSON.parse(new TextDecoder().decode(buf))
    } catch {
      json = undefined
    }
    return { status: res.status, headers: res.headers, bytes: buf, json }
  }
  return {
    call,
    register: async (name = "Acme", id?: string) => {
      const r = await call("POST", "/api/v1/workspaces", { json: id === undefined ? { name } : { name, id } })
      if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.json)}`)
      return r.json as { workspaceId: string; masterToken: string }
    },
    mint: async (ws: string, master: string, role: "editor" | "viewer", extra: Record<string, unknown> = {}) => {
      const r = await call("POST", `/api/v1/workspaces/${ws}/tokens`, { token: master, json: { role, ...extra } })
      if (r.status !== 201) throw new Error(`mint failed: ${r.status} ${JSON.stringify(r.json)}`)
      return r.json as { tokenId: string; token: string; shareUrl: string }
    },
    push: (ws: string, token: string, bytes: Uint8Array, key?: string, doc = "main") =>
      call("POST", `/api/v1/workspaces/${ws}/docs/${doc}/updates`, {
        token,
        body: bytes,
        headers: { "content-type": "application/octet-stream", ...(key ? { "idempotency-key": key } : {}) },
      }),
    pull: (ws: string, token: string, after = 0, limit?: number, doc = "main") =>
      call("GET", `/api/v1/workspaces/${ws}/docs/${doc}/updates?after=${after}${limit ? `&limit=${limit}` : ""}`, {
        token,
      }),
    /**
     * What a new device loads: the snapshot (a stored one may lag the head, S27), then the log
     * after the seq it covers, page by page.
     */
    newDevice: async (ws: string, token: string, docId = "main") => {
      const snap = await call("GET", `/api/v1/workspaces/${ws}/docs/${docId}/snapshot`, { token })
      if (snap.status !== 200) throw new Error(`snapshot: ${snap.status} ${JSON.stringify(snap.json)}`)
      const doc = new LoroDoc()
      doc.import(snap.bytes)
      const snapshotCursor = Number(snap.headers.get("x-vibestack-cursor"))
      let cursor = snapshotCursor
      for (;;) {
        const page = await call("GET", `/api/v1/workspaces/${ws}/docs/${docId}/updates?after=${cursor}`, { token })
        const records = decodeUpdates(page.bytes)
        if (page.status !== 200 || typeof records === "string") throw new Error(`pull: ${page.status}`)
        if (records.length > 0) doc.importBatch(records.map((r) => r.bytes))
        cursor = Number(page.headers.get("x-vibestack-cursor"))
        if (page.headers.get("x-vibestack-more") === null) return { doc, snapshotCursor, cursor }
      }
    },
  }
}

/**
 * A valid Loro update: a fresh document with `n` small edits, exported from the start. The
 * edits are keys of the root `meta` map (`k0`, `k1`, …): the smallest writes the workspace
 * layout the server enforces (packages/schema "Document layout") allows.
 */
export const loroUpdate = (n = 1, peer?: bigint): Uint8Array => {
  const doc = new LoroDoc()
  if (peer !== undefined) doc.setPeerId(peer)
  const m = doc.getMap("meta")
  for (let i = 0; i < n; i++) m.set(`k${i}`, i)
  doc.commit()
  return doc.export({ mode: "update" })
}

/** A chain of updates from one writer (`meta.k0`, `meta.k1`, …), from the shared test kit. */
export { updateChain } from "@vibestack/shared/testing"

/**
 * `count` large valid updates of about `bytes` each, for frame-size and backpressure tests:
 * each adds tasks whose descriptions are up to the layout's longest text.
 */
export const bulkyUpdates = (count: number, bytes: number): Array<Uint8Array> => {
  const doc = new LoroDoc()
  const out: Array<Uint8Array> = []
  const chunk = Math.min(bytes, TASK_DESCRIPTION_MAX)
  for (let i = 0; i < count; i++) {
    const vv = doc.oplogVersion()
    if (i === 0) createProject(doc, { id: "bulk", name: "Bulk", color: "#3b82f6" })
    for (let b = 0, t = 0; b < bytes; b += chunk, t++) {
      const position = { after: null, before: null }
      createTask(doc, {
        id: `bulk${i}_${t}`,
        projectId: "bulk",
        title: "bulk",
        description: "x".repeat(chunk),
        position,
      })
    }
    doc.commit()
    out.push(doc.export({ mode: "update", from: vv }))
  }
  return out
}
