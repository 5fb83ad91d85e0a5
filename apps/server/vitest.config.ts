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
    hookTimeout: 120_000,
  },
})
