import { buildClient } from "./harness.js"

/**
 * Builds the app once for every browser test file: two files building into the same `dist`
 * at once (two workers) raced, one emptying it while the other generated its service worker.
 */
export default async function setup(): Promise<void> {
  await buildClient()
  process.env.VIBESTACK_CLIENT_BUILT = "1"
}
