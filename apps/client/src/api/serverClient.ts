import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { decodeSafely, ErrorBody, statusOfKind, VibeStackApi } from "@vibestack/shared"
import { Effect, Either, Schema } from "effect"
import { ServerCallError } from "./ServerCallError.js"

/**
 * The web app's client of the HTTP contract, loaded on a first call (`callServer.ts`).
 */

/** The contract's routes as typed calls: `client.tokens.list({ path: { ws } })`. */
const clientFor = (token: string) =>
  HttpApiClient.make(VibeStackApi, {
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(token)),
  })
export type ServerClient = Effect.Effect.Success<ReturnType<typeof clientFor>>

const isErrorBody = Schema.is(ErrorBody)
const decodeErrorBody = decodeSafely(Schema.parseJson(ErrorBody))

/** Every failure of a derived call, as one `ServerCallError`. */
const classify = (e: unknown): Effect.Effect<ServerCallError> => {
  // A declared error status: the contract's class, decoded (`{"error":{kind,message}}`).
  if (isErrorBody(e))
    return Effect.succeed(
      new ServerCallError({ reason: "answer", kind: e.error.kind, status: statusOfKind[e.error.kind] }),
    )
  if (HttpClientError.isHttpClientError(e)) {
    if (e._tag === "RequestError")
      return Effect.succeed(new ServerCallError({ reason: e.reason === "Transport" ? "unreachable" : "unreadable" }))
    // A status the route does not declare (a proxy's page, a 500): its body may still say the kind.
    const status = e.response.status
    return e.response.text.pipe(
      Effect.orElseSucceed(() => ""),
      Effect.map((text) => {
        const body = decodeErrorBody(text)
        return new ServerCallError({
          reason: "answer",
          status,
          ...(Either.isRight(body) ? { kind: body.right.error.kind } : {}),
        })
      }),
    )
  }
  // A ParseError: the answer's status was declared but its body is not what the contract says.
  return Effect.succeed(new ServerCallError({ reason: "unreadable" }))
}

/**
 * One call to the same-origin server with the workspace token, as a promise for React.
 * Requests and answers are encoded and decoded by the contract (`VibeStackApi`), so the UI
 * only sees values that passed their schema; a failure rejects with a `ServerCallError`.
 */
export const callServerNow = <A, E>(
  token: string,
  call: (client: ServerClient) => Effect.Effect<A, E>,
  options?: { readonly signal?: AbortSignal },
): Promise<A> =>
  Effect.runPromise(
    clientFor(token).pipe(
      Effect.flatMap(call),
      Effect.catchAll((e) => Effect.flatMap(classify(e), Effect.fail)),
      Effect.either,
      Effect.provide(FetchHttpClient.layer),
    ),
    options,
  ).then((r) => (Either.isRight(r) ? r.right : Promise.reject(r.left)))
