import type { IncomingMessage } from "node:http"
import { WorkspaceId } from "@vibestack/schema"
import { decodeSafely, type ErrorKind, statusOfKind } from "@vibestack/shared"
import { Either } from "effect"

const LIVE_PATH = /^\/api\/v1\/workspaces\/([^/?#]+)\/live(?:\?.*)?$/
const decodeWorkspaceId = decodeSafely(WorkspaceId)
/** The same checks `ws` makes before it upgrades, so every refusal gets our JSON body instead of its text. */
const KEY = /^[+/0-9A-Za-z]{22}==$/
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

export interface UpgradeRefusal {
  readonly status: number
  readonly kind: ErrorKind
  readonly message: string
  readonly headers?: Readonly<Record<string, string>>
}

const refuse = (kind: ErrorKind, message: string, status = statusOfKind[kind]): UpgradeRefusal => ({
  status,
  kind,
  message,
})

/** No match: not the live socket's path (another handler may take it). */
export const isLivePath = (url: string | undefined): RegExpExecArray | null => LIVE_PATH.exec(url ?? "")

/** Percent-decodes without throwing (a malformed escape is the caller's 400, never an exception: S14). */
export const safeDecode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

/**
 * Checks a live-socket upgrade request before `ws` sees it: the workspace id in the path,
 * then the handshake headers. Returns the workspace, or the refusal to answer.
 */
export const checkUpgrade = (req: IncomingMessage, segment: string): Either.Either<WorkspaceId, UpgradeRefusal> => {
  const decoded = safeDecode(segment)
  if (decoded === undefined) return Either.left(refuse("BadRequest", "malformed percent-escape in the path"))
  const ws = decodeWorkspaceId(decoded)
  if (Either.isLeft(ws)) return Either.left(refuse("NotFound", "no such workspace"))
  if (req.method !== "GET") return Either.left(refuse("BadRequest", "upgrades must be GET requests", 405))
  if (req.headers.upgrade?.toLowerCase() !== "websocket")
    return Either.left(refuse("BadRequest", "Upgrade must be websocket"))
  if (!KEY.test(req.headers["sec-websocket-key"] ?? ""))
    return Either.left(refuse("BadRequest", "missing or invalid Sec-WebSocket-Key"))
  const version = req.headers["sec-websocket-version"]
  if (version !== "13" && version !== "8")
    return Either.left({
      ...refuse("BadRequest", "Sec-WebSocket-Version must be 13"),
      headers: { "Sec-WebSocket-Version": "13, 8" },
    })
  const protocols = req.headers["sec-websocket-protocol"]
  if (protocols !== undefined) {
    const list = protocols.split(",").map((p) => p.trim())
    if (!list.every((p) => TOKEN.test(p)) || new Set(list).size !== list.length)
      return Either.left(refuse("BadRequest", "invalid Sec-WebSocket-Protocol"))
  }
  return Either.right(ws.right)
}
