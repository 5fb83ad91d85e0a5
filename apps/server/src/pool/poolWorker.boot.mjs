// Entry of a pool worker thread. `execArgv: ["--import", "tsx"]` does not reach a worker's
// entry module on Node 20 (ERR_UNKNOWN_FILE_EXTENSION), so register tsx here, then load
// the TypeScript worker. Works under `node --import tsx`, plain node and vitest alike.
import { register } from "tsx/esm/api"

register()
await import("./poolWorker.ts")
