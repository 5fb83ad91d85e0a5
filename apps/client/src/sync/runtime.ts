import { TabSync } from "./TabSync.js"

let instance: TabSync | undefined

/** The tab's one TabSync, created on first use (not at import, so node tests can import modules). */
export const tabSync = (): TabSync => {
  instance ??= new TabSync()
  return instance
}
