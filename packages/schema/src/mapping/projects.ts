import type { LoroDoc } from "loro-crdt"
import { newId, type ProjectId } from "../ids.js"
import { Project } from "../Project.js"
import { deleteComment } from "./comments.js"
import { createEntityMap, currentEntity, entityMap, setFields, writeFields } from "./entityMap.js"
import { validateWrite } from "./InvalidWrite.js"
import { collectionMap } from "./layout.js"
import { nowOf, type WriteOptions } from "./WriteOptions.js"

export interface NewProject {
  readonly id?: string
  readonly name: string
  readonly color: string
  readonly archived?: boolean
}

export interface ProjectPatch {
  readonly name?: string
  readonly color?: string
  readonly archived?: boolean
}

/** Helpers never commit: the caller commits once per user action. */
export const createProject = (doc: LoroDoc, input: NewProject, options?: WriteOptions): Project => {
  const id = input.id ?? newId<ProjectId>()
  const project = validateWrite(Project, "projects", id, {
    id,
    name: input.name,
    color: input.color,
    archived: input.archived ?? false,
    createdAt: nowOf(options),
  })
  const map = createEntityMap(doc, "projects", id)
  setFields(map, {
    name: project.name,
    color: project.color,
    archived: project.archived,
    createdAt: project.createdAt,
  })
  return project
}

export const updateProject = (doc: LoroDoc, id: string, patch: ProjectPatch): Project => {
  const current = currentEntity(doc, "projects", id)
  const next = validateWrite(Project, "projects", id, { ...current, ...patch, id, createdAt: current.createdAt })
  writeFields(entityMap(doc, "projects", id), { name: next.name, color: next.color, archived: next.archived })
  return next
}

/**
 * Deletes the project, its tasks and their comments (a scan of tasks and comments: rare
 * operation). Tasks or comments added concurrently on another device survive as orphans;
 * readers keep them, so nothing written offline is silently dropped.
 */
export const deleteProject = (doc: LoroDoc, id: string): void => {
  entityMap(doc, "projects", id)
  const tasks = collectionMap(doc, "tasks")
  const doomed = new Set<string>()
  for (const [taskId, value] of Object.entries(tasks.toJSON() as Record<string, unknown>)) {
    if ((value as { projectId?: unknown } | null)?.projectId === id) doomed.add(taskId)
  }
  const comments = collectionMap(doc, "comments")
  for (const [commentId, value] of Object.entries(comments.toJSON() as Record<string, unknown>)) {
    const taskId = (value as { taskId?: unknown } | null)?.taskId
    if (typeof taskId === "string" && doomed.has(taskId)) deleteComment(doc, commentId)
  }
  for (const taskId of doomed) tasks.delete(taskId)
  collectionMap(doc, "projects").delete(id)
}
