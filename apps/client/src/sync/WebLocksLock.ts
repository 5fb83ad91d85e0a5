import type { Lock } from "@vibestack/shared"

/**
 * `Lock` over Web Locks: held until released or until the holding tab/worker goes away,
 * at which point the browser hands it to the next waiter. That is the leader hand-off.
 */
export const webLocksLock = (locks: LockManager = navigator.locks): Lock => ({
  acquire: (name) =>
    new Promise((resolveAcquired) => {
      void locks.request(
        name,
        () =>
          new Promise<void>((release) => {
            resolveAcquired(() => release())
          }),
      )
    }),
})
