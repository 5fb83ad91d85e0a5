import { LoroDoc } from "loro-crdt"
import type { DocHost } from "./DocHost.js"
import type { StoredDoc } from "./LocalStore.js"

/** Loro throws plain strings; make them Errors with the text kept. */
const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)))

/** `DocHost` over a LoroDoc in the same thread (headless clients, tests). */
export class LoroDocHost implements DocHost {
  constructor(readonly doc: LoroDoc) {}

  /** A fresh document (its own random peer id) rebuilt from what the store kept. */
  static fromStored(stored: StoredDoc): LoroDocHost {
    const doc = new LoroDoc()
    const blobs = [...(stored.snapshot ? [stored.snapshot] : []), ...stored.updates.map((u) => u.bytes)]
    if (blobs.length > 0) {
      try {
        doc.importBatch(blobs)
      } catch {
        // One unreadable entry must not make the whole document unloadable: import the
        // rest one by one and keep going (the server copy still has everything acknowledged).
        for (const b of blobs) {
          try {
            doc.import(b)
          } catch {}
        }
      }
    }
    return new LoroDocHost(doc)
  }

  readonly applyRemote = (updates: ReadonlyArray<Uint8Array>): void => {
    if (updates.length === 0) return
    try {
      this.doc.importBatch([...updates])
    } catch (e) {
      throw asError(e)
    }
  }

  readonly onLocalUpdate = (listener: (bytes: Uint8Array) => void): (() => void) =>
    this.doc.subscribeLocalUpdates(listener)

  readonly exportSnapshot = (): Uint8Array => this.doc.export({ mode: "snapshot" })
}
