/**
 * Per-endpoint limits for handlers: by client address (public endpoints), by user (signed-in
 * endpoints: one budget per user and route whatever the workspace or address, so changing
 * either does not reset it) or by email. Handlers call it after validation, so a 422 costs nothing.
 */
import type { TooManyRequests } from "@cuebx/contract"
import { Context, Duration, Effect, Layer } from "effect"
import type { HttpServerRequest } from "effect/http"
import { ClientIp } from "./ClientIp.ts"
import { enforce, RateLimiter } from "./RateLimiter.ts"
import { emailKey, ipKey, userKey } from "./RateLimitKeys.ts"

export interface Limit {
  readonly limit: number
  readonly window: Duration.Input
}

export class RequestLimits extends Context.Service<RequestLimits, {
  /** `route` names the endpoint, e.g. `workspaces.create`. */
  byIp(route: string, limit: Limit): Effect.Effect<void, TooManyRequests, HttpServerRequest.HttpServerRequest>
  byUser(userId: string, route: string, limit: Limit): Effect.Effect<void, TooManyRequests>
  byEmail(email: string, route: string, limit: Limit): Effect.Effect<void, TooManyRequests>
}>()("@cuebx/ratelimit/RequestLimits") {
  static readonly layer = Layer.effect(
    RequestLimits,
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const clientIp = yield* ClientIp
      const limited = (key: string, { limit, window }: Limit) =>
        enforce(key, { limit, window: Duration.fromInputUnsafe(window) }).pipe(
          Effect.asVoid,
          Effect.provideService(RateLimiter, limiter)
        )
      return RequestLimits.of({
        byIp: (route, limit) => Effect.flatMap(clientIp.current, (ip) => limited(ipKey(ip, route), limit)),
        byUser: (userId, route, limit) => limited(userKey(userId, route), limit),
        byEmail: (email, route, limit) => limited(emailKey(email, route), limit)
      })
    })
  )

  /** On the limiter and client address of `RATE_LIMIT_BACKEND` and `TRUSTED_PROXY_COUNT`: what a program provides once. */
  static readonly layerConfigured = RequestLimits.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(RateLimiter.layer, ClientIp.layer))
  )
}
