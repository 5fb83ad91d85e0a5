/**
 * Binary frames carry one JSON header and one Loro blob:
 *   [4-byte big-endian header length][UTF-8 JSON header][blob bytes]
 * The header is decoded with the message schemas in `up.ts` / `down.ts`.
 */
const MAX_HEADER_BYTES = 1024

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true })

export const encodeFrame = (header: unknown, blob: Uint8Array): Uint8Array => {
  const head = encoder.encode(JSON.stringify(header))
  const out = new Uint8Array(4 + head.length + blob.length)
  new DataView(out.buffer).setUint32(0, head.length, false)
  out.set(head, 4)
  out.set(blob, 4 + head.length)
  return out
}

export type DecodedFrame = { readonly header: unknown; readonly blob: Uint8Array }

/** Splits a binary frame; returns a reason string when the framing itself is malformed. */
export const decodeFrame = (frame: Uint8Array): DecodedFrame | string => {
  if (frame.length < 4) return "frame shorter than its length prefix"
  const headLen = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0, false)
  if (headLen === 0 || headLen > MAX_HEADER_BYTES) return "frame header length out of range"
  if (4 + headLen > frame.length) return "frame header runs past the end"
  let header: unknown
  try {
    header = JSON.parse(decoder.decode(frame.subarray(4, 4 + headLen)))
  } catch {
    return "frame header is not UTF-8 JSON"
  }
  return { header, blob: frame.subarray(4 + headLen) }
}
