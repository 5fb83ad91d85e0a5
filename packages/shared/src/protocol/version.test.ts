import { createHash } from "node:crypto"
import * as OpenApi from "@effect/platform/OpenApi"
import { JSONSchema } from "effect"
import { describe, expect, it } from "vitest"
import { VibeStackApi } from "../api/Api.js"
import { DownBinaryHeader, DownText } from "./down.js"
import { UpBinaryHeader, UpText } from "./up.js"
import { PROTOCOL_VERSION } from "./version.js"

/**
 * The wire contract's fingerprint. If this test fails you changed a message or a route:
 * bump PROTOCOL_VERSION (with a line in its history) and pin the new hash here, in the same commit.
 */
const PINNED = { version: 4, hash: "7437e9ba7b702134" }

const fingerprint = () =>
  createHash("sha256")
    .update(
      JSON.stringify({
        up: JSONSchema.make(UpText),
        upBinary: JSONSchema.make(UpBinaryHeader),
        down: JSONSchema.make(DownText),
        downBinary: JSONSchema.make(DownBinaryHeader),
        http: OpenApi.fromApi(VibeStackApi),
      }),
    )
    .digest("hex")
    .slice(0, 16)

describe("protocol version", () => {
  it("pins a hash of the wire schemas to the protocol version", () => {
    expect({ version: PROTOCOL_VERSION, hash: fingerprint() }).toEqual(PINNED)
  })
})
