import {
  DOC_LAYOUT_VERSION,
  type MemberId,
  metaMap,
  type ProjectId,
  SCHEMA_VERSION_KEY,
  seedWorkspace,
} from "@vibestack/schema"
import { Effect } from "effect"
import { LoroDoc } from "loro-crdt"
import { CliError, type Command } from "../Command.js"
import { serverUrl, unreachable, urlFlag } from "../serverUrl.js"

/**
 * Tasks per pushed update. Each part is written in a fresh document (Loro writes get slower as
 * a document grows: 100,000 tasks in one document took minutes, in parts of 5,000 seconds) and
 * comes to about 800 KB, under the smallest push limit we run with (1 MiB in tests).
 */
const PART_TASKS = 5000
/** Pushes in flight while the next part is written (the server judges waiting ones together). */
const IN_FLIGHT = 4

const post = async (url: string, init: RequestInit, attempts = 8): Promise<Response> => {
  for (let i = 1; ; i++) {
    try {
      const res = await fetch(url, init)
      // Retry only what is safe to retry: pushes carry an Idempotency-Key. A 429 says when.
      if (res.status === 429 && i < attempts) {
        await new Promise((r) => setTimeout(r, 1000 * Math.min(60, Number(res.headers.get("retry-after")) || 1)))
        continue
      }
      if (res.status < 500 || i >= attempts) return res
      await res.arrayBuffer()
    } catch (e) {
      if (i >= attempts) throw e
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 200 * i)))
  }
}

export interface SeedOutcome {
  readonly workspaceId: string
  readonly masterToken: string
}

export interface SeedOptions {
  readonly url: string
  readonly tasks: number
  readonly projects: number
  readonly workspace?: string | undefined
  readonly token?: string | undefined
  readonly seed?: number | undefined
  readonly partTasks?: number | undefined
  /** Tasks acknowledged so far (after each push). */
  readonly onProgress?: ((tasks: number) => void) | undefined
}

/**
 * Creates (or fills) a workspace with `seedWorkspace` data through the public sync API: one
 * update with the members and projects, then the tasks in parts of `partTasks`, each written
 * in its own small document on top of the first and pushed while the next one is written.
 * Deterministic for a seed and part size.
 */
export const seedOverHttp = async (
  options: SeedOptions,
): Promise<SeedOutcome & { readonly updates: number; readonly bytes: number }> => {
  const base = options.url.replace(/\/$/, "")
  let ws = options.workspace
  let token = options.token
  const call = async (path: string, init: RequestInit) => {
    try {
      return await post(`${base}${path}`, init)
    } catch (e) {
      throw unreachable(base, e)
    }
  }
  if (ws === undefined || token === undefined) {
    const res = await call("/api/v1/workspaces", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Seeded workspace", ...(ws === undefined ? {} : { id: ws }) }),
    })
    if (res.status !== 201)
      throw new CliError(`creating the workspace at ${base} failed: ${res.status} ${await res.text()}`)
    const created = (await res.json()) as SeedOutcome
    ws = created.workspaceId
    token = created.masterToken
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
  let updates = 0
  let bytes = 0
  let acked = 0
  const push = async (blob: Uint8Array, key: string, tasks: number) => {
    const res = await call(`/api/v1/workspaces/${ws}/docs/main/updates`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/octet-stream",
        "idempotency-key": `seed-${seed}-${key}`,
      },
      body: blob,
    })
    if (res.status === 413) return false
    if (res.status !== 200) throw new CliError(`push ${key} to ${base} failed: ${res.status} ${await res.text()}`)
    updates++
    bytes += blob.length
    acked += tasks
    options.onProgress?.(acked)
    return true
  }

  // Members and projects first: every part builds on them.
  const head = new LoroDoc()
  metaMap(head).set(SCHEMA_VERSION_KEY, DOC_LAYOUT_VERSION)
  const people = seedWorkspace(head, { tasks: 0, projects: options.projects, seed })
  const headBlob = head.export({ mode: "update" })
  head.free()
  if (!(await push(headBlob, "base", 0)))
    throw new CliError(`the server at ${base} refused even the first update (413)`)

  const part = (offset: number, count: number): Uint8Array => {
    const doc = new LoroDoc()
    doc.import(headBlob)
    const from = doc.oplogVersion()
    seedWorkspace(doc, {
      tasks: count,
      projects: 0,
      seed,
      chunk: count + 1,
      part: {
        offset,
        projectIds: people.projectIds as ReadonlyArray<ProjectId>,
        memberIds: people.memberIds as ReadonlyArray<MemberId>,
      },
    })
    const blob = doc.export({ mode: "update", from })
    doc.free()
    return blob
  }
  let size = Math.max(1, options.partTasks ?? PART_TASKS)
  /** Pushes tasks [offset, offset + count); a part the server finds too large goes again in halves (and later parts are smaller). */
  const pushPart = async (offset: number, count: number, blob = part(offset, count)): Promise<void> => {
    if (await push(blob, `${offset}+${count}`, count)) return
    if (count === 1) throw new CliError(`the server at ${base} refuses even one task per update (413)`)
    const half = count >> 1
    size = Math.min(size, half)
    await pushPart(offset, half)
    await pushPart(offset + half, count - half)
  }

  const inFlight: Array<Promise<void>> = []
  for (let offset = 0; offset < options.tasks; offset += size) {
    const count = Math.min(size, options.tasks - offset)
    inFlight.push(pushPart(offset, count, part(offset, count)))
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift()
  }
  await Promise.all(inFlight)
  return { workspaceId: ws, masterToken: token, updates, bytes }
}

