/**
 * `@vibestack/headless/testing`: kits for tests and benchmarks of the headless client (never
 * production code). `startMemoryHttpServer` serves the public HTTP + WebSocket contract over the
 * in-memory `MemoryServer` (no Postgres); `httpFuzzBackend` runs the shared seeded fuzz through
 * real `HttpTransport`s with per-peer faults.
 */
export * from "./test/httpFuzzBackend.js"
export * from "./test/memoryHttpServer.js"
