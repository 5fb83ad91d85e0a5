import { Schema } from "effect"
import { EpochMillis } from "./common.js"
import { CommentId, MemberId, TaskId } from "./ids.js"

export const COMMENT_BODY_MAX = 10_000

export const Comment = Schema.Struct({
  id: CommentId,
  taskId: TaskId,
  authorId: MemberId,
  body: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(COMMENT_BODY_MAX)),
  createdAt: EpochMillis,
})
export type Comment = typeof Comment.Type
