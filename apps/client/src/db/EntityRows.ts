import type { Collection, EntityOf } from "@vibestack/schema"
import { Dexie, type Table } from "dexie"

/**
 * One row per entity of a workspace, kept in step with the document by the tab's document
 * worker, so a board can be drawn from IndexedDB before (and without) importing the LoroDoc,
 * and a project's tasks can be read a window at a time (`[ws+c+g+k]`: collection, group, sort).
 *
 * `EntityMarkRow.frontiers` is the version the rows reflect at least: every row equals its
 * entity at that version or a later one. A worker that opens the document re-reads only the
 * entities changed since (`changedEntitiesBetween(mark, now)`). Rows and mark are written in
 * one transaction. A cache, never data: the document decides.
 */
export interface EntityRow {
  readonly ws: string
  readonly c: Collection
  readonly id: string
  /** Group: the task's project, the comment's task, "" for projects and members. */
  readonly g: string
  /** Sort key inside the group (tasks: board order; comments and projects: creation time). */
  readonly k: string | number
  readonly e: EntityOf[Collection]
}

export interface EntityMarkRow {
  readonly ws: string
  readonly frontiers: ReadonlyArray<{ readonly peer: `${number}`; readonly counter: number }>
}

export type EntityChange =
  | { readonly _tag: "Put"; readonly c: Collection; readonly entity: EntityOf[Collection] }
  | { readonly _tag: "Delete"; readonly c: Collection; readonly id: string }

const groupOf = (c: Collection, e: EntityOf[Collection]): string =>
  c === "tasks" ? (e as EntityOf["tasks"]).projectId : c === "comments" ? (e as EntityOf["comments"]).taskId : ""

const sortOf = (c: Collection, e: EntityOf[Collection]): string | number => {
  if (c === "tasks") {
    const t = e as EntityOf["tasks"]
    return `${t.sortKey}\u0000${t.id}`
  }
  if (c === "members") return (e as EntityOf["members"]).name
  return (e as EntityOf["projects" | "comments"]).createdAt
}

export class EntityRows {
  constructor(
    private readonly rows: Table<EntityRow, [string, string, string]>,
    private readonly marks: Table<EntityMarkRow, string>,
  ) {}

  readonly mark = (ws: string): Promise<EntityMarkRow["frontiers"] | undefined> =>
    this.marks.get(ws).then((m) => m?.frontiers)

  /**
   * Applies changes and sets the mark, atomically: to `frontiers`, none (`undefined`: the rows
   * reflect no one version yet), or as it was (`"keep"`: a part of a longer update).
   * `replace` drops every row first (a full refill).
   */
  readonly write = (
    ws: string,
    changes: ReadonlyArray<EntityChange>,
    frontiers: EntityMarkRow["frontiers"] | undefined | "keep",
    replace = false,
  ): Promise<void> =>
    this.rows.db.transaction("rw", [this.rows, this.marks], async () => {
      if (replace) await this.rows.where("[ws+c+id]").between([ws, Dexie.minKey], [ws, Dexie.maxKey]).delete()
      const puts: Array<EntityRow> = []
      const dels: Array<[string, string, string]> = []
      for (const ch of changes)
        if (ch._tag === "Put")
          puts.push({
            ws,
            c: ch.c,
            id: ch.entity.id,
            g: groupOf(ch.c, ch.entity),
            k: sortOf(ch.c, ch.entity),
            e: ch.entity,
          })
        else dels.push([ws, ch.c, ch.id])
      if (dels.length > 0) await this.rows.bulkDelete(dels)
      if (puts.length > 0) await this.rows.bulkPut(puts)
      if (frontiers === undefined) await this.marks.delete(ws)
      else if (frontiers !== "keep") await this.marks.put({ ws, frontiers: [...frontiers] })
    })

  /** Forgets the rows' version (the stored document was rewritten): the next open refills. */
  readonly invalidate = (ws: string): Promise<void> => this.marks.delete(ws)

  private group(ws: string, c: Collection, g: string) {
    return this.rows.where("[ws+c+g+k]").between([ws, c, g, Dexie.minKey], [ws, c, g, Dexie.maxKey])
  }

  /** A group's entities in order, `offset`/`limit` for a window of a long list. */
  readonly list = async <C extends Collection>(
    ws: string,
    c: C,
    g = "",
    offset = 0,
    limit?: number,
  ): Promise<Array<EntityOf[C]>> => {
    const rows = this.group(ws, c, g).offset(offset)
    return (await (limit === undefined ? rows : rows.limit(limit)).toArray()).map((r) => r.e as EntityOf[C])
  }

  /** Counted by the index, without reading a row. */
  readonly count = (ws: string, c: Collection, g = ""): Promise<number> => this.group(ws, c, g).count()

  readonly get = async <C extends Collection>(ws: string, c: C, id: string): Promise<EntityOf[C] | undefined> =>
    (await this.rows.get([ws, c, id]))?.e as EntityOf[C] | undefined
}
