import { useState } from "react"

/**
 * A field's own value, which takes a new saved value (another device's edit, an undo) in the
 * render that brings it; `onReplaced` runs then too. Not in an effect: an effect ran for every row
 * a board mounts, and after a render in a transition (the worker's changes) React runs effects
 * later, where one that ran after the next keystroke put the older text back and lost that
 * keystroke (typed "Hello", saved "Helo").
 */
export const useFieldValue = (saved: string, onReplaced?: () => void): readonly [string, (value: string) => void] => {
  const [value, setValue] = useState(saved)
  const [shownSaved, setShownSaved] = useState(saved)
  if (shownSaved !== saved) {
    setShownSaved(saved)
    setValue(saved)
    onReplaced?.()
  }
  return [value, setValue]
}
