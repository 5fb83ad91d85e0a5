import type { LoroDoc } from "loro-crdt"
import type { PresenceShown } from "../sync/docMessages.js"
import { caretAt, caretOffset } from "./caret.js"
import { PresenceChannel, type PresenceState } from "./PresenceChannel.js"

/** What the page says about this tab: its caret as an offset (the page holds no document). */
export type PagePresence = Omit<PresenceState, "caret"> & { readonly caretOffset?: number }

/**
 * The tab's presence, run in its document worker (rule C17 over C18): the `PresenceChannel`
 * (a Loro `EphemeralStore`) and the carets (Loro `Cursor`s) need Loro, which the page never
 * loads. The page sends its state with a caret offset; this turns it into a `Cursor` of the
 * worker's document and sends the page everyone else's states with their carets as offsets in
 * this copy of the text, again whenever the document changes (their characters moved).
 */
export class PresenceHost {
  private channel: PresenceChannel | undefined
  private token: string | undefined
  private mine: PagePresence | undefined
  /** The page was last sent nobody (most documents change with nobody else here). */
  private shownNobody = false

  constructor(
    private readonly ws: string,
    private readonly doc: () => LoroDoc | undefined,
    private readonly show: (peers: ReadonlyArray<PresenceShown>) => void,
  ) {}

  /** Opens the presence socket with `token`, or stops it (none yet, revoked, expired). */
  auth(token: string | undefined): void {
    if (token === this.token) return
    this.token = token
    this.channel?.stop()
    this.channel = token === undefined ? undefined : new PresenceChannel(this.ws, token, () => this.changed())
    if (this.mine !== undefined) this.set(this.mine)
    this.changed()
  }

  set(state: PagePresence): void {
    this.mine = state
    if (this.channel === undefined) return
    const { caretOffset: offset, ...rest } = state
    const doc = this.doc()
    const caret =
      offset !== undefined && rest.taskId !== undefined && doc !== undefined
        ? caretAt(doc, rest.taskId, offset)
        : undefined
    this.channel.set({ ...rest, ...(caret !== undefined ? { caret } : {}) })
  }

  /** Someone's presence or the document changed: the page gets the states with current caret offsets. */
  changed(): void {
    const doc = this.doc()
    const peers = (this.channel?.peers() ?? []).map(({ caret, ...p }): PresenceShown => {
      const offset = caret !== undefined && doc !== undefined ? caretOffset(doc, caret) : undefined
      return offset === undefined ? p : { ...p, caretOffset: offset }
    })
    if (peers.length === 0 && this.shownNobody) return
    this.shownNobody = peers.length === 0
    this.show(peers)
  }

  stop(): void {
    this.channel?.stop()
    this.channel = undefined
  }
}
