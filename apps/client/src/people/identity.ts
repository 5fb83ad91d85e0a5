import { newId } from "@vibestack/schema"

/**
 * Who this device is in a workspace: a person of the workspace (a member id) and the name
 * they go by. Kept per workspace in localStorage: there are no accounts, only share links;
 * a link can carry the name the master chose (`#token=…&name=…`), and anyone can change it.
 */
export interface Identity {
  readonly memberId: string
  readonly name: string
  /** The master made this person when minting the link: it reaches this device by sync, never created here. */
  readonly fromLink?: true
  /** The person has been in the document: if it is gone now, someone removed it (never re-added). */
  readonly seen?: true
}

const key = (ws: string) => `vibestack-identity:${ws}`

export const readIdentity = (ws: string): Identity | undefined => {
  try {
    const raw = localStorage.getItem(key(ws))
    if (raw === null) return undefined
    const v = JSON.parse(raw) as Partial<Identity>
    return typeof v.memberId === "string" && typeof v.name === "string"
      ? { memberId: v.memberId, name: v.name }
      : undefined
  } catch {
    return undefined
  }
}

/** Sets the name, keeping the member id this device already has here (or the one a link names). */
export const writeIdentity = (
  ws: string,
  name: string,
  memberId?: string,
  flags: { readonly fromLink?: boolean; readonly seen?: boolean } = {},
): Identity => {
  const before = readIdentity(ws)
  const id = memberId ?? before?.memberId ?? newId<string>()
  const same = before?.memberId === id
  const fromLink = flags.fromLink === true || (same && before?.fromLink === true)
  const seen = flags.seen === true || (same && before?.seen === true)
  const identity: Identity = {
    memberId: id,
    name,
    ...(fromLink ? { fromLink: true as const } : {}),
    ...(seen ? { seen: true as const } : {}),
  }
  localStorage.setItem(key(ws), JSON.stringify(identity))
  dispatchEvent(new Event("vibestack-identity"))
  return identity
}
