/// <reference lib="webworker" />
// First, for its side effect: Loro's download starts before the rest of this worker evaluates.
import "./loroEarly.js"
import type { WorkspaceId } from "@vibestack/schema"
import { DexieLocalStore } from "../db/DexieLocalStore.js"
import { PresenceHost } from "../presence/PresenceHost.js"
import { DocReplica } from "./DocReplica.js"
import type { DocToPage, PageToDoc } from "./docMessages.js"
import { loadLoro } from "./loroReady.js"
import { type ChannelMessage, documentChannels } from "./messages.js"

/**
 * One open workspace of one tab: its LoroDoc lives here, off the page's main thread (importing
 * or reading a large document takes seconds). The page posts intents; this posts entity changes.
 */
declare const self: DedicatedWorkerGlobalScope

const emit = (m: DocToPage): void => self.postMessage(m)
const store = new DexieLocalStore()
const listeners = new Set<(m: ChannelMessage) => void>()
const channel = documentChannels((m) => {
  for (const l of listeners) l(m)
})

let replica: DocReplica | undefined
let presence: PresenceHost | undefined
/** Messages that came before `Open` finished starting the replica (writes queue inside it). */
const early: Array<PageToDoc> = []

/** The page's messages, in order, once Loro is in (the replica and presence hold documents). */
const handle = (m: PageToDoc) => {
  if (m._tag === "PresenceAuth" || m._tag === "PresenceSet") {
    if (presence === undefined) return
    return m._tag === "PresenceAuth" ? presence.auth(m.token) : presence.set(m.state)
  }
  if (m._tag === "Open") {
    presence = new PresenceHost(
      m.ws,
      () => replica?.current,
      (peers) => emit({ _tag: "Presence", peers }),
    )
    replica = new DocReplica(m.ws as WorkspaceId, {
      store,
      post: (c) => channel.post(c),
      listen: (l) => {
        listeners.add(l)
        return () => listeners.delete(l)
      },
      emit,
      onDocChange: () => presence?.changed(),
    })
    for (const e of early.splice(0)) replica.handle(e)
    replica.open(m.canWrite, m.replay, m.since).catch((e: unknown) => emit({ _tag: "Failed", message: String(e) }))
    return
  }
  if (m._tag === "Close") {
    presence?.stop()
    void replica?.close().finally(() => {
      channel.close()
      self.close()
    })
    return
  }
  if (replica === undefined) early.push(m)
  else replica.handle(m)
}

let ready = false
const waiting: Array<PageToDoc> = []
self.onmessage = (event: MessageEvent<PageToDoc>) => {
  if (ready) handle(event.data)
  else waiting.push(event.data)
}
loadLoro().then(
  () => {
    ready = true
    for (const m of waiting.splice(0)) handle(m)
  },
  (e: unknown) => emit({ _tag: "Failed", message: `could not load Loro: ${String(e)}` }),
)
