/**
 * The part of the WebSocket API the transport uses. Browsers pass `WebSocket`; Node 20
 * has none, so headless clients pass the `ws` package's class (cast to this).
 */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  send(data: string | Uint8Array): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { readonly data: unknown }) => void) | null
  onclose: ((ev: { readonly code: number; readonly reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}

export type WebSocketCtor = new (url: string) => WebSocketLike
