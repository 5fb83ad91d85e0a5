import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react"

export interface NoticeInput {
  readonly text: string
  readonly tone?: "info" | "error"
  /** One action, e.g. "Undo"; the notice closes when it runs. */
  readonly action?: { readonly label: string; readonly run: () => void }
  /** How long it stays (ms). */
  readonly timeoutMs?: number
}

interface Notice extends NoticeInput {
  readonly id: number
}

const NoticesContext = createContext<(n: NoticeInput) => void>(() => undefined)

/** Shows a short message at the bottom of the board (errors of actions, "Deleted … Undo"). */
export const useNotify = (): ((n: NoticeInput) => void) => useContext(NoticesContext)

const NoticeItem = ({ notice, close }: { readonly notice: Notice; readonly close: (id: number) => void }) => {
  useEffect(() => {
    const t = setTimeout(() => close(notice.id), notice.timeoutMs ?? (notice.tone === "error" ? 12_000 : 8_000))
    return () => clearTimeout(t)
  }, [notice, close])
  return (
    <li
      className={notice.tone === "error" ? "notice error" : "notice"}
      role={notice.tone === "error" ? "alert" : "status"}
    >
      <span>{notice.text}</span>
      {notice.action !== undefined && (
        <button
          type="button"
          onClick={() => {
            close(notice.id)
            notice.action?.run()
          }}
        >
          {notice.action.label}
        </button>
      )}
      <button type="button" aria-label="Dismiss" onClick={() => close(notice.id)}>
        ✕
      </button>
    </li>
  )
}

export const NoticesProvider = ({ children }: { readonly children: ReactNode }) => {
  const [notices, setNotices] = useState<ReadonlyArray<Notice>>([])
  const next = useRef(0)
  const close = useCallback((id: number) => setNotices((l) => l.filter((n) => n.id !== id)), [])
  // The last few only: a burst of errors must not cover the board.
  const notify = useCallback((n: NoticeInput) => setNotices((l) => [...l.slice(-2), { ...n, id: next.current++ }]), [])
  const list = useMemo(
    () => (
      <section className="notices" aria-label="Notifications">
        <ul>
          {notices.map((n) => (
            <NoticeItem key={n.id} notice={n} close={close} />
          ))}
        </ul>
      </section>
    ),
    [notices, close],
  )
  return (
    <NoticesContext.Provider value={notify}>
      {children}
      {list}
    </NoticesContext.Provider>
  )
}
