import { ErrorKind } from "@vibestack/shared"
import { Schema } from "effect"
import fc from "fast-check"
import { loroUpdate } from "../../test/http.js"
import { type RawAnswer, rawRequest } from "../../test/rawHttp.js"

/**
 * A fast-check fuzz of the HTTP and upgrade surface of a real server (S14, TESTING.md B1-B5):
 * random methods, paths (percent-escapes, invalid UTF-8, traversal), headers (odd
 * Content-Type / Content-Length / Transfer-Encoding / Origin / Upgrade / Sec-WebSocket-*),
 * and bodies, sent as raw bytes. Each answer must be a well-formed HTTP response below 500
 * (or a close, for requests whose framing is broken), every error body in the documented
 * shape, and the server must still answer /healthz after every request.
 */
export interface SurfaceContext {
  readonly port: number
  readonly workspaceId: string
  readonly token: string
  readonly ownOrigin: string
}

const pick = <A>(...xs: ReadonlyArray<A>) => fc.constantFrom(...xs)

const segment = (ctx: SurfaceContext) =>
  fc.oneof(
    { weight: 4, arbitrary: pick("api", "v1", "workspaces", "docs", "main", "updates", "live", "tokens", "backups") },
    { weight: 2, arbitrary: pick(ctx.workspaceId, "snapshot", "import", "upload", "restore", "history", "shape") },
    {
      weight: 3,
      arbitrary: pick("%", "%E0%A4%A", "%ff", "%C0%AF", "%00", "%2e%2e", "..", ".", "%2f", "%5c", "%25", "%u0041"),
    },
    // Raw bytes past ASCII: invalid UTF-8 on the wire (the request goes out as latin1).
    {
      weight: 1,
      arbitrary: fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom("\x80", "\xff", "\xc3", "\xa9") }),
    },
    {
      weight: 2,
      arbitrary: fc.string({ minLength: 0, maxLength: 12, unit: fc.constantFrom(..."aZ09-_.~!$&'()*+,;=:@%") }),
    },
    { weight: 1, arbitrary: fc.constant("x".repeat(300)) },
  )

const path = (ctx: SurfaceContext) =>
  fc.oneof(
    fc.constantFrom(
      "/",
      "/healthz",
      "/metrics",
      "/api/v1/openapi.json",
      "/api/v1/workspaces",
      `/api/v1/workspaces/${ctx.workspaceId}`,
      `/api/v1/workspaces/${ctx.workspaceId}/live`,
      `/api/v1/workspaces/${ctx.workspaceId}/docs/main/updates?after=0`,
      `/api/v1/workspaces/${ctx.workspaceId}/tokens`,
      "/api/v1/backups/import",
      "/api/v1/shape?table=tasks&offset=-1",
      "/api/v1/workspaces/%E0%A4%A/live",
      "/api/v1/workspaces/%/live",
      "/..%2fdist.bak%2fsecret.txt",
    ),
    fc
      .tuple(fc.array(segment(ctx), { minLength: 1, maxLength: 7 }), fc.option(fc.string({ maxLength: 20 })))
      .map(([segs, query]) => `/${segs.join("/")}${query === null ? "" : `?${encodeURI(query)}`}`),
  )

const headerValue = fc.string({ maxLength: 40, unit: fc.constantFrom(..."abcXYZ019 ,;=/-_.:\"'\t") })

interface Req {
  readonly method: string
  readonly path: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Uint8Array
  /** How the body is framed; "broken" sends a length that does not match. */
  readonly framing: "length" | "chunked" | "none" | "broken"
  readonly upgrade: boolean
}

const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => new TextEncoder().encode(JSON.stringify(v))) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constant(new TextEncoder().encode(`{"name":"fuzz"}`)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 30_000 })
      .map((d) => new TextEncoder().encode(`${"[".repeat(d)}${"]".repeat(d)}`)),
  },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(70 * 1024).fill(0x61)) },
  { weight: 1, arbitrary: fc.constant(0).map(() => loroUpdate(3)) },
)

