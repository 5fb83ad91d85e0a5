import { Server as HttpServer, type IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean

/**
 * The Node HTTP server. The live socket is served by `ws` directly (so its frame limits
 * and backpressure are ours to set), so upgrades for it are taken here before the Effect
 * platform's own upgrade handler sees them; everything else goes to the HttpApi app.
 */
export class NodeServer extends HttpServer {
  private upgradeHandlers: Array<UpgradeHandler> = []

  constructor() {
    super({ requestTimeout: 60_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 })
    this.maxHeadersCount = 100
  }

  addUpgradeHandler(handler: UpgradeHandler): () => void {
    this.upgradeHandlers.push(handler)
    return () => {
      this.upgradeHandlers = this.upgradeHandlers.filter((h) => h !== handler)
    }
  }

  override emit(event: string, ...args: Array<any>): boolean {
    if (event === "upgrade") {
      const [req, socket, head] = args as [IncomingMessage, Duplex, Buffer]
      for (const h of this.upgradeHandlers) if (h(req, socket, head)) return true
    }
    return super.emit(event, ...args)
  }
}
