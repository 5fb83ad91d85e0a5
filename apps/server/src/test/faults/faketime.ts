import { existsSync } from "node:fs"

/** Debian's libfaketime (`scripts/ensure.sh --faketime`), wherever this architecture keeps it. */
export const LIBFAKETIME = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
].find((p) => existsSync(p))

/**
 * The environment that runs a process under libfaketime at `offset` ("+600s"). Only the
 * wall clock moves: with a faked monotonic clock, timers and timeouts would move too.
 */
export const skewEnv = (offset: string): Record<string, string> => {
  if (LIBFAKETIME === undefined) throw new Error("libfaketime is not installed: run scripts/ensure.sh --faketime")
  return { LD_PRELOAD: LIBFAKETIME, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: "1" }
}
