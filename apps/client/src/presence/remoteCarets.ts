import type { RemoteCaret } from "../components/RemoteCarets.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { caretOffset } from "./caret.js"
import type { TaskViewer } from "./usePresence.js"

/** Others' carets in the open task's description, where they are in this copy of the text. */
export const caretsIn = (
  s: WorkspaceSession,
  viewers: ReadonlyArray<TaskViewer> | undefined,
): ReadonlyArray<RemoteCaret> =>
  (viewers ?? []).flatMap((v) => {
    const offset = v.typing && v.caret !== undefined ? caretOffset(s.doc, v.caret) : undefined
    return offset === undefined ? [] : [{ key: v.key, name: v.member.name, color: v.member.color, offset }]
  })
