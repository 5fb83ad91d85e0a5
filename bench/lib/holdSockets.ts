/** Child of bench/live-memory.ts: opens N authenticated, subscribed sockets, holds them, closes on request. */
import { subscribed } from "@vibestack/server/src/test/liveClient.js"

const [url, ws, token, n] = process.argv.slice(2) as [string, string, string, string]
const socks: Array<Awaited<ReturnType<typeof subscribed>>> = []
for (let i = 0; i < Number(n); i++) socks.push(await subscribed(url, ws, token))
process.send!("ready")
process.on("message", () => {
  for (const s of socks) s.socket.close()
  setTimeout(() => process.exit(0), 500)
})
