import { describe, expect, it } from "vitest"
import { SNAPSHOT_TAIL_UPDATES, type SnapshotTail, snapshotDue, snapshotServable } from "./snapshotTail.js"

const MB = 1024 * 1024
const tail = (t: Partial<SnapshotTail>): SnapshotTail => ({
  head: 10,
  snapshotSeq: 10,
  snapshotSize: MB,
  tailUpdates: 0,
  tailBytes: 0,
  ...t,
})

describe("when a stored snapshot is served, and when the projection stores a new one", () => {
  it("[S27] a snapshot is served while its tail is small beside it, in updates and in bytes", () => {
    expect(snapshotServable(tail({}))).toBe(true)
    expect(snapshotServable(tail({ head: 1010, tailUpdates: SNAPSHOT_TAIL_UPDATES }))).toBe(true)
    expect(snapshotServable(tail({ head: 1011, tailUpdates: SNAPSHOT_TAIL_UPDATES + 1 }))).toBe(false)
    // A quarter of a large snapshot's size; 256 KB for small ones.
    expect(snapshotServable(tail({ snapshotSize: 24 * MB, tailUpdates: 5, tailBytes: 6 * MB }))).toBe(true)
    expect(snapshotServable(tail({ snapshotSize: 24 * MB, tailUpdates: 5, tailBytes: 6 * MB + 1 }))).toBe(false)
    expect(snapshotServable(tail({ snapshotSize: 1000, tailUpdates: 1, tailBytes: 256 * 1024 }))).toBe(true)
    expect(snapshotServable(tail({ snapshotSize: 1000, tailUpdates: 1, tailBytes: 256 * 1024 + 1 }))).toBe(false)
  })

  it("[S27] none stored, or one ahead of the head (a repair rewound the log), is never served", () => {
    expect(snapshotServable(tail({ snapshotSeq: undefined, snapshotSize: 0 }))).toBe(false)
    expect(snapshotServable(tail({ head: 9 }))).toBe(false)
  })

  it("[S27] the projection stores one when none is, or once the tail has used half of what it may", () => {
    expect(snapshotDue(tail({ snapshotSeq: undefined, snapshotSize: 0 }))).toBe(true)
    expect(snapshotDue(tail({ head: 0, snapshotSeq: undefined, snapshotSize: 0 }))).toBe(false)
    expect(snapshotDue(tail({ tailUpdates: SNAPSHOT_TAIL_UPDATES / 2 }))).toBe(false)
    expect(snapshotDue(tail({ tailUpdates: SNAPSHOT_TAIL_UPDATES / 2 + 1 }))).toBe(true)
    expect(snapshotDue(tail({ snapshotSize: 24 * MB, tailBytes: 3 * MB }))).toBe(false)
    expect(snapshotDue(tail({ snapshotSize: 24 * MB, tailBytes: 3 * MB + 1 }))).toBe(true)
  })
})
