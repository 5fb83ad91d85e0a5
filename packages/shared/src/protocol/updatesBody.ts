/**
 * The body of `GET …/updates`: records of
 *   [8-byte big-endian seq][4-byte big-endian length][blob]
 * repeated; an empty body means no updates after the cursor.
 */
export type SeqBlob = { readonly seq: number; readonly bytes: Uint8Array }

export const encodeUpdates = (records: ReadonlyArray<SeqBlob>): Uint8Array => {
  let size = 0
  for (const r of records) size += 12 + r.bytes.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let at = 0
  for (const r of records) {
    view.setBigUint64(at, BigInt(r.seq), false)
    view.setUint32(at + 8, r.bytes.length, false)
    out.set(r.bytes, at + 12)
    at += 12 + r.bytes.length
  }
  return out
}

/** Parses a pull body; returns a reason string if it is malformed (never throws). */
export const decodeUpdates = (body: Uint8Array): Array<SeqBlob> | string => {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
  const out: Array<SeqBlob> = []
  let at = 0
  let last = 0
  while (at < body.length) {
    if (at + 12 > body.length) return "truncated record header"
    const seq = Number(view.getBigUint64(at, false))
    const len = view.getUint32(at + 8, false)
    if (at + 12 + len > body.length) return "truncated record body"
    if (!Number.isSafeInteger(seq) || seq <= last) return "seqs not strictly increasing"
    out.push({ seq, bytes: body.slice(at + 12, at + 12 + len) })
    last = seq
    at += 12 + len
  }
  return out
}
