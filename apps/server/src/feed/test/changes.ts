import type { PendingChange } from "../ChangeWriter.js"

/** An insert of row `id` as the WAL consumer would hand it to the writer. */
export const insertOf = (tbl: string, ws: string, id: string): PendingChange => ({
  tbl,
  ws,
  id,
  op: "i",
  value: JSON.stringify({ id }),
  old: null,
})