/** Requests that get past the front checks (right method, type, token) so handlers see odd bodies. */
const plausibleArb = (ctx: SurfaceContext): fc.Arbitrary<Req> => {
  const ws = ctx.workspaceId
  const json = "application/json"
  const bin = "application/octet-stream"
  const route = fc.constantFrom(
    { method: "POST", path: "/api/v1/workspaces", type: json, auth: false },
    { method: "POST", path: `/api/v1/workspaces/${ws}/tokens`, type: json, auth: true },
    { method: "DELETE", path: `/api/v1/workspaces/${ws}/tokens/nope`, type: undefined, auth: true },
    { method: "POST", path: `/api/v1/workspaces/${ws}/docs/main/updates`, type: bin, auth: true },
    { method: "POST", path: `/api/v1/workspaces/${ws}/docs/%E0%A4%A/updates`, type: bin, auth: true },
    { method: "GET", path: `/api/v1/workspaces/${ws}/docs/main/updates?after=0&limit=5`, type: undefined, auth: true },
    { method: "GET", path: `/api/v1/workspaces/${ws}/docs/main/snapshot`, type: undefined, auth: true },
    { method: "POST", path: "/api/v1/backups/import?name=x", type: bin, auth: false },
    { method: "POST", path: `/api/v1/workspaces/${ws}/backups/upload`, type: bin, auth: true },
    { method: "POST", path: `/api/v1/workspaces/${ws}/backups/nope/restore`, type: json, auth: true },
    { method: "GET", path: "/api/v1/shape?table=tasks&offset=-1", type: undefined, auth: true },
  )
  return fc
    .record({
      route,
      body,
      origin: fc.constantFrom(undefined, ctx.ownOrigin),
      framing: fc.constantFrom("length" as const, "chunked" as const),
      key: fc.option(fc.constantFrom("k1", "k2", "has space")),
    })
    .map(({ route: r, body: b, origin, framing, key }) => ({
      method: r.method,
      path: r.path,
      headers: [
        ...(r.type ? [["Content-Type", r.type] as const] : []),
        ...(r.auth ? [["Authorization", `Bearer ${ctx.token}`] as const] : []),
        ...(origin ? [["Origin", origin] as const] : []),
        ...(key === null ? [] : [["Idempotency-Key", key] as const]),
      ],
      body: r.method === "GET" ? new Uint8Array(0) : b,
      framing: r.method === "GET" ? "none" : framing,
      upgrade: false,
    }))
}

export const requestArb = (ctx: SurfaceContext): fc.Arbitrary<Req> =>
  fc.oneof({ weight: 2, arbitrary: anyRequestArb(ctx) }, { weight: 1, arbitrary: plausibleArb(ctx) })

const anyRequestArb = (ctx: SurfaceContext): fc.Arbitrary<Req> =>
  fc.record({
    method: fc.oneof(
      { weight: 8, arbitrary: pick("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") },
      { weight: 1, arbitrary: pick("TRACE", "PROPFIND", "CONNECTX", "get", "M-SEARCH") },
    ),
    path: path(ctx),
    headers: fc.uniqueArray(
      fc.oneof(
        fc.tuple(
          fc.constant("Content-Type"),
          fc.oneof(
            pick("application/json", "application/octet-stream", "APPLICATION/JSON; charset=utf-8", "text/plain"),
            pick("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json;;", ""),
            headerValue,
          ),
        ),
        fc.tuple(
          fc.constant("Origin"),
          fc.oneof(pick(ctx.ownOrigin, "http://evil.example", "null", "file://", "http://localhost:1"), headerValue),
        ),
        fc.tuple(
          fc.constant("Authorization"),
          pick(`Bearer ${ctx.token}`, "Bearer ", "Bearer not.a.jwt", "Basic Zm9vOmJhcg==", "Bearer ".padEnd(5000, "x")),
        ),
        fc.tuple(fc.constant("Sec-WebSocket-Version"), fc.oneof(pick("13", "8", "99", "13, 8", "0x0d"), headerValue)),
        fc.tuple(
          fc.constant("Sec-WebSocket-Key"),
          fc.oneof(pick("dGhlIHNhbXBsZSBub25jZQ==", "short", "dGhlIHNhbXBsZSBub25jZQ=="), headerValue),
        ),
        fc.tuple(
          fc.constant("Sec-WebSocket-Protocol"),
          fc.oneof(pick("vibestack", "a,,b", "a, a", "x y"), headerValue),
        ),
        fc.tuple(fc.constant("Sec-WebSocket-Extensions"), fc.oneof(pick("permessage-deflate", ";;;"), headerValue)),
        fc.tuple(fc.constant("Expect"), pick("100-continue", "nonsense")),
        fc.tuple(fc.constant("Idempotency-Key"), fc.oneof(pick("k1", "has space", "x".repeat(200)), headerValue)),
        fc.tuple(fc.constant("Accept-Encoding"), pick("gzip", "br", "*")),
        fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/), headerValue),
      ),
      { maxLength: 6, selector: ([name]) => name.toLowerCase() },
    ),
    body,
    framing: fc.constantFrom("length", "length", "chunked", "none", "broken"),
    upgrade: fc.boolean(),
  })

