/**
 * The rate limits of `/auth`, as the reference set them (per client IP, or per email for the
 * endpoints that send codes), on the shared sliding-window limiter.
 */
import type { TooManyRequests } from "@cuebx/contract"
import { ClientIp, RequestLimits } from "@cuebx/ratelimit"
import { Context, type Duration, Effect, Layer } from "effect"
import type { HttpServerRequest } from "effect/http"

export class AuthRateLimits extends Context.Service<AuthRateLimits, {
  byIp(
    path: string,
    limit: number,
    window: Duration.Duration
  ): Effect.Effect<void, TooManyRequests, HttpServerRequest.HttpServerRequest>
  byEmail(path: string, email: string, limit: number, window: Duration.Duration): Effect.Effect<void, TooManyRequests>
  readonly clientIp: Effect.Effect<string, never, HttpServerRequest.HttpServerRequest>
}>()("@cuebx/auth/AuthRateLimits") {
  static readonly layer = Layer.effect(
    AuthRateLimits,
    Effect.gen(function*() {
      const limits = yield* RequestLimits
      const clientIp = yield* ClientIp
      return AuthRateLimits.of({
        byIp: (path, limit, window) => limits.byIp(path, { limit, window }),
        byEmail: (path, email, limit, window) => limits.byEmail(email, path, { limit, window }),
        clientIp: clientIp.current
      })
    })
  )
}
