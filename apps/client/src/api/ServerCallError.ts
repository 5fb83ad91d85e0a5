import type { ErrorKind } from "@vibestack/shared"
import { Data } from "effect"

/**
 * Why a call failed, in the terms a person's message needs: the server answered with an error
 * (`kind` when its body said which, else only the `status`), never answered, or answered
 * something the contract does not allow.
 */
export class ServerCallError extends Data.TaggedError("ServerCallError")<{
  readonly reason: "answer" | "unreachable" | "unreadable"
  readonly status?: number
  readonly kind?: ErrorKind
}> {}
