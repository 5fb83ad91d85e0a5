import { randomBytes } from "node:crypto"
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises"
import { join } from "node:path"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import {
  type LocalStore,
  normalizeFatal,
  type OutboxEntry,
  type OutboxInput,
  type OutboxStats,
  type RebasePlan,
  type RejectedEntry,
  type StoredDoc,
  type WireError,
  type WorkspaceMeta,
} from "@vibestack/shared"

/**
 * A document's manifest is the commit point: blobs are written to fresh files first, then
 * the manifest is replaced by write-temp-then-rename, then files it no longer names are
 * deleted. A kill at any moment leaves the old or the new manifest, both complete; stray
 * blob files are swept on the next load.
 */
interface Manifest {
  cursor: number
  schemaVersion: number
  nextId: number
  snapshot: string | undefined
  updates: Array<{ id: number; file: string }>
  /** `at`: when the commit was made (absent in manifests written before it was kept). */
  outbox: Array<OutboxRef>
  rejected: Array<OutboxRef & { error: WireError; summary?: string; text?: string }>
}

interface OutboxRef {
  id: number
  file: string
  key: string
  at?: number
}

const sameIds = (a: ReadonlyArray<{ readonly id: number }>, ids: ReadonlyArray<number>) =>
  a.length === ids.length && a.every((e, i) => e.id === ids[i])

const emptyManifest = (): Manifest => ({
  cursor: 0,
  schemaVersion: 0,
  nextId: 1,
  snapshot: undefined,
  updates: [],
  outbox: [],
  rejected: [],
})

