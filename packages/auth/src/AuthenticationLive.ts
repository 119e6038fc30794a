/**
 * The Bearer check every protected endpoint shares: a valid access token of a live, active user
 * whose session is still open (signing out takes effect at once, not when the token expires).
 * The answers and their order are the reference's.
 */
import { Authentication, CurrentUser, Forbidden, Unauthorized } from "@cuebx/contract"
import { Effect, Layer, Redacted } from "effect"
import { AccessTokens } from "./AccessTokens.ts"
import { Sessions } from "./Sessions.ts"
import { UsersRepo } from "./UsersRepo.ts"

const unauthorized = (detail: string) => Effect.fail(new Unauthorized({ detail }))

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function*() {
    const tokens = yield* AccessTokens
    const users = yield* UsersRepo
    const sessions = yield* Sessions
    return Authentication.of({
      bearer: (httpEffect, { credential }) =>
        Effect.gen(function*() {
          const token = Redacted.value(credential)
          if (token === "") return yield* unauthorized("Not authenticated")
          const claims = yield* tokens.verify(token).pipe(
            Effect.catchTag("InvalidAccessToken", (error) => unauthorized(error.detail))
          )
          const user = yield* users.findAnyById(claims.userId)
          if (user === undefined) return yield* unauthorized("User not found")
          if (user.isDeleted) return yield* unauthorized("User account has been deleted")
          if (!user.isActive) return yield* new Forbidden({ detail: "User account is deactivated" })
          if (claims.sessionId !== null && !(yield* sessions.isLive(claims.sessionId))) {
            return yield* unauthorized("Invalid or expired access token")
          }
          return yield* Effect.provideService(httpEffect, CurrentUser, {
            id: user.id,
            email: user.email,
            emailVerified: user.emailVerified,
            fullName: user.fullName,
            sessionId: claims.sessionId
          })
        }).pipe(Effect.withSpan("Authentication.bearer"))
    })
  })
)
