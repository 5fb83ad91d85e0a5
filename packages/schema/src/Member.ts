import { Schema } from "effect"
import { Color, Name } from "./common.js"
import { MemberId } from "./ids.js"

export const MEMBER_NAME_MAX = 100

/** A person in the workspace, as shown on tasks and comments (not an auth principal). */
export const Member = Schema.Struct({
  id: MemberId,
  name: Name(MEMBER_NAME_MAX),
  color: Color,
})
export type Member = typeof Member.Type
