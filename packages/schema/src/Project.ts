import { Schema } from "effect"
import { Color, EpochMillis, Name } from "./common.js"
import { ProjectId } from "./ids.js"

export const Project = Schema.Struct({
  id: ProjectId,
  name: Name(200),
  color: Color,
  createdAt: EpochMillis,
  archived: Schema.Boolean,
})
export type Project = typeof Project.Type
