/**
 * The rate limiter's own settings: what to do when Redis cannot answer, and how many reverse
 * proxies in front of the API may be trusted to append the client address to `X-Forwarded-For`.
 * The backend choice (`RATE_LIMIT_BACKEND`) lives in `@cuebx/config`.
 */
import { Config, Schema } from "effect"

/** `true` (default): allow requests while Redis is unreachable; `false`: deny them. */
export const RateLimitFailOpen = Config.Boolean("RATE_LIMIT_FAIL_OPEN").pipe(Config.withDefault(true))

/** Reverse proxies between the client and the API; 0 (default) ignores `X-Forwarded-For`. */
export const TrustedProxyCount = Config.schema(
  Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  "TRUSTED_PROXY_COUNT"
).pipe(Config.withDefault(0))
