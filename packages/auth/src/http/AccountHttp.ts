/**
 * Handlers of the `/auth` endpoints behind a Bearer token: the profile, password change,
 * account deletion, avatar upload credentials and the sessions. Responses are built here from
 * the domain's models; failures go through `authErrors`.
 */
import { CuebxApi, CurrentUser } from "@cuebx/contract"
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Accounts, type Profile } from "../Accounts.ts"
import { Cloudinary } from "../external/Cloudinary.ts"
import { Sessions } from "../Sessions.ts"
import type { SessionView } from "../SessionsRepo.ts"
import { authErrors } from "./AuthErrors.ts"
import { messages } from "./AuthHttp.ts"

const profileResponse = ({ oauthProviders, user }: Profile) =>
  signedInProfileResponse({ ...user, hasPassword: user.passwordHash !== null, oauthProviders })

/** The profile as the Bearer check read it: `GET /auth/me` costs no query of its own. */
const signedInProfileResponse = (user: Omit<CurrentUser["Service"], "sessionId">) => ({
  id: user.id,
  email: user.email,
  email_verified: user.emailVerified,
  full_name: user.fullName,
  avatar_url: user.avatarUrl,
  is_active: user.isActive,
  created_at: user.createdAt,
  updated_at: user.updatedAt,
  has_password: user.hasPassword,
  oauth_providers: user.oauthProviders
})

const sessionsResponse = (sessions: ReadonlyArray<SessionView>, current: string | null) => ({
  sessions: sessions.map((session) => ({
    id: session.id,
    device_info: session.deviceInfo,
    created_at: session.createdAt,
    expires_at: session.expiresAt,
    is_current: session.id === current
  })),
  total: sessions.length
})

export const AccountHttp = HttpApiBuilder.group(
  CuebxApi,
  "account",
  Effect.fn(function*(handlers) {
    const accounts = yield* Accounts
    const sessions = yield* Sessions
    const cloudinary = yield* Cloudinary

    return handlers
      .handle("signoutAll", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const count = yield* sessions.revokeAll(user.id, "signout_all")
          return { message: `Signed out from ${count} device(s)`, success: true }
        }))
      .handle("changePassword", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* accounts.changePassword(user.id, user.sessionId, payload.current_password, payload.new_password)
            .pipe(Effect.mapError(authErrors))
          return { message: messages.passwordChanged, success: true }
        }))
      .handle("profile", () => Effect.map(CurrentUser, signedInProfileResponse))
      .handle("updateProfile", ({ payload }) =>
        CurrentUser.use((user) =>
          accounts.updateProfile(user.id, {
            ...(payload.full_name === undefined ? {} : { fullName: payload.full_name }),
            ...(payload.avatar_url === undefined ? {} : { avatarUrl: payload.avatar_url })
          })
        ).pipe(Effect.map(profileResponse), Effect.mapError(authErrors)))
      .handle("deleteAccount", () =>
        CurrentUser.use((user) => accounts.deleteAccount(user.id)).pipe(
          Effect.as({ message: messages.accountDeleted, success: true })
        ))
      .handle("avatarUploadCredentials", () => cloudinary.uploadCredentials.pipe(Effect.mapError(authErrors)))
      .handle("listSessionsByToken", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const current = yield* sessions.sessionOf(user.id, payload.refresh_token)
          return sessionsResponse(yield* sessions.list(user.id), Option.getOrNull(current))
        }))
      .handle("listSessions", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return sessionsResponse(yield* sessions.list(user.id), user.sessionId)
        }))
      .handle("revokeSession", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* sessions.revoke(user.id, params.session_id).pipe(Effect.mapError(authErrors))
          return { message: messages.signedOut, success: true }
        }))
  })
)
