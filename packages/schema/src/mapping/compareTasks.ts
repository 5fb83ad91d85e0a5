const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Task order within a project: `sortKey`, ties (concurrent inserts) broken by id. Its own
 * module, free of Loro: the web page sorts tasks without loading the CRDT.
 */
export const compareTasks = (a: TaskOrder, b: TaskOrder): number => cmp(a.sortKey, b.sortKey) || cmp(a.id, b.id)

/** What the order reads of a task (an index may keep only these). */
export interface TaskOrder {
  readonly sortKey: string
  readonly id: string
}
