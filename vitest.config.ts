import { defineConfig } from "vitest/config"

/**
 * One vitest run covers every package. Suffixes pick the environment:
 *   X.test.ts         pure logic in node
 *   X.pg.test.ts      against a real embedded Postgres (apps/server/src/test/pg.ts)
 *   X.browser.test.ts real Chromium through playwright-core
 *   X.faults.test.ts  the full fault tier, only with VIBESTACK_FAULTS=1 (npm run test:faults)
 */
const full = process.env.VIBESTACK_FAULTS === "1"

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // Many test files start their own Postgres or Chromium; two cores, so two files at a time.
    maxWorkers: 2,
    exclude: ["**/node_modules/**", "**/dist/**", ...(full ? [] : ["**/*.faults.test.ts"])],
  },
})
