/// <reference lib="webworker" />
import type { WorkspaceId } from "@vibestack/schema"
import { DexieLocalStore } from "../db/DexieLocalStore.js"
import { DocReplica } from "./DocReplica.js"
import type { DocToPage, PageToDoc } from "./docMessages.js"
import { CHANNEL_NAME, type ChannelMessage, parseChannelMessage } from "./messages.js"

/**
 * One open workspace of one tab: its LoroDoc lives here, off the page's main thread (importing
 * or reading a large document takes seconds). The page posts intents; this posts entity changes.
 */
declare const self: DedicatedWorkerGlobalScope

const emit = (m: DocToPage): void => self.postMessage(m)
const store = new DexieLocalStore()
const channel = new BroadcastChannel(CHANNEL_NAME)
const listeners = new Set<(m: ChannelMessage) => void>()
channel.onmessage = (event: MessageEvent) => {
  const m = parseChannelMessage(event.data)
  if (m !== undefined) for (const l of listeners) l(m)
}

let replica: DocReplica | undefined
/** Messages that came before `Open` finished starting the replica (writes queue inside it). */
const early: Array<PageToDoc> = []

self.onmessage = (event: MessageEvent<PageToDoc>) => {
  const m = event.data
  if (m._tag === "Open") {
    replica = new DocReplica(m.ws as WorkspaceId, {
      store,
      post: (c) => channel.postMessage(c),
      listen: (l) => {
        listeners.add(l)
        return () => listeners.delete(l)
      },
      emit,
    })
    for (const e of early.splice(0)) replica.handle(e)
    replica.open(m.canWrite, m.replay).catch((e: unknown) => emit({ _tag: "Failed", message: String(e) }))
    return
  }
  if (m._tag === "Close") {
    void replica?.close().finally(() => {
      channel.close()
      self.close()
    })
    return
  }
  if (replica === undefined) early.push(m)
  else replica.handle(m)
}
