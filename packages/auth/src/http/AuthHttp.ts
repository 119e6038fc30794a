/**
 * Handlers of the public `/auth` endpoints: rate limits first (by client IP or by email, as the
 * reference set them), then the account flows, with domain failures mapped to the reference's
 * statuses and texts.
 */
import { appendToUrl } from "@cuebx/config"
import {
  BadRequest,
  Conflict,
  CuebxApi,
  Forbidden,
  ServiceUnavailable,
  TooManyRequests,
  Unauthorized
} from "@cuebx/contract"
import { Duration, Effect, Option } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Accounts, type ClientContext, messages } from "../Accounts.ts"
import { deviceInfo } from "../external/DeviceInfo.ts"
import { oauthCookieName, OAuthSignIn, oauthStateTtlSeconds } from "../OAuthSignIn.ts"
import { Sessions, type TokenPair } from "../Sessions.ts"
import { AuthRateLimits } from "./AuthRateLimits.ts"

const tokenResponse = (pair: TokenPair) => ({
  access_token: pair.accessToken,
  refresh_token: pair.refreshToken,
  token_type: "bearer" as const,
  expires_in: pair.expiresIn
})

/** The state cookie has served its purpose once the callback arrived. */
const cleared = (response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.expireCookieUnsafe(response, oauthCookieName, { path: "/auth/oauth" })

const invalidCode = () => Effect.fail(new BadRequest({ detail: "Invalid verification code" }))
const tooManyAttempts = () =>
  Effect.fail(
    new TooManyRequests({ detail: "Too many verification attempts. Please request a new code.", retryAfterSeconds: 60 })
  )

export const clientContext = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const limits = yield* AuthRateLimits
  return {
    deviceInfo: deviceInfo(request.headers["user-agent"]),
    ipAddress: yield* limits.clientIp
  } satisfies ClientContext
})

