import { readdirSync, readFileSync } from "node:fs"

/** CPU seconds (user + system) a process has used, worker threads included (Linux /proc). */
export const cpuSeconds = (pid: number): number => {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(rest[11]) + Number(rest[12])) / 100
  } catch {
    return 0
  }
}

/** The pid of the Postgres listening on `port` (its postmaster), from /proc. */
const postmasterOf = (port: number): number | undefined => {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0")
      if (
        cmd[0]?.endsWith("postgres") &&
        cmd.some((a, i) => (a === "-p" && cmd[i + 1] === String(port)) || a === `port=${port}`)
      )
        return Number(d)
    } catch {}
  }
  return undefined
}

/** CPU seconds used so far by one Postgres: its postmaster and every live child (backends, WAL writer, walsender…). */
export const postgresCpuSeconds = (port: number): number => {
  const master = postmasterOf(port)
  if (master === undefined) return Number.NaN
  let sum = cpuSeconds(master)
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      if (ppid === master) sum += cpuSeconds(Number(d))
    } catch {}
  }
  return sum
}
