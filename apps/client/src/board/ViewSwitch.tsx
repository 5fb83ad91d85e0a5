import { useState } from "react"

export type BoardViewKind = "list" | "board"

const KEY = "vibestack-view"

/** List or board, remembered on this device (the list stays the default: it shows every field at once). */
export const useViewKind = (): [BoardViewKind, (v: BoardViewKind) => void] => {
  const [view, setView] = useState<BoardViewKind>(() => (localStorage.getItem(KEY) === "board" ? "board" : "list"))
  return [
    view,
    (v) => {
      localStorage.setItem(KEY, v)
      setView(v)
    },
  ]
}

export const ViewSwitch = (p: { readonly view: BoardViewKind; readonly onChange: (v: BoardViewKind) => void }) => (
  <fieldset className="view-switch">
    <legend className="sr-only">View</legend>
    {(["list", "board"] as const).map((v) => (
      <button key={v} type="button" aria-pressed={p.view === v} onClick={() => p.onChange(v)}>
        {v === "list" ? "List" : "Board"}
      </button>
    ))}
  </fieldset>
)
