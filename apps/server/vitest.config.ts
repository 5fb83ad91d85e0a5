import { defineProject } from "vitest/config"

const full = process.env.VIBESTACK_FAULTS === "1"

export default defineProject({
  test: {
    name: "server",
    include: ["src/**/*.test.ts"],
    exclude: ["**/node_modules/**", ...(full ? [] : ["**/*.faults.test.ts"])],
    environment: "node",
    // Real Postgres and real sockets: generous bounds, never used as timings.
    testTimeout: 120_000,
    // Starting Postgres and server processes on a loaded 2-core machine took over 2 minutes.
    hookTimeout: 300_000,
  },
})