const int = (v: string | boolean | undefined, name: string, fallback?: number): number => {
  if (v === undefined && fallback !== undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${name} must be a non-negative integer`)
  return n
}

export const seedCommands: ReadonlyArray<Command> = [
  {
    group: "workspace",
    name: "seed",
    summary: "create (or fill) a workspace with realistic data through the sync API",
    example: "vibestack workspace seed --tasks 100000 --url http://127.0.0.1:3000",
    flags: {
      tasks: { type: "string", description: "number of tasks", required: true },
      projects: { type: "string", description: "number of projects (default 8)" },
      workspace: { type: "string", description: "fill this workspace (with --token) instead of creating one" },
      token: { type: "string", description: "master or editor token of --workspace" },
      url: urlFlag,
      seed: { type: "string", description: "PRNG seed (default random)" },
      "part-tasks": { type: "string", description: `tasks per pushed update (default ${PART_TASKS})` },
    },
    run: (flags, context) =>
      Effect.gen(function* () {
        const url = yield* serverUrl(flags)
        const options = yield* Effect.try({
          try: () => ({
            url,
            tasks: int(flags.tasks, "tasks"),
            projects: int(flags.projects, "projects", 8),
            workspace: typeof flags.workspace === "string" ? flags.workspace : undefined,
            token: typeof flags.token === "string" ? flags.token : undefined,
            seed: flags.seed === undefined ? undefined : int(flags.seed, "seed"),
            partTasks: flags["part-tasks"] === undefined ? undefined : int(flags["part-tasks"], "part-tasks"),
          }),
          catch: (e) => (e instanceof CliError ? e : new CliError(String(e))),
        })
        const progress = context.progress("seeding", options.tasks, "tasks")
        const started = performance.now()
        const out = yield* Effect.tryPromise({
          try: () => seedOverHttp({ ...options, onProgress: progress.update }),
          catch: (e) => unreachable(url, e),
        }).pipe(Effect.ensuring(Effect.sync(progress.done)))
        return {
          workspaceId: out.workspaceId,
          masterToken: out.masterToken,
          tasks: options.tasks,
          updates: out.updates,
          bytes: out.bytes,
          seconds: Math.round(performance.now() - started) / 1000,
        }
      }),
  },
]
