import { Worker } from "node:worker_threads"
import {
  DOC_LAYOUT_VERSION,
  type MemberId,
  metaMap,
  type ProjectId,
  SCHEMA_VERSION_KEY,
  seedWorkspace,
} from "@vibestack/schema"
import { decodeSafely, Registered } from "@vibestack/shared"
import { Effect, Either } from "effect"
import { LoroDoc } from "loro-crdt"
import { workerUrl } from "../../pool/workerBundle.js"
import { CliError, type Command } from "../Command.js"
import type { PartRequest, PartResponse, PartWorkerData } from "../seedPartWorker.js"
import { serverUrl, unreachable, urlFlag } from "../serverUrl.js"

/**
 * Tasks per pushed update. Each part is written in a fresh document (Loro writes get slower as
 * a document grows: 100,000 tasks in one document took minutes, in parts of 5,000 seconds) and
 * comes to about 800 KB, under the smallest push limit we run with (1 MiB in tests).
 */
const PART_TASKS = 5000
/** Pushes in flight while the next part is written (the server judges waiting ones together). */
const IN_FLIGHT = 2
/** Answers worth retrying with the same Idempotency-Key: the server was busy or timed the request out. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429

const decodeRegistered = decodeSafely(Registered)

const post = async (url: string, init: RequestInit, attempts = 8): Promise<Response> => {
  for (let i = 1; ; i++) {
    let wait = Math.min(2000, 200 * i)
    try {
      const res = await fetch(url, init)
      if (!retryable(res.status) || i >= attempts) return res
      wait = Math.max(wait, Number(res.headers.get("retry-after") ?? 0) * 1000)
      await res.arrayBuffer()
    } catch (e) {
      if (i >= attempts) throw e
    }
    await new Promise((r) => setTimeout(r, wait))
  }
}

/** The parts, written one after the other in a worker thread (`seedPartWorker.ts`). */
const partBuilder = (data: PartWorkerData) => {
  const worker = new Worker(workerUrl(new URL("../seedPartWorker.ts", import.meta.url)), { workerData: data })
  const waiting = new Map<string, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>()
  worker.on("message", (res: PartResponse) => {
    const key = `${res.offset}+${res.count}`
    const w = waiting.get(key)
    waiting.delete(key)
    if ("blob" in res) w?.resolve(res.blob)
    else w?.reject(new CliError(`writing tasks ${key} failed: ${res.error}`))
  })
  worker.on("error", (e) => {
    for (const w of waiting.values()) w.reject(e)
    waiting.clear()
  })
  return {
    build: (offset: number, count: number): Promise<Uint8Array> =>
      new Promise((resolve, reject) => {
        waiting.set(`${offset}+${count}`, { resolve, reject })
        const req: PartRequest = { offset, count }
        worker.postMessage(req)
      }),
    close: () => worker.terminate(),
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
    const created = decodeRegistered(await res.json())
    if (Either.isLeft(created))
      throw new CliError(`the server at ${base} answered the registration in an unknown shape`)
    ws = created.right.workspaceId
    token = created.right.masterToken
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

  const builder = partBuilder({
    head: headBlob,
    seed,
    projectIds: people.projectIds as ReadonlyArray<ProjectId>,
    memberIds: people.memberIds as ReadonlyArray<MemberId>,
  })
  let size = Math.max(1, options.partTasks ?? PART_TASKS)
  /** Pushes tasks [offset, offset + count); a part the server finds too large goes again in halves (and later parts are smaller). */
  const pushPart = async (offset: number, count: number, blob: Uint8Array): Promise<void> => {
    if (await push(blob, `${offset}+${count}`, count)) return
    if (count === 1) throw new CliError(`the server at ${base} refuses even one task per update (413)`)
    const half = count >> 1
    size = Math.min(size, half)
    await pushPart(offset, half, await builder.build(offset, half))
    await pushPart(offset + half, count - half, await builder.build(offset + half, count - half))
  }
  try {
    const inFlight: Array<Promise<void>> = []
    let offset = 0
    let next = options.tasks > 0 ? builder.build(0, Math.min(size, options.tasks)) : undefined
    let nextCount = Math.min(size, options.tasks)
    while (next !== undefined) {
      const [blob, at, count] = [await next, offset, nextCount]
      offset += count
      nextCount = Math.min(size, options.tasks - offset)
      // The next part is written while this one uploads and is judged.
      next = nextCount > 0 ? builder.build(offset, nextCount) : undefined
      const pushed = pushPart(at, count, blob)
      pushed.catch(() => {}) // seen below, when awaited
      inFlight.push(pushed)
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift()
    }
    await Promise.all(inFlight)
  } finally {
    await builder.close()
  }
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
