import { createHash } from "node:crypto"
import { FORMAT_VERSION, HEADER, MAGIC } from "../backupFile.js"

/**
 * A backup file with whatever metadata a hostile or broken tool might write: the container
 * is well-formed (magic, lengths, checksums), the metadata is taken as given. Without
 * `meta.docs`, each snapshot is listed as a document (`docIds[i]`, else `doc<i>`).
 */
export const craftBackup = (
  meta: Partial<Record<string, unknown>> & { docs?: ReadonlyArray<Record<string, unknown>> },
  snapshots: ReadonlyArray<Uint8Array> = [],
  docIds: ReadonlyArray<string> = [],
): Uint8Array => {
  let offset = 0
  const docs =
    meta.docs ??
    snapshots.map((s, i) => {
      const d = { docId: docIds[i] ?? `doc${i}`, cursor: 1, offset, length: s.length, sha256: sha(s) }
      offset += s.length
      return d
    })
  const full = {
    format: "vibestack-backup",
    backupId: "bk_crafted",
    workspaceId: "crafted",
    workspaceName: "Crafted",
    createdAt: new Date(0).toISOString(),
    schemaVersion: 1,
    ...meta,
    docs,
  }
  const json = new TextEncoder().encode(JSON.stringify(full))
  const payload = snapshots.reduce((n, s) => n + s.length, 0)
  const out = new Uint8Array(HEADER + json.length + payload + 32)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  view.setUint16(MAGIC.length, FORMAT_VERSION)
  view.setUint32(MAGIC.length + 2, json.length)
  out.set(json, HEADER)
  let at = HEADER + json.length
  for (const s of snapshots) {
    out.set(s, at)
    at += s.length
  }
  out.set(createHash("sha256").update(out.subarray(0, at)).digest(), at)
  return out
}

/** Documents with these ids, each a (tiny, not Loro) snapshot, laid out back to back. */
export const docsWithIds = (ids: ReadonlyArray<string>) => {
  const snapshots = ids.map((_, i) => new TextEncoder().encode(`s${i}`))
  let offset = 0
  const docs = ids.map((docId, i) => {
    const d = { docId, cursor: 1, offset, length: snapshots[i]!.length, sha256: sha(snapshots[i]!) }
    offset += snapshots[i]!.length
    return d
  })
  return { docs, snapshots }
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

/** The metadata cases of finding #13.5(c): each must be refused with a message naming what is wrong. */
export const badMetadataCases = (): ReadonlyArray<{
  readonly name: string
  readonly file: Uint8Array
  readonly message: RegExp
}> => {
  const ok = docsWithIds(["main"])
  const withDocs = (ids: ReadonlyArray<string>) => {
    const d = docsWithIds(ids)
    return craftBackup({ docs: d.docs }, d.snapshots)
  }
  return [
    {
      // Valid JSON that makes Effect's own error formatting throw (`decodeSafely`).
      name: "a field whose value has a toString that is not a function",
      file: craftBackup({ workspaceId: [{ toString: 0 }], docs: [{ toString: 0 }] }, ok.snapshots),
      message: /metadata is invalid/,
    },
    {
      name: 'workspace id ""',
      file: craftBackup({ workspaceId: "", docs: ok.docs }, ok.snapshots),
      message: /workspaceId/,
    },
    {
      name: 'workspace id "../../etc x"',
      file: craftBackup({ workspaceId: "../../etc x", docs: ok.docs }, ok.snapshots),
      message: /workspaceId/,
    },
    {
      name: "5,000-character workspace id",
      file: craftBackup({ workspaceId: "w".repeat(5000), docs: ok.docs }, ok.snapshots),
      message: /workspaceId/,
    },
    { name: 'doc id "../x"', file: withDocs(["main", "../x"]), message: /docs\.1\.docId/ },
    { name: 'doc id ""', file: withDocs([""]), message: /docs\.0\.docId/ },
    { name: "10,000-character doc id", file: withDocs(["d".repeat(10_000)]), message: /docs\.0\.docId/ },
    {
      name: "1,200 documents",
      file: withDocs(Array.from({ length: 1200 }, (_, i) => `d${i}`)),
      message: /docs: .*at most 1000/,
    },
    {
      name: 'backup id "../../x"',
      file: craftBackup({ backupId: "../../x", docs: ok.docs }, ok.snapshots),
      message: /backupId/,
    },
    {
      name: "unreadable date",
      file: craftBackup({ createdAt: "yesterday", docs: ok.docs }, ok.snapshots),
      message: /createdAt/,
    },
  ]
}
