import type { WorkspaceId } from "@vibestack/schema"
import type { BackupInfo } from "@vibestack/shared"
import { useCallback, useEffect, useRef, useState } from "react"
import { callServer } from "../api/callServer.js"
import { describeRequestError } from "../ui/requestError.js"

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`)

/**
 * Backups of this workspace (master only): create one now, list, download the file, restore.
 * Restore is a revert: the server pushes ordinary forward operations that bring the document
 * back to the backup's state, so every device just syncs them (nothing is rewound or lost
 * from history). Needs the server: offline it says so.
 */
export const BackupsDialog = (p: {
  readonly workspaceId: WorkspaceId
  readonly token: string
  readonly onClose: () => void
}) => {
  const [backups, setBackups] = useState<ReadonlyArray<BackupInfo> | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [confirming, setConfirming] = useState<string | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const dialog = useRef<HTMLDialogElement>(null)

  const run = useCallback(async (what: string, fn: () => Promise<void>) => {
    setBusy(true)
    try {
      await fn()
      setError(undefined)
    } catch (e) {
      setError(`${what} failed. ${describeRequestError(e)}`)
    } finally {
      setBusy(false)
    }
  }, [])

  const refresh = useCallback(
    () =>
      run("Listing backups", async () => {
        const l = await callServer(p.token, (api) => api.backups.list({ path: { ws: p.workspaceId } }))
        setBackups([...l.backups].sort((a, b) => b.createdAt.localeCompare(a.createdAt)))
      }),
    [run, p.token, p.workspaceId],
  )

  useEffect(() => {
    dialog.current?.showModal()
    void refresh()
  }, [refresh])

  const create = () =>
    run("Creating a backup", async () => {
      await callServer(p.token, (api) => api.backups.create({ path: { ws: p.workspaceId } }))
      setNotice("Backup created.")
      await refresh()
    })

  const download = (b: BackupInfo) =>
    run("Downloading", async () => {
      const bytes = await callServer(p.token, (api) =>
        api.backups.file({ path: { ws: p.workspaceId, backupId: b.backupId } }),
      )
      // The bytes are a view of the response's ArrayBuffer (never shared memory).
      const file = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" })
      const url = URL.createObjectURL(file)
      const a = document.createElement("a")
      a.href = url
      a.download = `vibestack-${p.workspaceId}-${b.createdAt.replace(/[:.]/g, "-")}.vsbackup`
      a.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    })

  /**
   * A restore first takes a safety backup of the workspace as it is now: restoring the wrong
   * backup is then itself one restore away from undone. No safety backup, no restore.
   */
  const restore = (b: BackupInfo) =>
    run("Restoring", async () => {
      const safety = await callServer(p.token, (api) => api.backups.create({ path: { ws: p.workspaceId } }))
      await callServer(p.token, (api) =>
        api.backups.restore({ path: { ws: p.workspaceId, backupId: b.backupId }, payload: { mode: "revert" } }),
      )
      setConfirming(undefined)
      const safetyAt = ` (created ${new Date(safety.createdAt).toLocaleString()})`
      setNotice(
        `Restored to the backup of ${new Date(b.createdAt).toLocaleString()}; every device syncs the change. ` +
          `A safety backup of how it was just before is in the list${safetyAt}.`,
      )
      await refresh()
    })

  return (
    <dialog ref={dialog} className="share-dialog" aria-labelledby="backups-title" onClose={p.onClose}>
      <h2 id="backups-title">Backups</h2>
      <p className="row">
        <button type="button" disabled={busy} onClick={() => void create()}>
          Back up now
        </button>
      </p>
      {notice !== undefined && (
        <p role="status" data-testid="backup-notice">
          {notice}
        </p>
      )}
      {error !== undefined && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <table>
        <caption>Backups</caption>
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Kind</th>
            <th scope="col">Size</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {backups === undefined ? (
            <tr>
              <td colSpan={4}>Loading…</td>
            </tr>
          ) : backups.length === 0 ? (
            <tr>
              <td colSpan={4}>No backups yet.</td>
            </tr>
          ) : (
            backups.map((b) => (
              <tr key={b.backupId} data-testid="backup-row">
                <td>{new Date(b.createdAt).toLocaleString()}</td>
                <td>{b.kind}</td>
                <td title={`sha256 ${b.sha256}`}>{kb(b.size)}</td>
                <td className="row">
                  <button type="button" disabled={busy} onClick={() => void download(b)}>
                    Download
                  </button>
                  {confirming === b.backupId ? (
                    <>
                      <button type="button" disabled={busy} onClick={() => void restore(b)}>
                        Confirm restore
                      </button>
                      <button type="button" onClick={() => setConfirming(undefined)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <button type="button" disabled={busy} onClick={() => setConfirming(b.backupId)}>
                      Restore…
                    </button>
                  )}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <button type="button" onClick={() => dialog.current?.close()}>
        Close
      </button>
    </dialog>
  )
}
