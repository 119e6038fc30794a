/**
 * Handlers of the `/auth` endpoints behind a Bearer token: the profile, password change,
 * account deletion, avatar upload credentials and the sessions.
 */
import { BadRequest, CuebxApi, CurrentUser, NotFound, ServiceUnavailable, Unauthorized } from "@cuebx/contract"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Accounts, messages, type Profile } from "../Accounts.ts"
import { Cloudinary } from "../external/Cloudinary.ts"
import { Sessions, type SessionView } from "../Sessions.ts"

const profileResponse = ({ user, oauthProviders }: Profile) => ({
  id: user.id,
  email: user.email,
  email_verified: user.emailVerified,
  full_name: user.fullName,
  avatar_url: user.avatarUrl,
  is_active: user.isActive,
  created_at: user.createdAt.toISOString(),
  updated_at: user.updatedAt.toISOString(),
  has_password: user.passwordHash !== null,
  oauth_providers: oauthProviders
})

const sessionsResponse = (sessions: ReadonlyArray<SessionView>, current: string | null | undefined) => ({
  sessions: sessions.map((session) => ({
    id: session.id,
    device_info: session.deviceInfo,
    created_at: session.createdAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    is_current: session.id === current
  })),
  total: sessions.length
})

const gone = () => Effect.fail(new Unauthorized({ detail: "User account has been deleted" }))

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
          return { message: messages.passwordChanged, success: true }
        }).pipe(Effect.catchTags({
          WrongCurrentPassword: () => Effect.fail(new BadRequest({ detail: "Current password is incorrect" })),
          NoPasswordSet: () =>
            Effect.fail(new BadRequest({ detail: "Cannot change password. Account uses OAuth login only." })),
          AccountGone: gone
        })))
      .handle("profile", () =>
        CurrentUser.use((user) => accounts.profile(user.id)).pipe(
          Effect.map(profileResponse),
          Effect.catchTag("AccountGone", gone)
        ))
      .handle("updateProfile", ({ payload }) =>
        CurrentUser.use((user) =>
          accounts.updateProfile(user.id, {
            ...(payload.full_name === undefined ? {} : { fullName: payload.full_name }),
            ...(payload.avatar_url === undefined ? {} : { avatarUrl: payload.avatar_url })
          })
        ).pipe(
          Effect.map(profileResponse),
          Effect.catchTags({
            AvatarNotAllowed: () =>
              Effect.fail(
                new BadRequest({
                  detail: "avatar_url must be an image uploaded with /auth/me/avatar/upload-credentials"
                })
              ),
            AccountGone: gone
          })
        ))
      .handle("deleteAccount", () =>
        CurrentUser.use((user) => accounts.deleteAccount(user.id)).pipe(
          Effect.as({ message: messages.accountDeleted, success: true })
        ))
      .handle("avatarUploadCredentials", () =>
        cloudinary.uploadCredentials.pipe(
          Effect.catchTag("CloudinaryNotConfigured", () =>
            Effect.fail(new ServiceUnavailable({ detail: "Avatar uploads are not configured" })))
        ))
      .handle("listSessionsByToken", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const current = yield* sessions.sessionOf(user.id, payload.refresh_token)
          return sessionsResponse(yield* sessions.list(user.id), current)
        }))
      .handle("listSessions", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return sessionsResponse(yield* sessions.list(user.id), user.sessionId)
        }))
      .handle("revokeSession", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          if (!(yield* sessions.revoke(user.id, params.session_id))) {
            return yield* new NotFound({ detail: "Session not found" })
          }
          return { message: messages.signedOut, success: true }
        }))
  })
)
