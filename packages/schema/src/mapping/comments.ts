import type { LoroDoc } from "loro-crdt"
import { Comment } from "../Comment.js"
import { type CommentId, newId } from "../ids.js"
import { createEntityMap, entityMap, setFields } from "./entityMap.js"
import { InvalidWrite, validateWrite } from "./InvalidWrite.js"
import { collectionMap } from "./layout.js"
import { nowOf, type WriteOptions } from "./WriteOptions.js"

export interface NewComment {
  readonly id?: string
  readonly taskId: string
  readonly authorId: string
  readonly body: string
}

/** Adds a comment to an existing task (the author is checked for format only: members sync too). */
export const addComment = (doc: LoroDoc, input: NewComment, options?: WriteOptions): Comment => {
  const id = input.id ?? newId<CommentId>()
  const comment = validateWrite(Comment, "comments", id, {
    id,
    taskId: input.taskId,
    authorId: input.authorId,
    body: input.body,
    createdAt: nowOf(options),
  })
  if (collectionMap(doc, "tasks").get(comment.taskId) === undefined) {
    throw new InvalidWrite({ collection: "comments", id, message: `task ${comment.taskId} does not exist` })
  }
  const map = createEntityMap(doc, "comments", id)
  setFields(map, {
    taskId: comment.taskId,
    authorId: comment.authorId,
    body: comment.body,
    createdAt: comment.createdAt,
  })
  return comment
}

export const deleteComment = (doc: LoroDoc, id: string): void => {
  entityMap(doc, "comments", id)
  collectionMap(doc, "comments").delete(id)
}
