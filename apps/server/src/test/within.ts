/**
 * `p`, or a rejection after `ms` naming `label` and what the process still waits on, by kind
 * (sockets, timers, workers). For teardown steps: a server's stop has hung now and then in a
 * full run (AGENTS.md), and a hook timeout says nothing about why.
 */
export const within = <A>(label: string, p: Promise<A>, ms = 120_000): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const waiting = new Map<string, number>()
      for (const r of process.getActiveResourcesInfo()) waiting.set(r, (waiting.get(r) ?? 0) + 1)
      reject(new Error(`${label} did not finish within ${ms / 1000} s; still active: ${JSON.stringify([...waiting])}`))
    }, ms).unref()
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}
