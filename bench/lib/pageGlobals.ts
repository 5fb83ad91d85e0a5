/**
 * The little of the DOM that benchmark functions run inside Chromium (`page.evaluate`) touch.
 * bench/ is typed for Node: the DOM lib would retype `fetch` and `Uint8Array` bodies for all
 * the server code it imports. A file with page functions declares what they use, module-local
 * and type-only (nothing is emitted; in the page the names are the real globals):
 * `declare const document: PageDocument`.
 */
export interface PageElement {
  readonly textContent: string | null
  querySelector(selector: string): PageElement | null
  querySelectorAll(selector: string): Iterable<PageElement>
  addEventListener(type: "keydown", listener: (e: { readonly timeStamp: number }) => void): void
}

export interface PageDocument extends PageElement {
  getElementById(id: string): PageElement | null
}

/** `window`: only ever cast to the fields a benchmark stores on it. */
export type PageWindow = object

export type RequestAnimationFrame = (callback: () => void) => number

/** The DOM's `MessageChannel` (Node's types give its ports `on`, not `onmessage`). */
export type PageMessageChannel = new () => {
  readonly port1: { onmessage: (() => void) | null }
  readonly port2: { postMessage(message: unknown): void }
}
