/**
 * Where auth's domain errors become HTTP answers, with the reference's statuses and texts: one
 * table for the `/auth` handlers and one for the Bearer check, which answers a deactivated
 * account with 403 where sign-in answers 401.
 */
import {
  BadRequest,
  Conflict,
  errorTranslation,
  Forbidden,
  NotFound,
  ServiceUnavailable,
  TooManyRequests,
  Unauthorized
} from "@cuebx/contract"
import type { InvalidAccessToken } from "../AccessTokens.ts"
import type { OAuthCallbackFailed, OAuthNotConfigured } from "../OAuthSignIn.ts"
import type { RefreshRejected } from "../Sessions.ts"

export const authErrors = errorTranslation({
  EmailAlreadyRegistered: () => new Conflict({ detail: "A user with this email already exists" }),
  OtpInvalid: () => new BadRequest({ detail: "Invalid verification code" }),
  OtpTooManyAttempts: () =>
    new TooManyRequests({
      detail: "Too many verification attempts. Please request a new code.",
      retryAfterSeconds: 60
    }),
  InvalidCredentials: () => new Unauthorized({ detail: "Invalid email or password" }),
  AccountDeactivated: () => new Unauthorized({ detail: "This account has been deactivated" }),
  EmailNotVerified: () => new Forbidden({ detail: "Email not verified" }),
  RefreshRejected: (error: RefreshRejected) => new Unauthorized({ detail: error.detail }),
  OAuthNotConfigured: (error: OAuthNotConfigured) =>
    new BadRequest({ detail: `OAuth sign-in with ${error.provider} is not configured` }),
  InvalidCallbackUrl: () =>
    new BadRequest({ detail: "Invalid callback URL. Must be in allowed origins and use HTTPS in production." }),
  OAuthUnavailable: () => new ServiceUnavailable({ detail: "OAuth sign-in is temporarily unavailable" }),
  OAuthCallbackFailed: (error: OAuthCallbackFailed) =>
    error.status === 403 ? new Forbidden({ detail: error.detail }) : new BadRequest({ detail: error.detail }),
  WrongCurrentPassword: () => new BadRequest({ detail: "Current password is incorrect" }),
  NoPasswordSet: () => new BadRequest({ detail: "Cannot change password. Account uses OAuth login only." }),
  AvatarNotAllowed: () =>
    new BadRequest({ detail: "avatar_url must be an image uploaded with /auth/me/avatar/upload-credentials" }),
  AccountGone: () => new Unauthorized({ detail: "User account has been deleted" }),
  CloudinaryNotConfigured: () => new ServiceUnavailable({ detail: "Avatar uploads are not configured" }),
  SessionNotFound: () => new NotFound({ detail: "Session not found" })
})

export const bearerErrors = errorTranslation({
  InvalidAccessToken: (error: InvalidAccessToken) => new Unauthorized({ detail: error.detail }),
  UserNotFound: () => new Unauthorized({ detail: "User not found" }),
  AccountGone: () => new Unauthorized({ detail: "User account has been deleted" }),
  AccountDeactivated: () => new Forbidden({ detail: "User account is deactivated" })
})
