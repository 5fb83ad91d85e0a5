import { createSecretKey, type KeyObject } from "node:crypto"
import type { Role, TokenId, WorkspaceId } from "@vibestack/schema"
import jwt from "jsonwebtoken"

/**
 * Token format: an HS256 JWT with `iss`, `aud`, `exp` (required), `jti` = the row in
 * `tokens`, and claims `ws` + `role`. Verification pins the algorithm list, so
 * `alg: none` and key-confusion tricks are refused before any claim is read.
 */
export const ISSUER = "vibestack"
export const AUDIENCE = "vibestack-api"
const ALGORITHMS: Array<jwt.Algorithm> = ["HS256"]
/**
 * Seconds of clock skew tolerated between nodes (and clients) on exp/nbf/iat, by default
 * (`VIBESTACK_CLOCK_TOLERANCE_SECONDS`). A token is honoured until `exp` + this, on HTTP and
 * on open live sockets alike.
 */
export const CLOCK_TOLERANCE_SECONDS = 60

export interface TokenClaims {
  readonly tokenId: TokenId
  readonly workspaceId: WorkspaceId
  readonly role: Role
  readonly expiresAt: Date
}

export const signToken = (secret: string, claims: TokenClaims): string =>
  jwt.sign({ ws: claims.workspaceId, role: claims.role }, secret, {
    algorithm: "HS256",
    issuer: ISSUER,
    audience: AUDIENCE,
    jwtid: claims.tokenId,
    expiresIn: Math.max(1, Math.floor((claims.expiresAt.getTime() - Date.now()) / 1000)),
  })

/**
 * jsonwebtoken first tries a string secret as a public key (and catches the failure) on
 * every call: a third of a shape long-poll's CPU when profiled. A KeyObject skips that.
 */
let key: { readonly secret: string; readonly key: KeyObject } | undefined
const secretKey = (secret: string): KeyObject => {
  if (key?.secret !== secret) key = { secret, key: createSecretKey(Buffer.from(secret, "utf8")) }
  return key.key
}

/**
 * Tokens whose signature and claims were verified, with their claims: a long-polling client
 * presents the same token every few seconds, and jsonwebtoken's decode + HMAC + checks were
 * a tenth of a shape long-poll's CPU. Only `exp` can change its verdict later (we never sign
 * `nbf`), so a hit re-checks it with the caller's tolerance. Bounded; the oldest go first.
 */
const verified = new Map<string, TokenClaims>()
const VERIFIED_MAX = 10_000

/** Returns the claims, or a reason the token is refused. Never throws. */
export const verifyToken = (
  secret: string,
  token: string,
  toleranceSeconds = CLOCK_TOLERANCE_SECONDS,
): TokenClaims | string => {
  if (token.length > 4096) return "token too long"
  const cacheKey = `${secret}\u0000${token}`
  const hit = verified.get(cacheKey)
  if (hit) return hit.expiresAt.getTime() + toleranceSeconds * 1000 > Date.now() ? hit : "jwt expired"
  const claims = verifyUncached(secret, token, toleranceSeconds)
  if (typeof claims !== "string") {
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!)
    verified.set(cacheKey, claims)
  }
  return claims
}

const verifyUncached = (secret: string, token: string, toleranceSeconds: number): TokenClaims | string => {
  let payload: string | jwt.JwtPayload
  try {
    payload = jwt.verify(token, secretKey(secret), {
      algorithms: ALGORITHMS,
      issuer: ISSUER,
      audience: AUDIENCE,
      clockTolerance: toleranceSeconds,
    })
  } catch (e) {
    return e instanceof Error ? e.message : "invalid token"
  }
  if (typeof payload !== "object") return "token payload is not an object"
  const { exp, jti, ws, role } = payload as Record<string, unknown>
  if (typeof exp !== "number") return "token has no exp"
  if (typeof jti !== "string" || typeof ws !== "string") return "token lacks jti or ws"
  if (role !== "master" && role !== "editor" && role !== "viewer") return "token has no valid role"
  return {
    tokenId: jti as TokenId,
    workspaceId: ws as WorkspaceId,
    role,
    expiresAt: new Date(exp * 1000),
  }
}
