/**
 * Feed positions. An offset is Electric's `<lsn>_<op index>`: the commit LSN (decimal) of
 * a transaction and the 1-based position of a change in it. `<lsn>_0` means "before every
 * change committed at or after lsn". Snapshot pages use `0_<page>` (LSN 0 is never a commit).
 */

export interface Offset {
  readonly lsn: number
  readonly pos: number
}

/** `16/B374D848` → a number (LSNs stay far below 2^53 for any real cluster). */
export const parseLsn = (text: string): number => {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text)
  if (!m) throw new Error(`not an LSN: ${text}`)
  return Number.parseInt(m[1]!, 16) * 2 ** 32 + Number.parseInt(m[2]!, 16)
}

export const formatOffset = (o: Offset): string => `${o.lsn}_${o.pos}`

/** `undefined` for anything but two non-negative safe integers joined by `_`. */
export const parseOffset = (text: string): Offset | undefined => {
  const m = /^(\d{1,16})_(\d{1,9})$/.exec(text)
  if (!m) return undefined
  const lsn = Number(m[1])
  const pos = Number(m[2])
  return Number.isSafeInteger(lsn) && Number.isSafeInteger(pos) ? { lsn, pos } : undefined
}

export const compareOffsets = (a: Offset, b: Offset): number => a.lsn - b.lsn || a.pos - b.pos

export const maxOffset = (a: Offset, b: Offset): Offset => (compareOffsets(a, b) >= 0 ? a : b)

/**
 * A shape handle names one sync session of one shape in one slot epoch:
 * `<epoch>-<table>-<nonce>-<bind>`. The nonce makes every new session's handle differ
 * from the one a client was told to drop (the client treats a repeated handle as a stale
 * cache); `bind` is a digest of the workspace, role and shape definition that created it
 * (see ShapeService.bindingOf): a handle presented with anything else gets 409.
 */
export interface Handle {
  readonly epoch: number
  readonly table: string
  readonly nonce: string
  /** Undefined in handles issued before shapes were bound (they get 409 must-refetch). */
  readonly bind: string | undefined
}

export const formatHandle = (h: Handle): string => `${h.epoch}-${h.table}-${h.nonce}-${h.bind ?? ""}`

export const parseHandle = (text: string): Handle | undefined => {
  const m = /^(\d{1,9})-([a-z_]{1,63})-([A-Za-z0-9]{1,32})(?:-([0-9a-f]{16}))?$/.exec(text)
  return m ? { epoch: Number(m[1]), table: m[2]!, nonce: m[3]!, bind: m[4] } : undefined
}
