import { useNavigate, useParams } from "@tanstack/react-router"
import { MEMBER_NAME_MAX, Role, WorkspaceId } from "@vibestack/schema"
import { decodeSafely } from "@vibestack/shared"
import { Either, Schema } from "effect"
import { useEffect, useState } from "react"
import { writeIdentity } from "../people/identity.js"
import { tabSync } from "../sync/runtime.js"
import { makeTransport } from "../sync/transport.js"
import { startDocWorkerEarly } from "../sync/WorkspaceSession.js"

const Claims = Schema.Struct({ role: Role })
const decodeClaims = decodeSafely(Schema.parseJson(Claims))

/** The role claim of a share token, for the UI only (the server enforces it). */
const roleOf = (token: string): Role | undefined => {
  const payload = token.split(".")[1]
  if (payload === undefined) return undefined
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"))
    const r = decodeClaims(json)
    return Either.isRight(r) ? r.right.role : undefined
  } catch {
    return undefined
  }
}

/**
 * The workspace's name, if the server answers soon; joining works offline too (name later).
 * Asked through the sync transport (the contract's answer schema), not `callServer`: building
 * the contract's whole client took ~100 ms of the page's main thread in the middle of a new
 * device's first open.
 */
const nameFromServer = async (ws: WorkspaceId, token: string): Promise<string | undefined> => {
  try {
    return (await makeTransport(location.origin, { requestTimeoutMs: 3_000 }).info(token, ws)).name
  } catch {
    return undefined
  }
}

/**
 * `/join/WS#token=…`: the token arrives in the fragment so it never reaches a server log.
 * It is stored in IndexedDB and wiped from the address bar before anything else happens.
 */
export const JoinPage = () => {
  const { workspaceId } = useParams({ from: "/join/$workspaceId" })
  const navigate = useNavigate()
  const [error, setError] = useState<string | undefined>(undefined)

  useEffect(() => {
    const fragment = new URLSearchParams(location.hash.slice(1))
    const token = fragment.get("token")
    // A link for a named person: this device is that person here (the name can be changed later).
    const name = fragment.get("name")?.trim().slice(0, MEMBER_NAME_MAX)
    const person = fragment.get("person") ?? undefined
    history.replaceState(history.state, "", location.pathname)
    const ws = decodeSafely(WorkspaceId)(workspaceId)
    if (token === null || token === "" || Either.isLeft(ws)) {
      setError("This share link is incomplete: ask for a new one.")
      return
    }
    startDocWorkerEarly()
    void (async () => {
      const store = tabSync().store
      const existing = await store.getWorkspace(ws.right)
      const placeholder = existing?.name ?? "Shared workspace"
      await store.putWorkspace({
        workspaceId: ws.right,
        name: placeholder,
        serverUrl: location.origin,
        token,
        role: roleOf(token) ?? "viewer",
        createdAt: existing?.createdAt ?? Date.now(),
      })
      if (name !== undefined && name !== "") writeIdentity(ws.right, name, person, { fromLink: person !== undefined })
      // The sync leader starts on the workspace (a new device's first download), and the board
      // opens at once: the name is asked for behind it (the board waiting for it held a new
      // device's first rows back by 20-130 ms, up to the request's timeout on a slow network).
      tabSync().workspacesChanged()
      void nameFromServer(ws.right, token).then(async (named) => {
        if (named === undefined || named === placeholder) return
        await store.nameWorkspace(ws.right, named)
        tabSync().workspacesChanged()
      })
      await navigate({ to: "/w/$workspaceId", params: { workspaceId: ws.right }, replace: true })
    })()
  }, [workspaceId, navigate])

  return (
    <main className="page">
      <p role="status">{error ?? "Joining…"}</p>
    </main>
  )
}
