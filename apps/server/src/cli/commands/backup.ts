import { open, stat } from "node:fs/promises"
import type { WorkspaceId } from "@vibestack/schema"
import { Effect } from "effect"
import { BackupService } from "../../backup/BackupService.js"
import { openBackupFile } from "../../backup/backupFileReader.js"
import { CliError, type Command } from "../Command.js"
import { ticking } from "../progress.js"
import { runCore } from "../runCore.js"

type Flags = Readonly<Record<string, string | boolean | undefined>>

const need = (flags: Flags, name: string) =>
  Effect.suspend(() => {
    const v = flags[name]
    return typeof v === "string" && v.length > 0
      ? Effect.succeed(v)
      : Effect.fail(new CliError(`--${name} is required`))
  })

/** Writes in 1 MiB chunks, reporting the bytes written. */
const writeFileInChunks = async (path: string, bytes: Uint8Array, onProgress: (done: number) => void) => {
  const file = await open(path, "w")
  try {
    for (let at = 0; at < bytes.length; at += 1024 * 1024) {
      const end = Math.min(at + 1024 * 1024, bytes.length)
      await file.write(bytes.subarray(at, end))
      onProgress(end)
    }
  } finally {
    await file.close()
  }
}

const withBackups = <A, E>(f: (s: BackupService) => Effect.Effect<A, E>) => runCore(Effect.flatMap(BackupService, f))

/**
 * `vibestack backup …`: the same operations as the HTTP routes, straight against the
 * server's database (so they also work while no server runs, e.g. for disaster recovery).
 */
export const backupCommands: ReadonlyArray<Command> = [
  {
    group: "backup",
    name: "create",
    summary: "back up a workspace now; prints the backup's metadata",
    example: "vibestack backup create --workspace W",
    flags: { workspace: { type: "string", description: "workspace id", required: true } },
    run: (flags, context) =>
      Effect.flatMap(need(flags, "workspace"), (ws) =>
        ticking(
          context.progress(`backing up ${ws}`, 0),
          withBackups((s) => s.create(ws as WorkspaceId)),
        ),
      ),
  },
  {
    group: "backup",
    name: "list",
    summary: "list a workspace's backups, newest first",
    example: "vibestack backup list --workspace W",
    flags: { workspace: { type: "string", description: "workspace id", required: true } },
    run: (flags) => Effect.flatMap(need(flags, "workspace"), (ws) => withBackups((s) => s.list(ws as WorkspaceId))),
  },
  {
    group: "backup",
    name: "export",
    summary: "write a backup to one file (progress on a terminal)",
    example: "vibestack backup export --workspace W --out acme.vibestack",
    flags: {
      workspace: { type: "string", description: "workspace id", required: true },
      backup: { type: "string", description: "backup id (default: a new backup, made now)" },
      out: { type: "string", description: "file to write", required: true },
    },
    run: (flags, context) =>
      Effect.gen(function* () {
        const ws = (yield* need(flags, "workspace")) as WorkspaceId
        const out = yield* need(flags, "out")
        const label = typeof flags.backup === "string" ? `reading backup ${flags.backup}` : `backing up ${ws}`
        const { id, file } = yield* ticking(
          context.progress(label, 0),
          withBackups((s) =>
            Effect.gen(function* () {
              const id = typeof flags.backup === "string" ? flags.backup : (yield* s.create(ws)).backupId
              return { id, file: yield* s.file(ws, id) }
            }),
          ),
        )
        const progress = context.progress(`writing ${out}`, file.length, "bytes")
        yield* Effect.tryPromise({
          try: () => writeFileInChunks(out, file, progress.update),
          catch: (e) => new CliError(`could not write ${out}: ${String(e)}`),
        }).pipe(Effect.ensuring(Effect.sync(progress.done)))
        return { backupId: id, file: out, size: file.length }
      }),
  },
  {
    group: "backup",
    name: "import",
    summary: "create a workspace from a backup file (disaster recovery); prints its id and master token",
    example: 'vibestack backup import --file acme.vibestack --name "Acme (recovered)"',
    flags: {
      file: { type: "string", description: "backup file", required: true },
      name: { type: "string", description: "workspace name (default: the backup's)" },
    },
    run: (flags, context) =>
      Effect.gen(function* () {
        const path = yield* need(flags, "file")
        const name = typeof flags.name === "string" ? flags.name : undefined
        // Read from the file as it is checked and stored, never loaded whole; the count follows the checksum pass.
        return yield* withBackups((s) =>
          Effect.gen(function* () {
            const size = yield* Effect.tryPromise({
              try: () => stat(path).then((st) => st.size),
              catch: (e) => new CliError(`could not read ${path}: ${String(e)}`),
            })
            const checking = context.progress(`checking ${path}`, size, "bytes")
            const backup = yield* openBackupFile(path, checking.update).pipe(
              Effect.ensuring(Effect.sync(checking.done)),
            )
            return yield* ticking(context.progress("importing", 0), s.importFile(backup, name))
          }).pipe(Effect.scoped),
        )
      }),
  },
  {
    group: "backup",
    name: "restore",
    summary: "restore a backup: --mode revert (live workspace, forward ops) or fork (new workspace)",
    example: 'vibestack backup restore --workspace W --backup B --mode fork --name "Acme before the migration"',
    flags: {
      workspace: { type: "string", description: "workspace id", required: true },
      backup: { type: "string", description: "backup id", required: true },
      mode: { type: "string", description: "revert | fork", required: true },
      name: { type: "string", description: "name of the forked workspace" },
    },
    run: (flags, context) =>
      Effect.gen(function* () {
        const ws = (yield* need(flags, "workspace")) as WorkspaceId
        const id = yield* need(flags, "backup")
        const mode = yield* need(flags, "mode")
        const progress = context.progress(`restoring ${id} (${mode})`, 0)
        if (mode === "revert")
          return yield* ticking(
            progress,
            withBackups((s) => s.revert(ws, id)),
          )
        if (mode !== "fork") return yield* Effect.fail(new CliError("--mode must be revert or fork"))
        const name = typeof flags.name === "string" ? flags.name : `${ws} (restored)`
        return yield* ticking(
          progress,
          withBackups((s) => s.fork(ws, id, name)),
        )
      }),
  },
]
