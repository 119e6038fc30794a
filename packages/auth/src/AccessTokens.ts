/**
 * Access tokens: short-lived JWTs signed with `jose` (`sub`, `email`, `type: "access"`, `sid`
 * the session, `jti`, `iat`, `exp`, `iss`, `aud`). Verification accepts only the configured
 * algorithm, issuer and audience, and an unexpired `type: "access"` token.
 */
import { Clock, Context, Data, Duration, Effect, Layer, Redacted } from "effect"
import { jwtVerify, SignJWT } from "jose"
import { AuthSettings } from "./AuthSettings.ts"

export interface AccessClaims {
  readonly userId: string
  readonly email: string
  readonly sessionId: string | null
}

/** Why a token was refused; the messages are the reference's. */
export class InvalidAccessToken extends Data.TaggedError("InvalidAccessToken")<{
  readonly detail: "Invalid or expired access token" | "Invalid access token"
}> {}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export class AccessTokens extends Context.Service<AccessTokens, {
  issue(claims: AccessClaims): Effect.Effect<string>
  verify(token: string): Effect.Effect<AccessClaims, InvalidAccessToken>
  /** Seconds an access token lives (`expires_in`). */
  readonly ttlSeconds: number
}>()("@cuebx/auth/AccessTokens") {
  static readonly layer = Layer.effect(
    AccessTokens,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const key = new TextEncoder().encode(Redacted.value(settings.jwtSecret))
      const ttlSeconds = Math.floor(Duration.toSeconds(settings.accessTokenTtl))

      const issue = Effect.fn("AccessTokens.issue")(function*(claims: AccessClaims) {
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        return yield* Effect.promise(() =>
          new SignJWT({
            email: claims.email,
            type: "access",
            ...(claims.sessionId === null ? {} : { sid: claims.sessionId })
          })
            .setProtectedHeader({ alg: settings.jwtAlgorithm, typ: "JWT" })
            .setSubject(claims.userId)
            .setJti(crypto.randomUUID())
            .setIssuedAt(now)
            .setExpirationTime(now + ttlSeconds)
            .setIssuer(settings.jwtIssuer)
            .setAudience(settings.jwtAudience)
            .sign(key)
        )
      })

      // Untraced: it runs on every authenticated request, inside the Bearer check's span.
      const verify = Effect.fnUntraced(function*(token: string) {
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const { payload } = yield* Effect.tryPromise({
          try: () =>
            jwtVerify(token, key, {
              algorithms: [settings.jwtAlgorithm],
              issuer: settings.jwtIssuer,
              audience: settings.jwtAudience,
              currentDate: new Date(now * 1000),
              requiredClaims: ["exp", "iat"]
            }),
          catch: () => new InvalidAccessToken({ detail: "Invalid or expired access token" })
        })
        const sid = payload["sid"]
        if (
          payload.type !== "access" || typeof payload.sub !== "string" || !uuid.test(payload.sub) ||
          (sid !== undefined && (typeof sid !== "string" || !uuid.test(sid)))
        ) {
          return yield* new InvalidAccessToken({ detail: "Invalid access token" })
        }
        return {
          userId: payload.sub,
          email: typeof payload["email"] === "string" ? payload["email"] : "",
          sessionId: typeof sid === "string" ? sid : null
        }
      })

      return AccessTokens.of({ issue, verify, ttlSeconds })
    })
  )
}
