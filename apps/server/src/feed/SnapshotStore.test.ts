import { describe, expect, it } from "vitest"
import { SnapshotStore } from "./SnapshotStore.js"

describe("SnapshotStore", () => {
  it("[W8] a held snapshot is found only by the owner that started it", () => {
    const store = new SnapshotStore({ ttlMs: 60_000, maxBytes: 1 << 20, concurrency: 1 })
    const snap = store.open("owner-a")
    store.hold("h1", snap)
    expect(store.find("h1", "owner-a")).toBe(snap)
    expect(store.find("h1", "owner-b")).toBeUndefined()
    expect(store.find("h2", "owner-a")).toBeUndefined()
  })

  it("[W8] pages already fetched are freed; idle snapshots expire; the byte budget is kept", async () => {
    const store = new SnapshotStore({ ttlMs: 1_000, maxBytes: 250, concurrency: 1 })
    const snap = store.open("o")
    store.hold("h", snap)
    for (let i = 0; i < 3; i++) snap.push("x".repeat(100))
    expect(store.full()).toBe(true)
    snap.release(2) // page 2 asked for: page 0 is dropped, page 1 kept for a retry
    expect(snap.pages[0]).toBe("")
    expect(snap.pages[1]).not.toBe("")
    expect(store.full()).toBe(false)
    await snap.ready(2)
    store.sweep(Date.now() + 2_000)
    expect(store.find("h", "o")).toBeUndefined()
    expect(store.bytes).toBe(0)
    expect(snap.aborted).toBe(true)
  })

  it("[W8] reader turns: queued callers get one when it is given back; a cancelled caller never keeps one", async () => {
    const store = new SnapshotStore({ ttlMs: 1_000, maxBytes: 1 << 20, concurrency: 1 })
    const got: Array<string> = []
    const a = store.acquire(5_000, (ok) => got.push(`a:${ok}`))
    const b = store.acquire(5_000, (ok) => got.push(`b:${ok}`))
    const c = store.acquire(5_000, (ok) => got.push(`c:${ok}`))
    expect(got).toEqual(["a:true"])
    b() // went away while queued
    a() // gives its turn back
    expect(got).toEqual(["a:true", "c:true"])
    c()
    const d = store.acquire(5_000, (ok) => got.push(`d:${ok}`))
    expect(got.at(-1)).toBe("d:true")
    d()
    const late = store.acquire(5_000, () => {})
    const timedOut = await new Promise<boolean>((resolve) => {
      const busy = new SnapshotStore({ ttlMs: 1_000, maxBytes: 1, concurrency: 0 })
      busy.acquire(20, resolve)
    })
    expect(timedOut).toBe(false)
    late()
  })
})
