import type { LoroDoc } from "loro-crdt"

/**
 * Each local commit carries its author in the change's commit message (`author:<memberId>`),
 * so the history names people, not devices. Messages also keep two people's edits in
 * separate changes (Loro merges only changes with equal messages). The server bounds
 * message length (change metadata check); a member id is short.
 */
const authors = new WeakMap<LoroDoc, string>()
const PREFIX = "author:"

export const setAuthor = (doc: LoroDoc, memberId: string | undefined): void => {
  if (memberId === undefined) authors.delete(doc)
  else authors.set(doc, memberId)
}

/** Call right before a commit (write helpers, undo/redo): the next change names its author. */
export const stampAuthor = (doc: LoroDoc): void => {
  const id = authors.get(doc)
  if (id !== undefined) doc.setNextCommitMessage(`${PREFIX}${id}`)
}

export const authorOfMessage = (message: string | undefined): string | undefined =>
  message?.startsWith(PREFIX) ? message.slice(PREFIX.length) : undefined
