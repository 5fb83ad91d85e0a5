import type { Task } from "../Task.js"

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Task order within a project: `sortKey`, ties (concurrent inserts) broken by id. Its own
 * module, free of Loro: the web page sorts tasks without loading the CRDT.
 */
export const compareTasks = (a: Task, b: Task): number => cmp(a.sortKey, b.sortKey) || cmp(a.id, b.id)
