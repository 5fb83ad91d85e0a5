import type { TokenId, WorkspaceId } from "@vibestack/schema"
import type { TokenListing } from "@vibestack/shared"
import { type FormEvent, useCallback, useEffect, useRef, useState } from "react"
import { callServer } from "../api/callServer.js"
import { describeRequestError } from "../ui/requestError.js"
import { checkText, RULES } from "../ui/textRules.js"
import { FieldHint } from "./FieldHint.js"
import { Fields } from "./Fields.js"

const EXPIRIES = [
  { label: "1 day", seconds: 86_400 },
  { label: "7 days", seconds: 7 * 86_400 },
  { label: "30 days", seconds: 30 * 86_400 },
]

/** The master mints, lists and revokes share links. Needs the server: it says so when offline. */
export const ShareDialog = (p: {
  readonly workspaceId: WorkspaceId
  readonly token: string
  /** Names a person in the workspace (a member) for the link to carry; undefined: the name was refused. */
  readonly namePerson: (name: string) => string | undefined
  readonly onClose: () => void
}) => {
  const path = { ws: p.workspaceId }
  const [tokens, setTokens] = useState<(typeof TokenListing.Type)["tokens"]>([])
  const [role, setRole] = useState<"editor" | "viewer">("editor")
  const [label, setLabel] = useState("")
  const [person, setPerson] = useState("")
  const [personError, setPersonError] = useState<string | undefined>(undefined)
  const [expires, setExpires] = useState(EXPIRIES[1]!.seconds)
  const [link, setLink] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [labelError, setLabelError] = useState<string | undefined>(undefined)
  const dialog = useRef<HTMLDialogElement>(null)

  const refresh = useCallback(async () => {
    try {
      setTokens((await callServer(p.token, (api) => api.tokens.list({ path: { ws: p.workspaceId } }))).tokens)
      setError(undefined)
    } catch (e) {
      setError(`Could not list the links. ${describeRequestError(e)}`)
    }
  }, [p.token, p.workspaceId])

  useEffect(() => {
    dialog.current?.showModal()
    void refresh()
  }, [refresh])

  const mint = async (e: FormEvent) => {
    e.preventDefault()
    const checked = checkText(RULES.linkLabel, label)
    if (!checked.ok) return setLabelError(checked.reason)
    const name = checkText(RULES.memberName, person)
    // Optional: an empty name is fine, a refused one is said under the field.
    if (!name.ok && person.trim() !== "") return setPersonError(name.reason)
    const personName = name.ok ? name.value : ""
    const label_ = checked.value !== "" ? checked.value : personName
    try {
      const payload = {
        role,
        expiresInSeconds: expires,
        ...(label_ !== "" ? { label: label_.slice(0, RULES.linkLabel.max) } : {}),
      }
      const r = await callServer(p.token, (api) => api.tokens.mint({ path, payload }))
      // The server's shareUrl carries the token in the fragment; rebuild it on this origin.
      // A named person: the link carries the member and the name, so the joiner is that person.
      const memberId = personName !== "" ? p.namePerson(personName) : undefined
      const who =
        memberId !== undefined ? `&person=${encodeURIComponent(memberId)}&name=${encodeURIComponent(personName)}` : ""
      setLink(`${location.origin}/join/${p.workspaceId}${new URL(r.shareUrl).hash}${who}`)
      setLabel("")
      setPerson("")
      await refresh()
    } catch (err) {
      setError(`Could not create a link. ${describeRequestError(err)}`)
    }
  }

  const revoke = async (tokenId: TokenId) => {
    try {
      await callServer(p.token, (api) => api.tokens.revoke({ path: { ...path, tokenId } }))
      await refresh()
    } catch (err) {
      setError(`Could not revoke the link. ${describeRequestError(err)}`)
    }
  }

  return (
    <dialog ref={dialog} className="share-dialog" aria-labelledby="share-title" onClose={p.onClose}>
      <h2 id="share-title">Share this workspace</h2>
      <form onSubmit={mint} className="share-form">
        <label htmlFor="share-role">Role</label>
        <select id="share-role" value={role} onChange={(e) => setRole(e.target.value as "editor" | "viewer")}>
          <option value="editor">Editor (can change)</option>
          <option value="viewer">Viewer (read only)</option>
        </select>
        <label htmlFor="share-person">For (person's name, optional)</label>
        <input
          id="share-person"
          value={person}
          aria-invalid={personError !== undefined}
          aria-describedby="share-person-hint"
          onChange={(e) => {
            setPerson(e.target.value)
            setPersonError(undefined)
          }}
          placeholder="e.g. Alice"
        />
        <FieldHint id="share-person-hint" rule={RULES.memberName} length={person.length} error={personError} />
        <label htmlFor="share-label">Label</label>
        <input
          id="share-label"
          value={label}
          aria-invalid={labelError !== undefined}
          aria-describedby="share-label-hint"
          onChange={(e) => {
            setLabel(e.target.value)
            setLabelError(undefined)
          }}
          placeholder="e.g. Alice's laptop"
        />
        <FieldHint id="share-label-hint" rule={RULES.linkLabel} length={label.length} error={labelError} />
        <label htmlFor="share-expiry">Expires in</label>
        <select id="share-expiry" value={expires} onChange={(e) => setExpires(Number(e.target.value))}>
          {EXPIRIES.map((x) => (
            <option key={x.seconds} value={x.seconds}>
              {x.label}
            </option>
          ))}
        </select>
        <button type="submit">Create link</button>
      </form>
      {link !== undefined && (
        <Fields>
          <p className="row">
            <input aria-label="Share link" readOnly value={link} onFocus={(e) => e.target.select()} />
            <button
              type="button"
              onClick={() =>
                void navigator.clipboard
                  .writeText(link)
                  .catch(() => setError("Could not copy: select the link and copy it by hand."))
              }
            >
              Copy
            </button>
          </p>
        </Fields>
      )}
      {error !== undefined && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <table>
        <caption>Links</caption>
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Role</th>
            <th scope="col">Expires</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.tokenId}>
              <td>{t.label}</td>
              <td>{t.role}</td>
              <td>{new Date(t.expiresAt).toLocaleString()}</td>
              <td>
                {t.revokedAt !== null ? (
                  "revoked"
                ) : t.role === "master" ? (
                  // Revoking the master token from here would lock this device out for good.
                  "owner"
                ) : (
                  <button type="button" onClick={() => void revoke(t.tokenId)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={() => dialog.current?.close()}>
        Close
      </button>
    </dialog>
  )
}
