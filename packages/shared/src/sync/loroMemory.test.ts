import * as loro from "loro-crdt"
import { LoroDoc, LoroMap } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { growLoroMemoryInSteps, keepLoroHeadroom, reserveLoroMemory, roomForImport } from "./loroMemory.js"

// Node's build of Loro: its WebAssembly exports (this file's thread has its own instance).
const wasm = (loro as unknown as { __wasm: { memory: { buffer: ArrayBuffer } } }).__wasm
const size = () => wasm.memory.buffer.byteLength
const MiB = 1024 * 1024

/** Runs `work` and counts how often the memory grew meanwhile (checked after every step). */
const growths = (steps: number, step: (i: number) => void): number => {
  let n = 0
  let last = wasm.memory.buffer
  for (let i = 0; i < steps; i++) {
    step(i)
    if (wasm.memory.buffer !== last) {
      n++
      last = wasm.memory.buffer
    }
  }
  return n
}

describe("Loro's memory grown in steps", () => {
  it("leaves anything that is not Loro's exports alone", () => {
    expect(growLoroMemoryInSteps({})).toBe(false)
    expect(growLoroMemoryInSteps(undefined)).toBe(false)
    const before = size()
    keepLoroHeadroom()
    reserveLoroMemory(64 * MiB)
    expect(size()).toBe(before)
  })

  it("grows a few times, not once per page, while documents grow by far more than the first step", () => {
    expect(growLoroMemoryInSteps(wasm, 4 * MiB)).toBe(true)
    const start = size()
    expect(start).toBeGreaterThanOrEqual(4 * MiB)
    const docs = Array.from({ length: 3 }, () => new LoroDoc())
    const versions = docs.map((d) => d.oplogVersion())
    const count = growths(6000, (i) => {
      const doc = docs[i % 3]!
      const task = doc.getMap("tasks").setContainer(`t${i}`, new LoroMap())
      task.set("title", `task ${i} ${"words ".repeat(20)}`)
      doc.commit()
      const update = doc.export({ mode: "update", from: versions[i % 3]! })
      versions[i % 3] = doc.oplogVersion()
      for (const other of docs) if (other !== doc) other.import(update)
      keepLoroHeadroom()
    })
    // The work needed well past the first step (so page-by-page growth would have been hundreds)…
    expect(size() - start).toBeGreaterThan(8 * MiB)
    // …and the memory grew in a handful of steps, each at least half of it.
    expect(count).toBeLessThanOrEqual(8)
    for (const d of docs) d.free()
  })

  it("makes room for a large import up front, so the import itself does not grow the memory", () => {
    // Node's module itself is taken too (its exports are its `__wasm`).
    expect(growLoroMemoryInSteps(loro, 4 * MiB)).toBe(true)
    const doc = new LoroDoc()
    for (let i = 0; i < 60_000; i++) doc.getMap("tasks").set(`t${i}`, `task ${i} ${"x".repeat(40)}`)
    doc.commit()
    const snapshot = doc.export({ mode: "snapshot" })
    doc.free()
    // Large enough to count as a large import (1 MiB or more).
    expect(snapshot.byteLength).toBeGreaterThanOrEqual(1024 * 1024)
    roomForImport([snapshot])
    const before = wasm.memory.buffer
    const copy = new LoroDoc()
    copy.import(snapshot)
    expect(copy.getMap("tasks").size).toBe(60_000)
    expect(wasm.memory.buffer).toBe(before)
    copy.free()
  })
})