/** The request as bytes on the wire (latin1, so high bytes in paths and headers stay bytes). */
export const serialize = (r: Req): Buffer => {
  const lines = [`${r.method} ${r.path} HTTP/1.1`, "Host: 127.0.0.1"]
  if (r.upgrade) {
    lines.push("Connection: Upgrade", "Upgrade: websocket")
    if (!r.headers.some(([n]) => n === "Sec-WebSocket-Version")) lines.push("Sec-WebSocket-Version: 13")
    if (!r.headers.some(([n]) => n === "Sec-WebSocket-Key")) lines.push("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")
  } else lines.push("Connection: close")
  for (const [n, v] of r.headers) lines.push(`${n}: ${v}`)
  const b = Buffer.from(r.body)
  let payload = Buffer.alloc(0)
  if (r.framing === "length") {
    lines.push(`Content-Length: ${b.length}`)
    payload = b
  } else if (r.framing === "chunked") {
    lines.push("Transfer-Encoding: chunked")
    payload = Buffer.concat([
      ...(b.length ? [Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")] : []),
      Buffer.from("0\r\n\r\n"),
    ])
  } else if (r.framing === "broken") {
    lines.push(`Content-Length: ${b.length + 17}`)
    payload = b
  }
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload])
}

const isErrorBody = Schema.is(Schema.Struct({ error: Schema.Struct({ kind: ErrorKind, message: Schema.String }) }))

/** Why an answer breaks the contract, or undefined when it keeps it. */
export const checkAnswer = (r: Req, a: RawAnswer): string | undefined => {
  if (a.status === undefined) {
    // No answer at all is acceptable only as a close, and only when the framing was broken.
    if (!a.closed) return "no answer and no close (hang)"
    if (r.framing !== "broken" && a.raw.length > 0) return `unparsable answer: ${JSON.stringify(a.raw.slice(0, 80))}`
    return r.framing === "broken" ? undefined : "closed without an answer"
  }
  if (a.status >= 500) return `status ${a.status}: ${a.body.slice(0, 200)}`
  if (a.status >= 400 && r.method !== "HEAD") {
    let parsed: unknown
    try {
      parsed = JSON.parse(a.body)
    } catch {
      return `status ${a.status} without a JSON error body: ${JSON.stringify(a.body.slice(0, 120))}`
    }
    if (!isErrorBody(parsed)) return `status ${a.status} with a body not in the error shape: ${a.body.slice(0, 200)}`
  }
  return undefined
}

/** Runs `runs` random requests against the server; throws (with the seed) on the first broken answer. */
export const runSurfaceFuzz = async (
  ctx: SurfaceContext,
  runs: number,
  seed: number,
): Promise<Map<number | string, number>> => {
  const statuses = new Map<number | string, number>()
  await fc.assert(
    fc.asyncProperty(requestArb(ctx), async (r) => {
      // A body shorter than its declared length leaves the server waiting for the rest: end the
      // stream so it gives up (Node drops a request whose client half-closes; complete ones must not).
      const answer = await rawRequest(ctx.port, serialize(r), 15_000, { halfClose: r.framing === "broken" })
      const key = answer.status ?? (answer.closed ? "closed" : "hang")
      statuses.set(key, (statuses.get(key) ?? 0) + 1)
      const problem = checkAnswer(r, answer)
      if (problem) throw new Error(`${r.method} ${JSON.stringify(r.path)} (${r.framing}): ${problem}`)
      const health = await rawRequest(ctx.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 15_000)
      if (health.status !== 200) throw new Error(`/healthz answered ${health.status} after ${r.method} ${r.path}`)
    }),
    { numRuns: runs, seed, verbose: 1 },
  )
  return statuses
}

/** The server's open connections once they drop to zero, or after `ms` (whatever is left then). */
export const openConnectionsAfter = async (server: { readonly node: import("node:net").Server }, ms: number) => {
  const count = () => new Promise<number>((r) => server.node.getConnections((_e, n) => r(n)))
  const deadline = Date.now() + ms
  let n = await count()
  while (n > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200))
    n = await count()
  }
  return n
}
