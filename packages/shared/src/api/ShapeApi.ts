import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { BadRequest, Unavailable } from "./ApiErrors.js"

/**
 * The relational change feed in ElectricSQL's HTTP shape protocol (docs/FEED.md). The
 * server answers it raw (long-polls, `electric-*` headers, bodies built as text); this
 * declaration is what the OpenAPI document and typed clients see. Api.ts adds the bearer
 * `Authentication` where it mounts the group (this file cannot import Api.ts).
 */
const text = (description: string) => Schema.String.annotations({ description })
const optionalText = (description: string) => Schema.optional(text(description))

export const ShapeUrlParams = Schema.Struct({
  table: text("projects, tasks, comments or members; rows of the token's workspace only"),
  offset: text("-1 (initial sync), now, or an electric-offset from an earlier response"),
  handle: optionalText("the electric-handle of the sync session (required with an offset other than -1 and now)"),
  live: optionalText("true: long-poll until the shape changes (after up-to-date)"),
  where: optionalText(
    "a SQL condition over the table's columns in the grammar of docs/FEED.md; positional $1, $2… take params[1], params[2]…",
  ),
  params: optionalText('the where\'s parameters as JSON ({"1":"a"} or ["a"]); or give params[1]=a&params[2]=b'),
  columns: optionalText("comma-separated columns to sync (must include workspace_id and id); default all"),
  replica: optionalText("default only: updates carry the key and the changed columns"),
  cursor: optionalText("the electric-cursor of the previous live response (ignored)"),
})

const ChangeMessage = Schema.Struct({
  headers: Schema.Struct({
    operation: Schema.Literal("insert", "update", "delete"),
    lsn: Schema.optional(Schema.String),
    op_position: Schema.optional(Schema.Number),
  }),
  key: Schema.String,
  value: Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) }),
})
const ControlMessage = Schema.Struct({
  headers: Schema.Struct({ control: Schema.Literal("up-to-date", "must-refetch") }),
})
export const ShapeLog = Schema.Array(Schema.Union(ChangeMessage, ControlMessage))
export const ShapeMustRefetch = Schema.Tuple(
  Schema.Struct({ headers: Schema.Struct({ control: Schema.Literal("must-refetch") }) }),
).annotations({ description: "the handle is stale or not this caller's: drop the rows, start again at offset -1" })

export class ShapeGroup extends HttpApiGroup.make("shape")
  .add(
    HttpApiEndpoint.get("shape", "/shape")
      .setUrlParams(ShapeUrlParams)
      .addSuccess(ShapeLog)
      .addError(ShapeMustRefetch, { status: 409 })
      .addError(BadRequest)
      .addError(Unavailable)
      .annotate(
        OpenApi.Description,
        "A page of the shape's log. Headers: electric-handle, electric-offset (the next request's offset), electric-schema (column types), electric-cursor, electric-up-to-date (present when nothing is missing). Handles are bound to the workspace, role and shape that created them.",
      ),
  )
  .annotate(OpenApi.Title, "Change feed (Electric shape protocol)") {}
