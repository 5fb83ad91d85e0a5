import type { CompiledShape } from "./compileShape.js"
import { MUST_REFETCH } from "./messages.js"

export interface ShapeResponse {
  readonly status: number
  readonly headers: Record<string, string>
  /** JSON text; snapshot pages are bytes. */
  readonly body: string | Uint8Array
}

const EXPOSE = "electric-handle, electric-offset, electric-schema, electric-cursor, electric-up-to-date"

export const shapeError = (status: number, kind: string, message: string): ShapeResponse => ({
  status,
  headers: {
    "content-type": "application/json",
    "cache-control": "no-store",
    ...(status === 503 ? { "retry-after": "1" } : {}),
  },
  body: JSON.stringify({ error: { kind, message } }),
})

/** 409 with a fresh handle for the caller's own shape: the client drops its rows and starts over. */
export const mustRefetch = (handle: string): ShapeResponse => ({
  status: 409,
  headers: {
    "content-type": "application/json",
    "cache-control": "no-store",
    "access-control-expose-headers": EXPOSE,
    "electric-handle": handle,
  },
  body: MUST_REFETCH,
})

/**
 * A 200 of the shape log. `electric-cursor` always differs from the request's `cursor`
 * (the client reads a repeated one as a cached response).
 */
export const shapeOk = (
  shape: CompiledShape,
  handle: string,
  offset: string,
  body: string | Uint8Array,
  cursor: string | undefined,
  upToDate: boolean,
): ShapeResponse => {
  let next = String(Date.now())
  if (next === cursor) next = String(Date.now() + 1)
  return {
    status: 200,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      "access-control-expose-headers": EXPOSE,
      "electric-handle": handle,
      "electric-offset": offset,
      "electric-schema": shape.schema,
      "electric-cursor": next,
      ...(upToDate ? { "electric-up-to-date": "" } : {}),
    },
    body,
  }
}
