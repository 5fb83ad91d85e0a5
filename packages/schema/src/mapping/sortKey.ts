/**
 * Fractional-index sort keys (the rocicorp `fractional-indexing` scheme, base 62), plus a
 * random tail so two devices inserting into the same gap concurrently get distinct keys.
 *
 * A key is an "integer" part (head letter `a`-`z` = 2..27 chars long, `A`-`Z` = negative
 * integers) followed by a fraction that never ends in `0`. Keys compare as plain strings
 * (JS `<`, Postgres `collate "C"`). Appending at the end only increments the integer part, so
 * appending 100,000 tasks keeps keys ~5 chars long.
 */

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const SMALLEST_INTEGER = "A" + "0".repeat(26)

export class SortKeyError extends Error {
  override readonly name = "SortKeyError"
}

const midpoint = (a: string, b: string | null): string => {
  if (b !== null && a >= b) throw new SortKeyError(`${a} >= ${b}`)
  if (a.endsWith("0") || b?.endsWith("0")) throw new SortKeyError("fraction ends in 0")
  if (b !== null) {
    let n = 0
    while ((a[n] ?? "0") === b[n]) n++
    if (n > 0) return b.slice(0, n) + midpoint(a.slice(n), b.slice(n))
  }
  const digitA = a ? DIGITS.indexOf(a[0]!) : 0
  const digitB = b !== null ? DIGITS.indexOf(b[0]!) : DIGITS.length
  if (digitB - digitA > 1) return DIGITS[Math.round(0.5 * (digitA + digitB))]!
  if (b !== null && b.length > 1) return b.slice(0, 1)
  return DIGITS[digitA] + midpoint(a.slice(1), null)
}

const integerLength = (head: string): number => {
  if (head >= "a" && head <= "z") return head.charCodeAt(0) - 97 + 2
  if (head >= "A" && head <= "Z") return 90 - head.charCodeAt(0) + 2
  throw new SortKeyError(`invalid sort key head: ${head}`)
}

const integerPart = (key: string): string => {
  const len = integerLength(key[0] ?? "")
  if (len > key.length) throw new SortKeyError(`invalid sort key: ${key}`)
  return key.slice(0, len)
}

const validate = (key: string): void => {
  if (key === SMALLEST_INTEGER) throw new SortKeyError(`invalid sort key: ${key}`)
  for (const c of key) if (!DIGITS.includes(c)) throw new SortKeyError(`invalid sort key: ${key}`)
  const f = key.slice(integerPart(key).length)
  if (f.endsWith("0")) throw new SortKeyError(`invalid sort key: ${key}`)
}

const incrementInteger = (x: string): string | null => {
  const [head, ...digs] = x.split("") as [string, ...Array<string>]
  let carry = true
  for (let i = digs.length - 1; carry && i >= 0; i--) {
    const d = DIGITS.indexOf(digs[i]!) + 1
    if (d === DIGITS.length) digs[i] = "0"
    else {
      digs[i] = DIGITS[d]!
      carry = false
    }
  }
  if (!carry) return head + digs.join("")
  if (head === "Z") return "a0"
  if (head === "z") return null
  const h = String.fromCharCode(head.charCodeAt(0) + 1)
  if (h > "a") digs.push("0")
  else digs.pop()
  return h + digs.join("")
}

const decrementInteger = (x: string): string | null => {
  const [head, ...digs] = x.split("") as [string, ...Array<string>]
  let borrow = true
  for (let i = digs.length - 1; borrow && i >= 0; i--) {
    const d = DIGITS.indexOf(digs[i]!) - 1
    if (d === -1) digs[i] = DIGITS[DIGITS.length - 1]!
    else {
      digs[i] = DIGITS[d]!
      borrow = false
    }
  }
  if (!borrow) return head + digs.join("")
  if (head === "a") return "Z" + DIGITS[DIGITS.length - 1]
  if (head === "A") return null
  const h = String.fromCharCode(head.charCodeAt(0) - 1)
  if (h < "Z") digs.push(DIGITS[DIGITS.length - 1]!)
  else digs.pop()
  return h + digs.join("")
}

/** The deterministic key strictly between `a` and `b` (null = open end). Throws `SortKeyError`. */
export const plainKeyBetween = (a: string | null, b: string | null): string => {
  if (a !== null) validate(a)
  if (b !== null) validate(b)
  if (a !== null && b !== null && a >= b) throw new SortKeyError(`${a} >= ${b}`)
  if (a === null) {
    if (b === null) return "a0"
    const ib = integerPart(b)
    const fb = b.slice(ib.length)
    if (ib === SMALLEST_INTEGER) return ib + midpoint("", fb)
    if (ib < b) return ib
    const res = decrementInteger(ib)
    if (res === null) throw new SortKeyError("cannot decrement any more")
    return res
  }
  const ia = integerPart(a)
  const fa = a.slice(ia.length)
  if (b === null) {
    const i = incrementInteger(ia)
    return i === null ? ia + midpoint(fa, null) : i
  }
  const ib = integerPart(b)
  const fb = b.slice(ib.length)
  if (ia === ib) return ia + midpoint(fa, fb)
  const i = incrementInteger(ia)
  if (i === null) throw new SortKeyError("cannot increment any more")
  return i < b ? i : ia + midpoint(fa, null)
}

/**
 * A key strictly between `a` and `b` with a random 3-digit tail (when it fits below `b`),
 * so concurrent inserts into the same gap on different devices almost never tie. Ties that
 * do happen are still ordered, by task id. `random` returns [0, 1).
 */
export const keyBetween = (a: string | null, b: string | null, random: () => number = Math.random): string => {
  const k = plainKeyBetween(a, b)
  let tail = ""
  for (let i = 0; i < 3; i++) tail += DIGITS[Math.floor(random() * DIGITS.length)]
  tail += DIGITS[1 + Math.floor(random() * (DIGITS.length - 1))]
  const jittered = k + tail
  return b === null || jittered < b ? jittered : k
}
