import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "client",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/globalSetup.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
