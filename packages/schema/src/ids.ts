import { Schema } from "effect"

/** Ids are opaque strings: URL-safe, 1..64 chars, so they can sit in paths and SQL keys unescaped. */
const IdString = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/))

export const WorkspaceId = IdString.pipe(Schema.brand("WorkspaceId"))
export type WorkspaceId = typeof WorkspaceId.Type

export const DocId = IdString.pipe(Schema.brand("DocId"))
export type DocId = typeof DocId.Type

export const TokenId = IdString.pipe(Schema.brand("TokenId"))
export type TokenId = typeof TokenId.Type

/** The main document of a workspace: the app keeps everything in it; the protocol allows more. */
export const MAIN_DOC = "main" as DocId

export const Role = Schema.Literal("master", "editor", "viewer")
export type Role = typeof Role.Type

export const AccessRole = Schema.Literal("editor", "viewer")
export type AccessRole = typeof AccessRole.Type

export const canWrite = (role: Role): boolean => role !== "viewer"

/** Domain entity ids: the same opaque id format, branded per entity so they cannot be mixed up. */
export const ProjectId = IdString.pipe(Schema.brand("ProjectId"))
export type ProjectId = typeof ProjectId.Type

export const TaskId = IdString.pipe(Schema.brand("TaskId"))
export type TaskId = typeof TaskId.Type

export const CommentId = IdString.pipe(Schema.brand("CommentId"))
export type CommentId = typeof CommentId.Type

export const MemberId = IdString.pipe(Schema.brand("MemberId"))
export type MemberId = typeof MemberId.Type

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/**
 * A fresh random id (21 base-62 chars, ~125 bits) from Web Crypto, which browsers, workers and
 * Node 20 all provide. Random ids are what make entity creation conflict-free across devices.
 */
export const newId = <A extends string>(): A => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(21))
  let out = ""
  // 248 = 4 * 62 keeps b % 62 uniform; the remaining 8 byte values fold back with a negligible bias.
  for (const b of bytes) out += ID_ALPHABET[b % 62]
  return out as A
}
