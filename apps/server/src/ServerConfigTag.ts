import { Context } from "effect"
import type { ServerConfig } from "./Config.js"

export class ServerConfigTag extends Context.Tag("ServerConfig")<ServerConfigTag, ServerConfig>() {}
