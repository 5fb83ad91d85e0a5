import { Either, ParseResult, Schema } from "effect"
import { Comment } from "../Comment.js"
import { CommentId, MemberId, ProjectId, TaskId } from "../ids.js"
import { Member } from "../Member.js"
import { Project } from "../Project.js"
import { StoredTask } from "./decode.js"
import { type Collection, SCHEMA_VERSION_KEY, TaskKeys } from "./layout.js"

/**
 * What a stored value may be, key by key, for the server's check of incoming ops
 * (`validateOps`). Known keys reuse the entity Schemas (so limits live in one place);
 * keys the Schemas do not know stay open to newer clients, with bounded scalar values.
 */

/** Longest string a key unknown to this version may hold. */
export const EXTRA_STRING_MAX = 10_000

/** Names of keys unknown to this version: what a newer client could reasonably add. */
export const ExtraKey = Schema.String.pipe(Schema.pattern(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/))

/** A value under an unknown key: a JSON scalar, finite, bounded. */
export const ExtraValue = Schema.Union(
  Schema.Null,
  Schema.Boolean,
  Schema.Number.pipe(Schema.finite()),
  Schema.String.pipe(Schema.maxLength(EXTRA_STRING_MAX)),
)

/** The most telling line of a decode error, kept short (it quotes the offending value). */
const format = (e: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(e).map((i) => i.message)
  const telling = issues.filter((m) => !/^Expected (undefined|null), /.test(m))
  const message = telling[0] ?? issues[0] ?? "invalid value"
  return message.length > 160 ? `${message.slice(0, 160)}…` : message
}

interface StoredFields {
  readonly keys: ReadonlySet<string>
  /** Why `{ [key]: value }` is not a valid part of the entity, or undefined. */
  readonly problem: (partial: Record<string, unknown>) => string | undefined
}

/**
 * The stored keys of an entity Schema (its `id` is the map key, a task's `description` a
 * child text) and a check of one of them, through the Schema made partial.
 */
const storedFieldsOf = <A, I>(fields: Record<string, unknown>, entity: Schema.Schema<A, I>): StoredFields => {
  const decode = Schema.decodeUnknownEither(Schema.partial(entity))
  return {
    keys: new Set(Object.keys(fields).filter((k) => k !== "id" && k !== TaskKeys.description)),
    problem: (partial) => {
      const r = decode(partial)
      return Either.isLeft(r) ? format(r.left) : undefined
    },
  }
}

const storedFields: Record<Collection, StoredFields> = {
  projects: storedFieldsOf(Project.fields, Project.omit("id")),
  tasks: storedFieldsOf(StoredTask.fields, StoredTask),
  comments: storedFieldsOf(Comment.fields, Comment.omit("id")),
  members: storedFieldsOf(Member.fields, Member.omit("id")),
}

const isEntityId: Record<Collection, (u: unknown) => boolean> = {
  projects: Schema.is(ProjectId),
  tasks: Schema.is(TaskId),
  comments: Schema.is(CommentId),
  members: Schema.is(MemberId),
}

/** Why `id` cannot be an entity key of `collection`, or undefined when it can. */
export const entityIdProblem = (collection: Collection, id: string): string | undefined =>
  id === "__proto__" ? "reserved id" : isEntityId[collection](id) ? undefined : "invalid id"

const isExtraKey: (key: string) => boolean = Schema.is(ExtraKey)
const isExtraValue = Schema.is(ExtraValue)

/** Why `value` cannot be stored at `key` of an entity of `collection`, or undefined. */
export const fieldProblem = (collection: Collection, key: string, value: unknown): string | undefined => {
  const rules = storedFields[collection]
  return rules.keys.has(key) ? rules.problem({ [key]: value }) : extraProblem(key, value)
}

const decodeSchemaVersion = Schema.decodeUnknownEither(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)))

/** Why `value` cannot be stored at `key` of the root `meta` map, or undefined. */
export const metaProblem = (key: string, value: unknown): string | undefined => {
  if (key !== SCHEMA_VERSION_KEY) return extraProblem(key, value)
  const r = decodeSchemaVersion(value)
  return Either.isLeft(r) ? format(r.left) : undefined
}

const extraProblem = (key: string, value: unknown): string | undefined => {
  if (!isExtraKey(key)) return `unknown key ${JSON.stringify(key.slice(0, 80))} is not a plain name`
  return isExtraValue(value)
    ? undefined
    : `unknown key ${key} holds something other than null, a boolean, a finite number or a string of at most ${EXTRA_STRING_MAX} characters`
}
