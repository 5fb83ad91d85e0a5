import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "migrations", include: ["src/**/*.test.ts"], environment: "node" },
})
