import { networkInterfaces } from "node:os"
import { Option } from "effect"
import type { ServerConfig } from "../Config.js"

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"])
const WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""])

/** `scheme://host[:port]` as browsers send it, or undefined for anything that is not an http(s) origin. */
export const normalizeOrigin = (value: string): string | undefined => {
  try {
    const url = new URL(value)
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : undefined
  } catch {
    return undefined
  }
}

const hostPart = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host)

/**
 * The browser origins this server answers state-changing requests and live sockets from
 * (S16): the public URL, `VIBESTACK_ALLOWED_ORIGINS`, and its own listen origin(s). On a
 * loopback address that is `http://127.0.0.1:PORT`, `http://localhost:PORT` and
 * `http://[::1]:PORT`; on a wildcard address, every interface's address at PORT (names
 * that resolve to the machine must be configured). Never derived from a request's `Host`
 * header, which an attacker controls (DNS rebinding).
 */
export const allowedOrigins = (
  config: Pick<ServerConfig, "host" | "port" | "publicUrl" | "allowedOrigins">,
): ReadonlySet<string> => {
  const out = new Set<string>()
  const add = (value: string) => {
    const origin = normalizeOrigin(value)
    if (origin) out.add(origin)
  }
  Option.map(config.publicUrl, add)
  config.allowedOrigins.forEach(add)
  const local = (host: string) => add(`http://${hostPart(host)}:${config.port}`)
  local(config.host)
  if (LOOPBACK.has(config.host) || WILDCARD.has(config.host)) ["127.0.0.1", "localhost", "::1"].forEach(local)
  if (WILDCARD.has(config.host))
    for (const list of Object.values(networkInterfaces())) for (const iface of list ?? []) local(iface.address)
  return out
}

/** Non-browser clients send no `Origin`; a browser's must be one of ours. */
export const originAllowed = (allowed: ReadonlySet<string>, origin: string | undefined): boolean =>
  origin === undefined || allowed.has(normalizeOrigin(origin) ?? "")
