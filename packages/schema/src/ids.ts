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
