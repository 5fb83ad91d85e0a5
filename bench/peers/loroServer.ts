/** Child process: loro-websocket's SimpleServer with its README defaults (in memory). Args: port. */
import { SimpleServer } from "loro-websocket/server"

const server = new SimpleServer({ port: Number(process.argv[2]), host: "127.0.0.1" })
await server.start()
