import { describe, expect, it } from "vitest"
import { resolveInside } from "./staticFiles.js"

describe("resolveInside", () => {
  const root = "/srv/app/dist"
  it("[S17] keeps paths inside the folder by whole segments", () => {
    expect(resolveInside(root, "/")).toBe(root)
    expect(resolveInside(root, "/assets/a.js")).toBe("/srv/app/dist/assets/a.js")
    expect(resolveInside(root, "/a/../b.js")).toBe("/srv/app/dist/b.js")
    expect(resolveInside(root, "/dist.bak.js")).toBe("/srv/app/dist/dist.bak.js")
    // A file named "..x" is inside; ".." itself and anything under it is not.
    expect(resolveInside(root, "/..x")).toBe("/srv/app/dist/..x")
    expect(resolveInside(root, "/..%2fdist.bak%2fsecret.txt")).toBe("outside")
    expect(resolveInside(root, "/%2e%2e")).toBe("outside")
    expect(resolveInside(root, "/%2e%2e%2f%2e%2e%2fetc%2fpasswd")).toBe("outside")
    expect(resolveInside(root, "/%E0%A4%A")).toBe("malformed")
    expect(resolveInside(root, "/a%00.js")).toBe("malformed")
  })
})
