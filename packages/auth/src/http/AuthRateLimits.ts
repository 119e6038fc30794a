/**
 * The rate limits of `/auth`, as the reference set them (per client IP, or per email for the
 * endpoints that send codes), on the shared sliding-window limiter.
 */
import { Environment } from "@cuebx/config"
import type { TooManyRequests } from "@cuebx/contract"
import { ClientIp, emailKey, enforce, ipKey, RateLimiter } from "@cuebx/ratelimit"
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
  /** Whether cookies must be `Secure` (production). */
  readonly production: Effect.Effect<boolean>
}>()("@cuebx/auth/AuthRateLimits") {
  static readonly layer = Layer.effect(
    AuthRateLimits,
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const clientIp = yield* ClientIp
      const production = (yield* Environment) === "production"
      const limited = (key: string, limit: number, window: Duration.Duration) =>
        enforce(key, { limit, window }).pipe(Effect.asVoid, Effect.provideService(RateLimiter, limiter))
      return AuthRateLimits.of({
        byIp: (path, limit, window) =>
          Effect.flatMap(clientIp.current, (ip) => limited(ipKey(ip, path), limit, window)),
        byEmail: (path, email, limit, window) => limited(emailKey(email, path), limit, window),
        clientIp: clientIp.current,
        production: Effect.succeed(production)
      })
    })
  ).pipe(Layer.provide(Layer.mergeAll(RateLimiter.layer, ClientIp.layer)))
}