export const AuthHttp = HttpApiBuilder.group(
  CuebxApi,
  "auth",
  Effect.fn(function*(handlers) {
    const accounts = yield* Accounts
    const sessions = yield* Sessions
    const oauth = yield* OAuthSignIn
    const limits = yield* AuthRateLimits

    return handlers
      .handle("signup", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/signup", 5, Duration.hours(1))
          yield* accounts.signup({
            email: payload.email,
            password: payload.password,
            fullName: payload.full_name ?? null
          })
          return { message: messages.signedUp, email: payload.email, requires_verification: true }
        }).pipe(
          Effect.catchTag("EmailAlreadyRegistered", () =>
            Effect.fail(new Conflict({ detail: "A user with this email already exists" })))
        ))
      .handle("verifySignup", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/signup/verify", 10, Duration.minutes(1))
          const pair = yield* accounts.verifySignup(payload.email, payload.otp_code, yield* clientContext)
          return tokenResponse(pair)
        }).pipe(Effect.catchTags({ OtpInvalid: invalidCode, OtpTooManyAttempts: tooManyAttempts })))
      .handle("resendVerification", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byEmail("/auth/signup/resend", payload.email, 3, Duration.hours(1))
          yield* accounts.resendVerification(payload.email)
          return { message: messages.verificationSent, success: true }
        }))
      .handle("signin", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/signin", 10, Duration.minutes(1))
          const pair = yield* accounts.signin(
            payload.email,
            payload.password,
            payload.remember_me ?? false,
            yield* clientContext
          )
          return tokenResponse(pair)
        }).pipe(Effect.catchTags({
          InvalidCredentials: () => Effect.fail(new Unauthorized({ detail: "Invalid email or password" })),
          AccountDeactivated: () => Effect.fail(new Unauthorized({ detail: "This account has been deactivated" })),
          EmailNotVerified: () => Effect.fail(new Forbidden({ detail: "Email not verified" }))
        })))
      .handle("requestSigninCode", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byEmail("/auth/signin/code/request", payload.email, 3, Duration.hours(1))
          yield* accounts.requestSigninCode(payload.email)
          return { message: messages.signinCodeSent, success: true }
        }))
      .handle("signinWithCode", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/signin/code", 10, Duration.minutes(1))
          const pair = yield* accounts.signinWithCode(
            payload.email,
            payload.otp_code,
            payload.remember_me ?? false,
            yield* clientContext
          )
          return tokenResponse(pair)
        }).pipe(Effect.catchTags({
          OtpInvalid: invalidCode,
          OtpTooManyAttempts: tooManyAttempts,
          AccountDeactivated: () => Effect.fail(new Unauthorized({ detail: "This account has been deactivated" }))
        })))
      .handle("refreshToken", ({ payload }) =>
        sessions.refresh(payload.refresh_token).pipe(
          Effect.map((tokens) => ({
            access_token: tokens.accessToken,
            ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
            token_type: "bearer" as const,
            expires_in: tokens.expiresIn
          })),
          Effect.catchTag("RefreshRejected", (error) => Effect.fail(new Unauthorized({ detail: error.detail })))
        ))
      .handle("signout", ({ payload }) =>
        sessions.signOut(payload.refresh_token).pipe(
          Effect.map((success) => ({ message: success ? messages.signedOut : messages.notSignedOut, success }))
        ))
      .handle("oauthInit", ({ params, query }) =>
        Effect.gen(function*() {
          yield* limits.byIp(`/auth/oauth/${params.provider}`, 20, Duration.minutes(1))
          const started = yield* oauth.start(params.provider, {
            rememberMe: query.remember_me ?? false,
            callbackUrl: query.callback_url ?? null
          })
          const production = yield* limits.production
          return HttpServerResponse.jsonUnsafe({ authorization_url: started.authorizationUrl, state: started.state })
            .pipe(
              HttpServerResponse.setCookieUnsafe(oauthCookieName, started.browserBinding, {
                httpOnly: true,
                sameSite: "lax",
                secure: production,
                path: "/auth/oauth",
                maxAge: Duration.seconds(oauthStateTtlSeconds)
              })
            )
        }).pipe(Effect.catchTags({
          OAuthNotConfigured: (error) =>
            Effect.fail(new BadRequest({ detail: `OAuth sign-in with ${error.provider} is not configured` })),
          InvalidCallbackUrl: () =>
            Effect.fail(
              new BadRequest({
                detail: "Invalid callback URL. Must be in allowed origins and use HTTPS in production."
              })
            ),
          OAuthUnavailable: () =>
            Effect.fail(new ServiceUnavailable({ detail: "OAuth sign-in is temporarily unavailable" }))
        })))
      .handle("oauthCallback", ({ params, query }) =>
        Effect.gen(function*() {
          yield* limits.byIp(`/auth/oauth/${params.provider}/callback`, 20, Duration.minutes(1))
          const request = yield* HttpServerRequest.HttpServerRequest
          const signedIn = yield* oauth.complete(
            params.provider,
            {
              code: query.code,
              state: query.state,
              error: query.error,
              errorDescription: query.error_description
            },
            request.cookies[oauthCookieName],
            yield* clientContext
          )
          if (signedIn.callbackUrl === null) {
            return cleared(HttpServerResponse.jsonUnsafe(tokenResponse(signedIn.tokens)))
          }
          return cleared(HttpServerResponse.redirect(
            appendToUrl(signedIn.callbackUrl, tokenResponse(signedIn.tokens), "fragment"),
            { status: 307 }
          ))
        }).pipe(Effect.catchTag("OAuthCallbackFailed", (failure) =>
          Option.match(Option.fromNullishOr(failure.callbackUrl), {
            onNone: () =>
              Effect.fail(
                failure.status === 403
                  ? new Forbidden({ detail: failure.detail })
                  : new BadRequest({ detail: failure.detail })
              ),
            onSome: (callbackUrl) =>
              Effect.succeed(HttpServerResponse.redirect(
                appendToUrl(callbackUrl, { error: failure.error, error_description: failure.detail }, "query"),
                { status: 307 }
              ))
          }))))
      .handle("requestPasswordReset", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byEmail("/auth/password/reset", payload.email, 3, Duration.hours(1))
          yield* accounts.requestPasswordReset(payload.email)
          return { message: messages.resetSent, success: true }
        }))
      .handle("confirmPasswordReset", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/password/reset/confirm", 10, Duration.minutes(1))
          yield* accounts.confirmPasswordReset(payload.email, payload.otp_code, payload.new_password)
          return { message: messages.passwordReset, success: true }
        }).pipe(Effect.catchTags({ OtpInvalid: invalidCode, OtpTooManyAttempts: tooManyAttempts })))
  })
)
