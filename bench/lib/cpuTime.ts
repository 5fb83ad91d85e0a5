import { readdirSync, readFileSync } from "node:fs"

/** The name and CPU seconds (user + system) of a `/proc/…/stat` file: a process's or one thread's. */
const readStat = (path: string): { readonly name: string; readonly seconds: number } => {
  const stat = readFileSync(path, "utf8")
  // Fields after the name (which may hold spaces): utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return {
    name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    seconds: (Number(rest[11]) + Number(rest[12])) / 100,
  }
}

/** CPU seconds (user + system) a process has used, worker threads included (Linux /proc). */
export const cpuSeconds = (pid: number): number => {
  try {
    return readStat(`/proc/${pid}/stat`).seconds
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

/**
 * CPU seconds the whole machine has spent busy so far, every process and core (Linux
 * /proc/stat: user, nice, system, irq, softirq, steal). What a user's action costs the
 * machine across the browser's processes, the server and Postgres.
 */
export const machineCpuSeconds = (): number => {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100
}

/** What a process is, for a per-process CPU breakdown: Chromium's processes by type, Node, Postgres. */
const kindOf = (cmd: Array<string>): string => {
  const exe = cmd[0] ?? ""
  if (/chrom|headless_shell/.test(exe)) {
    const type = cmd.find((a) => a.startsWith("--type="))?.slice(7)
    if (type === undefined) return "chromium: browser"
    const service = cmd.find((a) => a.startsWith("--utility-sub-type="))?.slice(19)
    return `chromium: ${type}${service ? ` (${service})` : ""}`
  }
  if (exe.endsWith("postgres")) return "postgres"
  if (exe.endsWith("node")) return cmd.some((a) => a.includes("vibestack")) ? "node: server" : "node"
  return "other"
}

/**
 * CPU seconds used so far by every live process, summed by kind (`kindOf`). With
 * `chromiumThreads`, also each Chromium process kind's threads by name ("chromium: browser /
 * ThreadPoolForeg": the kernel keeps 15 characters of a thread's name), which is how one finds,
 * say, IndexedDB's work (the browser's thread pool) apart from the page's.
 */
export const cpuSecondsByKind = (chromiumThreads = false): Map<string, number> => {
  const out = new Map<string, number>()
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue
    try {
      // Chromium rewrites its children's titles: their arguments come as one string with spaces.
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8")
        .replace(/\0+$/, "")
        .split(/\0| (?=--)/)
      const k = Number(d) === process.pid ? "node: this process" : kindOf(cmd)
      out.set(k, (out.get(k) ?? 0) + cpuSeconds(Number(d)))
      if (chromiumThreads && k.startsWith("chromium")) {
        for (const t of readdirSync(`/proc/${d}/task`)) {
          const thread = readStat(`/proc/${d}/task/${t}/stat`)
          // Numbered threads of a pool count as one ("ThreadPoolForeg").
          const name = `${k} / ${thread.name.replace(/[0-9]+$/, "")}`
          out.set(name, (out.get(name) ?? 0) + thread.seconds)
        }
      }
    } catch {}
  }
  return out
}
