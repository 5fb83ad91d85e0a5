import { DOC_LAYOUT_VERSION, metaMap, SCHEMA_VERSION_KEY, seedWorkspace } from "@vibestack/schema"
import { Effect } from "effect"
import { LoroDoc } from "loro-crdt"
import { CliError, type Command } from "../Command.js"

/** Writes per Loro commit: each commit becomes one pushed blob, well below the 1 MiB default push limit. */
const WRITES_PER_BLOB = 1000

const post = async (url: string, init: RequestInit, attempts = 5): Promise<Response> => {
  for (let i = 1; ; i++) {
    try {
      const res = await fetch(url, init)
      // Retry only what is safe to retry: pushes carry an Idempotency-Key. A 429 says when.
      if (res.status === 429 && i < attempts) {
        await new Promise((r) => setTimeout(r, 1000 * Math.min(60, Number(res.headers.get("retry-after")) || 1)))
        continue
      }
      if (res.status < 500 || i >= attempts) return res
    } catch (e) {
      if (i >= attempts) throw e
    }
    await new Promise((r) => setTimeout(r, 200 * i))
  }
}

export interface SeedOutcome {
  readonly workspaceId: string
  readonly masterToken: string
}

/** Creates (or fills) a workspace with `seedWorkspace` data through the public sync API. */
export const seedOverHttp = async (options: {
  readonly url: string
  readonly tasks: number
  readonly projects: number
  readonly workspace?: string | undefined
  readonly token?: string | undefined
  readonly seed?: number | undefined
}): Promise<SeedOutcome & { readonly updates: number; readonly bytes: number }> => {
  const base = options.url.replace(/\/$/, "")
  let ws = options.workspace
  let token = options.token
  if (ws === undefined || token === undefined) {
    const res = await post(`${base}/api/v1/workspaces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Seeded workspace", ...(ws === undefined ? {} : { id: ws }) }),
    })
    if (res.status !== 201) throw new CliError(`creating the workspace failed: ${res.status} ${await res.text()}`)
    const created = (await res.json()) as SeedOutcome
    ws = created.workspaceId
    token = created.masterToken
  }
  const doc = new LoroDoc()
  const blobs: Array<Uint8Array> = []
  const unsubscribe = doc.subscribeLocalUpdates((bytes) => {
    blobs.push(bytes)
  })
  metaMap(doc).set(SCHEMA_VERSION_KEY, DOC_LAYOUT_VERSION)
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
  seedWorkspace(doc, { tasks: options.tasks, projects: options.projects, seed, chunk: WRITES_PER_BLOB })
  unsubscribe()
  let bytes = 0
  for (const [i, blob] of blobs.entries()) {
    const res = await post(`${base}/api/v1/workspaces/${ws}/docs/main/updates`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/octet-stream",
        "idempotency-key": `seed-${seed}-${i}`,
      },
      body: blob,
    })
    if (res.status !== 200)
      throw new CliError(`push ${i + 1}/${blobs.length} failed: ${res.status} ${await res.text()}`)
    bytes += blob.length
  }
  doc.free()
  return { workspaceId: ws, masterToken: token, updates: blobs.length, bytes }
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
    flags: {
      tasks: { type: "string", description: "number of tasks", required: true },
      projects: { type: "string", description: "number of projects (default 8)" },
      workspace: { type: "string", description: "fill this workspace (with --token) instead of creating one" },
      token: { type: "string", description: "master or editor token of --workspace" },
      url: { type: "string", description: "server URL (default http://127.0.0.1:3000)" },
      seed: { type: "string", description: "PRNG seed (default random)" },
    },
    run: (flags) =>
      Effect.tryPromise({
        try: async () => {
          const out = await seedOverHttp({
            url: typeof flags.url === "string" ? flags.url : "http://127.0.0.1:3000",
            tasks: int(flags.tasks, "tasks"),
            projects: int(flags.projects, "projects", 8),
            workspace: typeof flags.workspace === "string" ? flags.workspace : undefined,
            token: typeof flags.token === "string" ? flags.token : undefined,
            seed: flags.seed === undefined ? undefined : int(flags.seed, "seed"),
          })
          return { workspaceId: out.workspaceId, masterToken: out.masterToken }
        },
        catch: (e) => (e instanceof CliError ? e : new CliError(String(e instanceof Error ? e.message : e))),
      }),
  },
]
