import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { ServerConfig } from "../Config.js"

/** The HS256 signing secret: from config, or generated once into the data folder (mode 0600). */
export class JwtSecret extends Context.Tag("JwtSecret")<JwtSecret, Redacted.Redacted<string>>() {
  static readonly layer = (config: ServerConfig) =>
    Layer.effect(
      JwtSecret,
      Option.match(config.jwtSecret, {
        onSome: (s) => Effect.succeed(s as Redacted.Redacted<string>),
        onNone: () =>
          Effect.sync(() => {
            const file = join(config.dataDir, "jwt-secret")
            if (!existsSync(file)) {
              mkdirSync(config.dataDir, { recursive: true })
              writeFileSync(file, randomBytes(48).toString("base64url"), { mode: 0o600, flag: "wx" })
            }
            return Redacted.make(readFileSync(file, "utf8").trim())
          }),
      }),
    )
}
