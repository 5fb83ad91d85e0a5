import { Effect, Fiber, Option } from "effect"

/**
 * `p`, or a rejection after `ms` naming `label`, what the process still waits on, by kind
 * (sockets, timers, workers), and the Effect fibers still running with the span each is in.
 * For teardown steps: a server's stop has hung now and then in a full run (AGENTS.md), and a
 * hook timeout says nothing about why.
 */
export const within = <A>(label: string, p: Promise<A>, ms = 120_000): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const waiting = new Map<string, number>()
      for (const r of process.getActiveResourcesInfo()) waiting.set(r, (waiting.get(r) ?? 0) + 1)
      // A listing that fails must not keep the rejection from happening.
      void runningFibers()
        .catch((error) => `could not be listed (${String(error)})`)
        .then((fibers) =>
          reject(
            new Error(
              `${label} did not finish within ${ms / 1000} s; still active: ${JSON.stringify([...waiting])}; fibers: ${fibers}`,
            ),
          ),
        )
    }, ms).unref()
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/** How many fibers `runningFibers` describes at most. */
const MAX_FIBERS = 40

/**
 * The fibers of every Effect runtime in this process that have not finished, each as its id,
 * status and the span it is in with that span's parents (an SQL query's span carries its
 * text): which finalizer or query a hung shutdown waits on.
 */
export const runningFibers = async (): Promise<string> => {
  const out: Array<string> = []
  const visit = async (fiber: Fiber.RuntimeFiber<unknown, unknown>): Promise<void> => {
    if (out.length >= MAX_FIBERS) return
    const status = await Effect.runPromise(fiber.status)
    if (status._tag !== "Done") out.push(`#${fiber.id().id} ${status._tag} in ${spansOf(fiber)}`)
    for (const child of await Effect.runPromise(Fiber.children(fiber))) await visit(child)
  }
  for (const root of await Effect.runPromise(Fiber.roots)) await visit(root)
  return out.length === 0 ? "none" : out.join(" | ")
}

const spansOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): string => {
  const names: Array<string> = []
  let span = Option.fromNullable(fiber.currentSpan)
  while (Option.isSome(span) && names.length < 6) {
    const s = span.value
    if (s._tag !== "Span") {
      names.push(`external span ${s.spanId}`)
      break
    }
    // @effect/sql puts a statement's text on its "sql.execute" span.
    const statement = s.attributes.get("db.query.text")
    names.push(statement === undefined ? s.name : `${s.name} (${String(statement).slice(0, 120)})`)
    span = s.parent
  }
  return names.length === 0 ? "no span" : names.join(" < ")
}
