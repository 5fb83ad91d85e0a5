import { loadLoro } from "./loroReady.js"

/**
 * Imported first by a worker whose first need is Loro (the document worker): modules evaluate in
 * import order, so Loro's download starts before the worker's other code evaluates (~0.1 s on a
 * new device) instead of after it. Failures surface where the worker awaits `loadLoro()`.
 */
loadLoro().catch(() => undefined)
