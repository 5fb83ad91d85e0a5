import type { TokenId, WorkspaceId } from "@vibestack/schema"
import { afterEach, describe, expect, it, vi } from "vitest"
import { CLOCK_TOLERANCE_SECONDS, signToken, verifyToken } from "./jwt.js"

const SECRET = "a-test-secret-that-is-long-enough-for-hs256"
const claims = (expiresInMs: number) => ({
  tokenId: "tok1" as TokenId,
  workspaceId: "ws1" as WorkspaceId,
  role: "editor" as const,
  expiresAt: new Date(Date.now() + expiresInMs),
})

describe("verifyToken", () => {
  afterEach(() => vi.restoreAllMocks())

  it("[B4][S7] a token verified before is refused once it expires (the cache re-checks exp), and only under its secret", () => {
    const token = signToken(SECRET, claims(5_000))
    expect(verifyToken(SECRET, token)).toMatchObject({ workspaceId: "ws1", role: "editor" })
    expect(verifyToken(SECRET, token)).toMatchObject({ workspaceId: "ws1" })
    expect(typeof verifyToken(`${SECRET}-other`, token)).toBe("string")
    const now = Date.now()
    vi.spyOn(Date, "now").mockReturnValue(now + 6_000 + CLOCK_TOLERANCE_SECONDS * 1000)
    expect(verifyToken(SECRET, token)).toBe("jwt expired")
  })
})
