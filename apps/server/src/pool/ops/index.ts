import { blobMetas } from "./blobMetas.js"
import { inspectSnapshot } from "./inspectSnapshot.js"
import type { PoolOp } from "./PoolOp.js"
import { projectEntities } from "./projectEntities.js"
import { readBack } from "./readBack.js"
import { revertDoc } from "./revertDoc.js"
import { stateAt } from "./stateAt.js"
import { toJSON } from "./toJSON.js"
import { validateDocument } from "./validateDocument.js"
import { versionInfo } from "./versionInfo.js"

/**
 * The registry of operations `LoroPool.run` can call by name. To add one: write
 * `ops/myOp.ts` exporting a `PoolOp<Args, Result>`, and list it here.
 */
export const poolOps = {
  toJSON,
  versionInfo,
  projectEntities,
  inspectSnapshot,
  revertDoc,
  blobMetas,
  stateAt,
  validateDocument,
  readBack,
} satisfies Record<string, PoolOp<never, unknown>>

export type PoolOps = typeof poolOps
export type PoolOpName = keyof PoolOps
export type PoolOpArgs<K extends PoolOpName> = Parameters<PoolOps[K]>[1]
export type PoolOpResult<K extends PoolOpName> = ReturnType<PoolOps[K]>
