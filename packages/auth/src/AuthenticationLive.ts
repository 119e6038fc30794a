/**
 * The Bearer check every protected endpoint shares: a valid access token of a live, active user
 * whose session is still open (signing out takes effect at once, not when the token expires),
 * in one query for the user with their session. The answers and their order are the reference's.
 */
import { Authentication, CurrentUser, Unauthorized } from "@cuebx/contract"
import { DateTime, Effect, Layer, Option, Redacted } from "effect"
import { AccessTokens, InvalidAccessToken } from "./AccessTokens.ts"
import { AccountDeactivated, AccountGone, UserNotFound } from "./Accounts.ts"
import { bearerErrors } from "./http/AuthErrors.ts"
import { UsersRepo } from "./UsersRepo.ts"

/**
 * The user a Bearer token stands for, or why it stands for nobody, as domain errors (translated
 * by each transport: `bearerErrors` for REST, the usage RPC its own way). Needs the access-token
 * verifier and the users' repository.
 */
export const bearerCheck = Effect.gen(function*() {
  const tokens = yield* AccessTokens
  const users = yield* UsersRepo

  // Untraced, one span per request: this runs before every protected endpoint.
  const currentUser = Effect.fnUntraced(function*(token: string) {
    const claims = yield* tokens.verify(token)
    const found = yield* users.authenticate(claims.userId, claims.sessionId, yield* DateTime.now)
    if (Option.isNone(found)) return yield* new UserNotFound()
    const user = found.value
    if (user.isDeleted) return yield* new AccountGone()
    if (!user.isActive) return yield* new AccountDeactivated()
    if (claims.sessionId !== null && !user.sessionLive) {
      return yield* new InvalidAccessToken({ detail: "Invalid or expired access token" })
    }
    return CurrentUser.of({
      id: user.id,
      email: user.email,
      emailVerified: user.emailVerified,
      fullName: user.fullName,
      avatarUrl: user.avatarUrl,
      isActive: user.isActive,
      hasPassword: user.passwordHash !== null,
      oauthProviders: user.oauthProviders,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
      sessionId: claims.sessionId
    })
  })
  return currentUser
})

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function*() {
    const currentUser = yield* bearerCheck

    const check = (token: string) =>
      token === ""
        ? Effect.fail(new Unauthorized({ detail: "Not authenticated" }))
        : currentUser(token).pipe(Effect.mapError(bearerErrors), Effect.withSpan("Authentication.bearer"))

    return Authentication.of({
      bearer: (httpEffect, { credential }) =>
        Effect.flatMap(
          check(Redacted.value(credential)),
          (user) => Effect.provideService(httpEffect, CurrentUser, user)
        )
    })
  })
)
