import { newId } from "@vibestack/schema"

const KEY = "vibestack-author-id"

/** A stable per-device author id for comments (there are no user accounts, only tokens). */
export const deviceAuthorId = (): string => {
  let id = localStorage.getItem(KEY)
  if (id === null) localStorage.setItem(KEY, (id = newId<string>()))
  return id
}
