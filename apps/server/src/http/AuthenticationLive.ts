import type { WorkspaceId } from "@vibestack/schema"
import { Authentication, apiError } from "@vibestack/shared"
import { Effect, Layer, Redacted } from "effect"
import { type Principal, Tokens } from "../auth/Tokens.js"

/** Bearer-token middleware: every `/api/v1` route but registration runs behind it. */
export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const tokens = yield* Tokens
    return {
      bearer: (token: Redacted.Redacted<string>) => tokens.verify(Redacted.value(token)),
    }
  }),
)

/**
 * A token opens only its own workspace. Anything else gets the same 403 whether or
 * not the other workspace exists, so nothing about it leaks.
 */
export const requireWorkspace = (principal: Principal, ws: WorkspaceId) =>
  principal.workspaceId === ws
    ? Effect.void
    : Effect.fail(apiError("Forbidden", "this token is not valid for this workspace"))

export const requireMaster = (principal: Principal, ws: WorkspaceId) =>
  Effect.zipRight(
    requireWorkspace(principal, ws),
    principal.role === "master"
      ? Effect.void
      : Effect.fail(apiError("Forbidden", "only the workspace's master may do this")),
  )

export const requireWriter = (principal: Principal, ws: WorkspaceId) =>
  Effect.zipRight(
    requireWorkspace(principal, ws),
    principal.role === "viewer" ? Effect.fail(apiError("Forbidden", "viewers cannot push")) : Effect.void,
  )
