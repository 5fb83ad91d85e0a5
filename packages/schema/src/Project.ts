import { Schema } from "effect"
import { Color, EpochMillis, Name } from "./common.js"
import { ProjectId } from "./ids.js"

export const PROJECT_NAME_MAX = 200

export const Project = Schema.Struct({
  id: ProjectId,
  name: Name(PROJECT_NAME_MAX),
  color: Color,
  createdAt: EpochMillis,
  archived: Schema.Boolean,
})
export type Project = typeof Project.Type
