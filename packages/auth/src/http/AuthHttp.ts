/**
 * Handlers of the public `/auth` endpoints: rate limits first (by client IP or by email, as the
 * reference set them), then the account flows, whose domain failures become the reference's
 * statuses and texts through `authErrors`.
 */
import { appendToUrl, isProduction } from "@cuebx/config"
import { CuebxApi } from "@cuebx/contract"
import { Duration, Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Accounts, type ClientContext } from "../Accounts.ts"
import { deviceInfo } from "../external/DeviceInfo.ts"
import { oauthCookieName, OAuthSignIn, oauthStateTtlSeconds } from "../OAuthSignIn.ts"
import { type RefreshedTokens, Sessions, type TokenPair } from "../Sessions.ts"
import { authErrors } from "./AuthErrors.ts"
import { AuthRateLimits } from "./AuthRateLimits.ts"

/** The success messages of `/auth`, the reference's texts. */
export const messages = {
  signedUp: "Verification code sent to your email",
  verificationSent: "If the email exists, a verification code has been sent",
  signinCodeSent: "If the email exists, a sign-in code has been sent",
  resetSent: "If the email exists and has a password, a reset code has been sent",
  passwordReset: "Password has been reset successfully",
  passwordChanged: "Password changed successfully. You have been signed out from other devices.",
  accountDeleted: "Account has been deleted",
  signedOut: "Successfully signed out",
  notSignedOut: "Token not found or already revoked"
} as const

const tokenResponse = (pair: TokenPair) => ({
  access_token: pair.accessToken,
  refresh_token: pair.refreshToken,
  token_type: "bearer" as const,
  expires_in: pair.expiresIn
})

const refreshedResponse = (tokens: RefreshedTokens) => ({
  access_token: tokens.accessToken,
  ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
  token_type: "bearer" as const,
  expires_in: tokens.expiresIn
})

/** The state cookie has served its purpose once the callback arrived. */
const cleared = (response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.expireCookieUnsafe(response, oauthCookieName, { path: "/auth/oauth" })

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
    // The OAuth state cookie is `Secure` in production only, so local HTTP development works.
    const secureCookies = yield* isProduction

    return handlers
      .handle("signup", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/signup", 5, Duration.hours(1))
          yield* accounts.signup({
            email: payload.email,
            password: payload.password,
            fullName: payload.full_name ?? null
          }).pipe(Effect.mapError(authErrors))
          return { message: messages.signedUp, email: payload.email, requires_verification: true }
        }))
      .handle("verifySignup", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/signup/verify", 10, Duration.minutes(1))
          const client = yield* clientContext
          const pair = yield* accounts.verifySignup(payload.email, payload.otp_code, client).pipe(
            Effect.mapError(authErrors)
          )
          return tokenResponse(pair)
        }))
      .handle("resendVerification", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byEmail("/auth/signup/resend", payload.email, 3, Duration.hours(1))
          yield* accounts.resendVerification(payload.email)
          return { message: messages.verificationSent, success: true }
        }))
      .handle("signin", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/signin", 10, Duration.minutes(1))
          const client = yield* clientContext
          const pair = yield* accounts.signin(payload.email, payload.password, payload.remember_me ?? false, client)
            .pipe(Effect.mapError(authErrors))
          return tokenResponse(pair)
        }))
      .handle("requestSigninCode", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byEmail("/auth/signin/code/request", payload.email, 3, Duration.hours(1))
          yield* accounts.requestSigninCode(payload.email)
          return { message: messages.signinCodeSent, success: true }
        }))
      .handle("signinWithCode", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/signin/code", 10, Duration.minutes(1))
          const client = yield* clientContext
          const pair = yield* accounts.signinWithCode(
            payload.email,
            payload.otp_code,
            payload.remember_me ?? false,
            client
          ).pipe(Effect.mapError(authErrors))
          return tokenResponse(pair)
        }))
      .handle(
        "refreshToken",
        ({ payload }) =>
          sessions.refresh(payload.refresh_token).pipe(Effect.map(refreshedResponse), Effect.mapError(authErrors))
      )
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
          }).pipe(Effect.mapError(authErrors))
          return HttpServerResponse.jsonUnsafe({ authorization_url: started.authorizationUrl, state: started.state })
            .pipe(
              HttpServerResponse.setCookieUnsafe(oauthCookieName, started.browserBinding, {
                httpOnly: true,
                sameSite: "lax",
                secure: secureCookies,
                path: "/auth/oauth",
                maxAge: Duration.seconds(oauthStateTtlSeconds)
              })
            )
        }))
      .handle("oauthCallback", ({ params, query }) =>
        Effect.gen(function*() {
          yield* limits.byIp(`/auth/oauth/${params.provider}/callback`, 20, Duration.minutes(1))
          const request = yield* HttpServerRequest.HttpServerRequest
          const client = yield* clientContext
          const signedIn = yield* oauth.complete(
            params.provider,
            {
              code: query.code,
              state: query.state,
              error: query.error,
              errorDescription: query.error_description
            },
            request.cookies[oauthCookieName],
            client
          ).pipe(
            // With a trusted callback URL, a failure goes back to the frontend as `?error=...`.
            Effect.catchTag("OAuthCallbackFailed", (failure) =>
              failure.callbackUrl === null
                ? Effect.fail(failure)
                : Effect.succeed({ failure, callbackUrl: failure.callbackUrl })),
            Effect.mapError(authErrors)
          )
          if ("failure" in signedIn) {
            return HttpServerResponse.redirect(
              appendToUrl(
                signedIn.callbackUrl,
                { error: signedIn.failure.error, error_description: signedIn.failure.detail },
                "query"
              ),
              { status: 307 }
            )
          }
          if (signedIn.callbackUrl === null) {
            return cleared(HttpServerResponse.jsonUnsafe(tokenResponse(signedIn.tokens)))
          }
          return cleared(HttpServerResponse.redirect(
            appendToUrl(signedIn.callbackUrl, tokenResponse(signedIn.tokens), "fragment"),
            { status: 307 }
          ))
        }))
      .handle("requestPasswordReset", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byEmail("/auth/password/reset", payload.email, 3, Duration.hours(1))
          yield* accounts.requestPasswordReset(payload.email)
          return { message: messages.resetSent, success: true }
        }))
      .handle("confirmPasswordReset", ({ payload }) =>
        Effect.gen(function*() {
          yield* limits.byIp("/auth/password/reset/confirm", 10, Duration.minutes(1))
          yield* accounts.confirmPasswordReset(payload.email, payload.otp_code, payload.new_password).pipe(
            Effect.mapError(authErrors)
          )
          return { message: messages.passwordReset, success: true }
        }))
  })
)
