/**
 * The engine records why sync stopped for good as `"<ErrorKind>: <server message>"` on the
 * workspace meta; this turns it into what a person should read.
 */
export const fatalText = (error: { readonly kind: string; readonly message: string }): string =>
  `${error.kind}: ${error.message}`

export const describeFatal = (fatal: string): string => {
  const kind = fatal.slice(0, Math.max(0, fatal.indexOf(":")))
  switch (kind) {
    case "Unauthorized":
    case "Forbidden":
      return "Access to this workspace was revoked or has expired. Ask its owner for a new link; your copy stays on this device, read-only."
    case "ClientTooOld":
      return "This app is too old for the server. Reload to update; your changes stay on this device."
    default:
      return `Sync stopped: ${fatal}`
  }
}
