/**
 * One sync leader per origin: the browser implements this with Web Locks
 * (`navigator.locks.request`), tests and headless clients with `MemoryLock`.
 */
export interface Lock {
  /** Resolves once `name` is held; call the returned function to release it. */
  readonly acquire: (name: string) => Promise<() => void>
}

export class MemoryLock implements Lock {
  private readonly tails = new Map<string, Promise<void>>()

  readonly acquire = async (name: string): Promise<() => void> => {
    const previous = this.tails.get(name) ?? Promise.resolve()
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = previous.then(() => held)
    this.tails.set(name, tail)
    await previous
    let released = false
    return () => {
      if (released) return
      released = true
      release()
      if (this.tails.get(name) === tail) this.tails.delete(name)
    }
  }
}
