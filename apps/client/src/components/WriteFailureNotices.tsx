import { useEffect } from "react"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { useNotify } from "./Notices.js"

/** Writes the document worker refused (after the page had shown them) become error notices. */
export const WriteFailureNotices = ({ session }: { readonly session: WorkspaceSession }) => {
  const notify = useNotify()
  useEffect(() => session.onWriteFailed((text) => notify({ tone: "error", text })), [session, notify])
  return null
}