const writeFileDurable = async (path: string, data: Uint8Array | string, fsync: boolean) => {
  const fh = await open(path, "w")
  try {
    await fh.writeFile(data)
    if (fsync) await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Write to a temp file, then rename over the target: readers see the old or the new file. */
const writeAtomic = async (path: string, data: string, fsync: boolean) => {
  const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`
  await writeFileDurable(tmp, data, fsync)
  await rename(tmp, path)
}

export interface FileLocalStoreOptions {
  /** fsync files before renaming (survives power loss, not only process kill). Default true. */
  readonly fsync?: boolean
}

export class FileLocalStore implements LocalStore {
  private readonly manifests = new Map<string, Manifest>()
  private chain: Promise<unknown> = Promise.resolve()
  private readonly fsync: boolean

  constructor(
    readonly dir: string,
    options: FileLocalStoreOptions = {},
  ) {
    this.fsync = options.fsync ?? true
  }

  /** Calls run one at a time: each is a read-modify-write of a manifest. */
  private serial<A>(f: () => Promise<A>): Promise<A> {
    const r = this.chain.then(f)
    this.chain = r.catch(() => undefined)
    return r
  }

  private docDir(ws: WorkspaceId, doc: DocId): string {
    return join(this.dir, "docs", `${ws}~${doc}`)
  }

  private async manifest(ws: WorkspaceId, doc: DocId): Promise<Manifest> {
    const key = `${ws}/${doc}`
    const cached = this.manifests.get(key)
    if (cached) return cached
    const dir = this.docDir(ws, doc)
    await mkdir(dir, { recursive: true })
    let m: Manifest
    try {
      m = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
      m = emptyManifest()
    }
    const live = referenced(m)
    for (const f of await readdir(dir))
      if (f !== "manifest.json" && !live.has(f)) await rm(join(dir, f), { force: true })
    this.manifests.set(key, m)
    return m
  }

  private async commit(ws: WorkspaceId, doc: DocId, before: Manifest, after: Manifest): Promise<void> {
    const dir = this.docDir(ws, doc)
    await writeAtomic(join(dir, "manifest.json"), JSON.stringify(after), this.fsync)
    this.manifests.set(`${ws}/${doc}`, after)
    const live = referenced(after)
    for (const f of referenced(before)) if (!live.has(f)) await rm(join(dir, f), { force: true })
  }

  private async putBlob(ws: WorkspaceId, doc: DocId, prefix: string, bytes: Uint8Array): Promise<string> {
    const file = `${prefix}-${randomBytes(6).toString("hex")}.bin`
    await writeFileDurable(join(this.docDir(ws, doc), file), bytes, this.fsync)
    return file
  }

  private blob(ws: WorkspaceId, doc: DocId, file: string): Promise<Uint8Array> {
    return readFile(join(this.docDir(ws, doc), file)).then((b) => new Uint8Array(b))
  }

  readonly loadDoc = (ws: WorkspaceId, doc: DocId): Promise<StoredDoc> =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      return {
        snapshot: m.snapshot ? await this.blob(ws, doc, m.snapshot) : undefined,
        updates: await this.entries(ws, doc, m.updates),
        cursor: m.cursor,
        schemaVersion: m.schemaVersion,
      }
    })

  readonly updatesAfter = (ws: WorkspaceId, doc: DocId, afterId: number) =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      return this.entries(
        ws,
        doc,
        m.updates.filter((u) => u.id > afterId),
      )
    })

  /** Log entries with their blobs read. */
  private entries(ws: WorkspaceId, doc: DocId, updates: Manifest["updates"]) {
    return Promise.all(updates.map(async (u) => ({ id: u.id, bytes: await this.blob(ws, doc, u.file) })))
  }

  /** The manifest with `entry` appended as a local commit (its blob already written). */
  private async withLocal(ws: WorkspaceId, doc: DocId, m: Manifest, entry: OutboxInput) {
    const id = m.nextId
    const file = await this.putBlob(ws, doc, `u${id}`, entry.bytes)
    const next: Manifest = {
      ...m,
      nextId: id + 1,
      updates: [...m.updates, { id, file }],
      outbox: [...m.outbox, { id, file, key: entry.idempotencyKey, at: entry.createdAt }],
    }
    const out: OutboxEntry = {
      id,
      bytes: entry.bytes.slice(),
      idempotencyKey: entry.idempotencyKey,
      createdAt: entry.createdAt,
    }
    return { next, entry: out }
  }

  private async entryOf(ws: WorkspaceId, doc: DocId, e: OutboxRef): Promise<OutboxEntry> {
    return { id: e.id, bytes: await this.blob(ws, doc, e.file), idempotencyKey: e.key, createdAt: e.at ?? 0 }
  }

  readonly appendLocal = (ws: WorkspaceId, doc: DocId, entry: OutboxInput): Promise<OutboxEntry> =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      const { next, entry: out } = await this.withLocal(ws, doc, m, entry)
      await this.commit(ws, doc, m, next)
      return out
    })

  readonly appendRemote = (ws: WorkspaceId, doc: DocId, updates: ReadonlyArray<Uint8Array>, cursor: number) =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      let nextId = m.nextId
      const added: Array<{ id: number; file: string }> = []
      for (const bytes of updates) {
        const id = nextId++
        added.push({ id, file: await this.putBlob(ws, doc, `u${id}`, bytes) })
      }
      await this.commit(ws, doc, m, {
        ...m,
        nextId,
        updates: [...m.updates, ...added],
        cursor: Math.max(m.cursor, cursor),
      })
    })

  readonly outboxWindow = (ws: WorkspaceId, doc: DocId, afterId: number, limit: number) =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      const window = m.outbox.filter((e) => e.id > afterId).slice(0, Math.max(0, limit))
      return Promise.all(window.map((e) => this.entryOf(ws, doc, e)))
    })

  readonly outboxStats = (ws: WorkspaceId, doc: DocId): Promise<OutboxStats> =>
    this.serial(async () => statsOf(await this.manifest(ws, doc)))

  readonly outbox = (ws: WorkspaceId, doc: DocId): Promise<ReadonlyArray<OutboxEntry>> =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      return Promise.all(m.outbox.map((e) => this.entryOf(ws, doc, e)))
    })

  readonly ackOutbox = (ws: WorkspaceId, doc: DocId, ids: ReadonlyArray<number>): Promise<OutboxStats> =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      const acked = new Set(ids)
      if (!m.outbox.some((e) => acked.has(e.id))) return statsOf(m)
      const next = { ...m, outbox: m.outbox.filter((e) => !acked.has(e.id)) }
      await this.commit(ws, doc, m, next)
      return statsOf(next)
    })

  readonly rejectedOutbox = (ws: WorkspaceId, doc: DocId): Promise<ReadonlyArray<RejectedEntry>> =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      return Promise.all(
        m.rejected.map(async (e) => ({
          ...(await this.entryOf(ws, doc, e)),
          error: e.error,
          summary: e.summary ?? "",
          text: e.text ?? "",
        })),
      )
    })

  readonly resolveRejected = (ws: WorkspaceId, doc: DocId, id: number, replacement: OutboxInput | undefined) =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      if (!m.rejected.some((e) => e.id === id)) return undefined
      const without: Manifest = { ...m, rejected: m.rejected.filter((e) => e.id !== id) }
      if (replacement === undefined) {
        await this.commit(ws, doc, m, without)
        return undefined
      }
      const { next, entry } = await this.withLocal(ws, doc, without, replacement)
      await this.commit(ws, doc, m, next)
      return entry
    })

  readonly rebase = (ws: WorkspaceId, doc: DocId, plan: RebasePlan) =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      if (!sameIds(m.outbox, plan.expectOutbox) || !sameIds(m.rejected, plan.expectRejected)) return false
      const files = new Map([...m.outbox, ...m.rejected].map((e) => [e.id, e.file]))
      let nextId = m.nextId
      const outbox: Array<OutboxRef> = []
      for (const e of plan.outbox) {
        const id = nextId++
        outbox.push({
          id,
          file: await this.putBlob(ws, doc, `u${id}`, e.bytes),
          key: e.idempotencyKey,
          at: e.createdAt,
        })
      }
      const rejected: Manifest["rejected"] = []
      for (const e of plan.rejected) {
        // Kept entries keep their blob; the bytes are the same ones the entry was stored with.
        const file = files.get(e.id) ?? (await this.putBlob(ws, doc, `r${e.id}`, e.bytes))
        rejected.push({
          id: e.id,
          file,
          key: e.idempotencyKey,
          at: e.createdAt,
          error: e.error,
          summary: e.summary,
          text: e.text,
        })
      }
      const snapshot = await this.putBlob(ws, doc, "snap", plan.snapshot)
      await this.commit(ws, doc, m, { ...m, nextId, snapshot, updates: [], outbox, rejected })
      return true
    })

  readonly compact = (ws: WorkspaceId, doc: DocId, snapshot: Uint8Array, upToUpdateId: number) =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      const file = await this.putBlob(ws, doc, "snap", snapshot)
      await this.commit(ws, doc, m, { ...m, snapshot: file, updates: m.updates.filter((u) => u.id > upToUpdateId) })
    })

  readonly squash = (ws: WorkspaceId, doc: DocId, bytes: Uint8Array, afterUpdateId: number, upToUpdateId: number) =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      const inRange = (u: { id: number }) => u.id > afterUpdateId && u.id <= upToUpdateId
      if (!m.updates.some(inRange)) return
      const file = await this.putBlob(ws, doc, `u${upToUpdateId}s`, bytes)
      const updates = [
        ...m.updates.filter((u) => u.id <= afterUpdateId),
        { id: upToUpdateId, file },
        ...m.updates.filter((u) => u.id > upToUpdateId),
      ]
      await this.commit(ws, doc, m, { ...m, updates })
    })

  readonly setSchemaVersion = (ws: WorkspaceId, doc: DocId, version: number) =>
    this.serial(async () => {
      const m = await this.manifest(ws, doc)
      await this.commit(ws, doc, m, { ...m, schemaVersion: version })
    })

  private async readWorkspaces(): Promise<Record<string, WorkspaceMeta>> {
    try {
      return JSON.parse(await readFile(join(this.dir, "workspaces.json"), "utf8")) as Record<string, WorkspaceMeta>
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return {}
      throw e
    }
  }

  readonly putWorkspace = (meta: WorkspaceMeta) =>
    this.serial(async () => {
      await mkdir(this.dir, { recursive: true })
      const all = await this.readWorkspaces()
      all[meta.workspaceId] = meta
      await writeAtomic(join(this.dir, "workspaces.json"), JSON.stringify(all), this.fsync)
    })

  readonly getWorkspace = (ws: WorkspaceId) =>
    this.serial(async () => {
      const meta = (await this.readWorkspaces())[ws]
      return meta === undefined ? undefined : withFatal(meta)
    })

  readonly listWorkspaces = () => this.serial(async () => Object.values(await this.readWorkspaces()).map(withFatal))
}

/** Metas written before `fatal` was structured kept it as `"Kind: message"`. */
const withFatal = (meta: WorkspaceMeta): WorkspaceMeta => {
  const fatal = normalizeFatal(meta.fatal)
  const { fatal: _, ...rest } = meta
  return fatal === undefined ? rest : { ...rest, fatal }
}

const referenced = (m: Manifest): Set<string> =>
  new Set([
    ...(m.snapshot ? [m.snapshot] : []),
    ...m.updates.map((u) => u.file),
    ...m.outbox.map((e) => e.file),
    ...m.rejected.map((e) => e.file),
  ])

const statsOf = (m: Manifest): OutboxStats => ({
  count: m.outbox.length,
  oldestAt: m.outbox[0] === undefined ? undefined : (m.outbox[0].at ?? 0),
  rejected: m.rejected.length,
})
