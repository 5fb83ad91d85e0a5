import { defineProject } from "vitest/config"

export default defineProject({
  // Real sockets and a folder store; the seeded fuzz runs many cases on a loaded 2-core machine.
  test: { name: "headless", include: ["src/**/*.test.ts"], environment: "node", testTimeout: 120_000 },
})
