import type { RemoteCaret } from "../components/RemoteCarets.js"
import type { TaskViewer } from "./usePresence.js"

/** Others' carets in the open task's description, where they are in this copy of the text. */
export const caretsIn = (viewers: ReadonlyArray<TaskViewer> | undefined): ReadonlyArray<RemoteCaret> =>
  (viewers ?? []).flatMap((v) =>
    v.typing && v.caretOffset !== undefined
      ? [{ key: v.key, name: v.member.name, color: v.member.color, offset: v.caretOffset }]
      : [],
  )
