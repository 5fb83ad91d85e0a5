/**
 * Records everything this process logs while a server runs in it: Effect's logger writes
 * through `console` (which vitest intercepts before stdout), other code may write to the
 * streams directly. Output still reaches the terminal.
 */
export const captureLogs = () => {
  const lines: Array<string> = []
  const methods = ["log", "info", "warn", "error", "debug"] as const
  const realConsole = methods.map((m) => console[m])
  const streams = [process.stdout, process.stderr] as const
  const realWrite = streams.map((s) => s.write.bind(s))
  methods.forEach((m, i) => {
    console[m] = (...args: Array<unknown>) => {
      lines.push(args.map(String).join(" "))
      realConsole[i]!(...args)
    }
  })
  streams.forEach((s, i) => {
    s.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
      lines.push(String(chunk))
      return (realWrite[i] as (...a: Array<unknown>) => boolean)(chunk, ...rest)
    }) as typeof s.write
  })
  return {
    text: () => lines.join("\n"),
    restore: () => {
      methods.forEach((m, i) => {
        console[m] = realConsole[i]!
      })
      streams.forEach((s, i) => {
        s.write = realWrite[i] as typeof s.write
      })
    },
  }
}
