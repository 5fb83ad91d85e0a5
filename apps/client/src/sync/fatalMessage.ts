import { type FatalError, normalizeFatal } from "@vibestack/shared"

/**
 * What a stopped sync looks like to a person (SPEC C6). The engine records why on the
 * workspace meta as `{ kind, message }` in the server's words ("token revoked", "token
 * expired", …); each cause gets its own sentence. Refused changes never get here: they are
 * set aside and sync goes on (C14). Takes the old `"Kind: message"` string too.
 */
export const describeFatal = (fatal: FatalError | string): string => {
  const { kind, message } = normalizeFatal(fatal) ?? { kind: "Internal", message: "" }
  const said = message.toLowerCase()
  switch (kind) {
    case "Unauthorized":
      if (said.includes("revoked"))
        return "The link you joined with was revoked. Ask the workspace's owner for a new link; your copy stays on this device, read-only."
      if (said.includes("expired"))
        return "The link you joined with has expired. Ask the workspace's owner for a new link; your copy stays on this device, read-only."
      return "The server no longer accepts the link you joined with. Ask the workspace's owner for a new link; your copy stays on this device, read-only."
    case "Forbidden":
      return "Your link does not give access to this workspace. Ask its owner for a new link; your copy stays on this device, read-only."
    case "NotFound":
      return "This workspace no longer exists on the server. Your copy stays on this device, read-only."
    case "ClientTooOld":
      return "This app is too old for the server. Reload to update; your changes stay on this device."
    default:
      return "Sync stopped because of an error on this device. Reload to try again; your changes stay on this device."
  }
}
