import { defineProject } from "vitest/config"

export default defineProject({
  // Pure logic, but property tests run thousands of cases: a loaded 2-core machine needs minutes.
  test: { name: "schema", include: ["src/**/*.test.ts"], environment: "node", testTimeout: 120_000 },
})
