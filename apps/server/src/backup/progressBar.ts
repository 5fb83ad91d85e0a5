import { open } from "node:fs/promises"

const CHUNK = 1024 * 1024

/** A one-line progress bar on stderr (only on a terminal: logs and pipes stay clean). */
export const progressBar = (label: string, total: number, out: NodeJS.WriteStream = process.stderr) => {
  const enabled = out.isTTY === true && total > CHUNK
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1)
  return {
    update: (done: number) => {
      if (!enabled) return
      const ratio = total === 0 ? 1 : done / total
      const filled = Math.round(ratio * 30)
      out.write(
        `\r${label} [${"#".repeat(filled)}${"-".repeat(30 - filled)}] ${Math.round(ratio * 100)}% ${mb(done)}/${mb(total)} MB`,
      )
    },
    done: () => {
      if (enabled) out.write("\n")
    },
  }
}

/** Writes a file in chunks with a progress bar. */
export const writeWithProgress = async (path: string, bytes: Uint8Array, label = "export") => {
  const bar = progressBar(label, bytes.length)
  const file = await open(path, "w")
  try {
    for (let at = 0; at < bytes.length; at += CHUNK) {
      await file.write(bytes.subarray(at, Math.min(at + CHUNK, bytes.length)))
      bar.update(Math.min(at + CHUNK, bytes.length))
    }
  } finally {
    await file.close()
    bar.done()
  }
}
