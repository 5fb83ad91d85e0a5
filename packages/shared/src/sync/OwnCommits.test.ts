import { describe, expect, it } from "vitest"
import { OwnCommits } from "./OwnCommits.js"

const b = (...xs: Array<number>) => new Uint8Array(xs)

describe("OwnCommits", () => {
  it("keeps what is not an echo, in order, and forgets each echo once it came", () => {
    const own = new OwnCommits()
    own.add(b(1, 2, 3))
    own.add(b(4, 5))
    // Equal bytes in another array are an echo; equal length with other bytes is not.
    expect(own.foreign([b(9, 9), b(1, 2, 3), b(4, 6), b(4, 5)])).toEqual([b(9, 9), b(4, 6)])
    // Each echo comes once: the same bytes again are imported like any update.
    expect(own.foreign([b(1, 2, 3)])).toEqual([b(1, 2, 3)])
    own.add(b(7))
    own.clear()
    expect(own.foreign([b(7)])).toEqual([b(7)])
  })

  it("remembers the latest commits only, and no large ones", () => {
    const own = new OwnCommits()
    for (let i = 0; i < 300; i++) own.add(b(i & 0xff, i >> 8))
    expect(own.foreign([b(0, 0), b(299 & 0xff, 1)])).toEqual([b(0, 0)])
    // 4 MiB in all: the oldest go first; a commit over a quarter of that is never held.
    const big = new OwnCommits()
    const mb = (fill: number) => new Uint8Array(1024 * 1024).fill(fill)
    for (let i = 1; i <= 5; i++) big.add(mb(i))
    const paste = new Uint8Array(2 * 1024 * 1024)
    big.add(paste)
    expect(big.foreign([mb(1), mb(2), mb(5), paste]).map((x) => x[0])).toEqual([1, 0])
  })
})
