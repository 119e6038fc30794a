/**
 * The `/auth` surface: the reference's 17 operations, plus passwordless sign-in by emailed code
 * and session management. `auth` holds the public endpoints; `account` the ones behind a Bearer
 * access token (the `Authentication` middleware, which provides `CurrentUser`).
 */
import { Context, type DateTime, Schema } from "effect"
import {
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi
} from "effect/http-api"
import { doc } from "../Docs.ts"
import {
  BadRequest,
  Conflict,
  Forbidden,
  NotFound,
  ServiceUnavailable,
  TooManyRequestsResponse,
  UnauthorizedResponse
} from "../Errors.ts"
import {
  AccessTokenResponse,
  ActiveSessionsResponse,
  BooleanFromQuery,
  ChangePasswordRequest,
  CloudinaryUploadCredentials,
  CodeSigninRequest,
  EmailRequest,
  LoginRequest,
  MessageResponse,
  OAuthInitResponse,
  OAuthProvider,
  OtpVerifyRequest,
  PasswordResetConfirmRequest,
  ProfileResponse,
  ProfileUpdateRequest,
  RefreshTokenRequest,
  SignupRequest,
  SignupResponse,
  TokenResponse
} from "./AuthModels.ts"

/** The authenticated user of a request, provided by `Authentication`. */
/** The signed-in user with their whole profile, as the Bearer check read it (one query). */
export class CurrentUser extends Context.Service<CurrentUser, {
  readonly id: string
  readonly email: string
  readonly emailVerified: boolean
  readonly fullName: string | null
  readonly avatarUrl: string | null
  readonly isActive: boolean
  readonly hasPassword: boolean
  readonly oauthProviders: ReadonlyArray<OAuthProvider>
  readonly createdAt: DateTime.Utc
  readonly updatedAt: DateTime.Utc
  /** The session the access token belongs to. */
  readonly sessionId: string | null
}>()("@cuebx/contract/CurrentUser") {}

export class Authentication extends HttpApiMiddleware.Service<Authentication, { provides: CurrentUser }>()(
  "@cuebx/contract/Authentication",
  { error: [UnauthorizedResponse, Forbidden], security: { bearer: HttpApiSecurity.bearer } }
) {}

/** 307 to the frontend's callback URL (OAuth with a `callback_url`). */
const Redirect = HttpApiSchema.Empty(307).annotate({ description: "Redirect to the callback URL" })

export class AuthApi extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("signup", "/auth/signup", {
      payload: SignupRequest,
      success: SignupResponse.pipe(HttpApiSchema.status(201)),
      error: [Conflict, TooManyRequestsResponse]
    }).annotateMerge(doc("Sign up with email", "Creates the account and emails a verification code.")),
    HttpApiEndpoint.post("verifySignup", "/auth/signup/verify", {
      payload: OtpVerifyRequest,
      success: TokenResponse,
      error: [BadRequest, TooManyRequestsResponse]
    }).annotateMerge(doc("Verify the email with the code", "Verifying creates the personal workspace and free plans.")),
    HttpApiEndpoint.post("resendVerification", "/auth/signup/resend", {
      payload: EmailRequest,
      success: MessageResponse,
      error: TooManyRequestsResponse
    }).annotateMerge(doc("Send a new verification code", "Answers the same whether or not the email exists.")),
    HttpApiEndpoint.post("signin", "/auth/signin", {
      payload: LoginRequest,
      success: TokenResponse,
      error: [UnauthorizedResponse, Forbidden, TooManyRequestsResponse]
    }).annotateMerge(doc("Sign in with email and password", "An unverified account gets 403 and a fresh code.")),
    HttpApiEndpoint.post("requestSigninCode", "/auth/signin/code/request", {
      payload: EmailRequest,
      success: MessageResponse,
      error: TooManyRequestsResponse
    }).annotateMerge(doc("Email a sign-in code (passwordless)", "Answers the same whether or not the email exists.")),
    HttpApiEndpoint.post("signinWithCode", "/auth/signin/code", {
      payload: CodeSigninRequest,
      success: TokenResponse,
      error: [BadRequest, UnauthorizedResponse, TooManyRequestsResponse]
    }).annotateMerge(doc(
      "Sign in with an emailed code (passwordless)",
      "The code from `/auth/signin/code/request`; answers like `/auth/signin`. Too many wrong codes answer 429."
    )),
    HttpApiEndpoint.post("refreshToken", "/auth/token/refresh", {
      payload: RefreshTokenRequest,
      success: AccessTokenResponse,
      error: UnauthorizedResponse
    }).annotateMerge(doc(
      "Refresh the access token",
      "Rotates the refresh token: the one presented is revoked and a new one returned. Presenting a revoked one again " +
        "within 10 seconds returns the same pair; later, it revokes the whole session."
    )),
    HttpApiEndpoint.post("signout", "/auth/signout", {
      payload: RefreshTokenRequest,
      success: MessageResponse
    }).annotateMerge(doc(
      "Sign out the session of a refresh token",
      "Revokes that session; answers the same for an unknown or already revoked token."
    )),
    HttpApiEndpoint.get("oauthInit", "/auth/oauth/:provider", {
      params: { provider: OAuthProvider },
      query: {
        remember_me: Schema.optionalKey(BooleanFromQuery),
        callback_url: Schema.optionalKey(Schema.String)
      },
      success: OAuthInitResponse,
      error: [BadRequest, ServiceUnavailable, TooManyRequestsResponse]
    }).annotateMerge(doc("Start an OAuth sign-in", "`callback_url` must be on an origin of CORS_ALLOW_ORIGINS.")),
    HttpApiEndpoint.get("oauthCallback", "/auth/oauth/:provider/callback", {
      params: { provider: OAuthProvider },
      query: {
        code: Schema.optionalKey(Schema.String),
        state: Schema.optionalKey(Schema.String),
        error: Schema.optionalKey(Schema.String),
        error_description: Schema.optionalKey(Schema.String)
      },
      success: [TokenResponse, Redirect],
      error: [BadRequest, Forbidden, ServiceUnavailable, TooManyRequestsResponse]
    }).annotateMerge(
      doc("Finish an OAuth sign-in", "Redirects (307) to the callback URL with the tokens in the fragment.")
    ),
    HttpApiEndpoint.post("requestPasswordReset", "/auth/password/reset", {
      payload: EmailRequest,
      success: MessageResponse,
      error: TooManyRequestsResponse
    }).annotateMerge(doc("Email a password reset code", "Answers the same whether or not the email exists.")),
    HttpApiEndpoint.post("confirmPasswordReset", "/auth/password/reset/confirm", {
      payload: PasswordResetConfirmRequest,
      success: MessageResponse,
      error: [BadRequest, TooManyRequestsResponse]
    }).annotateMerge(doc("Set a new password with the reset code", "Signs out every session."))
  )
  .annotateMerge(OpenApi.annotations({
    title: "Authentication",
    description: "Sign-up, sign-in (password, emailed code, Google, GitHub), tokens, password reset, profile, sessions."
  }))
{}

export class AccountApi extends HttpApiGroup.make("account")
  .add(
    HttpApiEndpoint.post("signoutAll", "/auth/signout/all", { success: MessageResponse }).annotateMerge(
      doc("Sign out every session", "Revokes every session of the user, this one included.")
    ),
    HttpApiEndpoint.post("changePassword", "/auth/password/change", {
      payload: ChangePasswordRequest,
      success: MessageResponse,
      error: BadRequest
    }).annotateMerge(doc("Change the password", "Keeps this session and signs out the others.")),
    HttpApiEndpoint.get("profile", "/auth/me", { success: ProfileResponse }).annotateMerge(
      doc("The signed-in user", "The profile of the user the access token belongs to.")
    ),
    HttpApiEndpoint.patch("updateProfile", "/auth/me", {
      payload: ProfileUpdateRequest,
      success: ProfileResponse,
      error: BadRequest
    }).annotateMerge(doc("Update the profile", "An absent field is kept; `null` clears it.")),
    HttpApiEndpoint.delete("deleteAccount", "/auth/me", { success: MessageResponse }).annotateMerge(
      doc(
        "Delete the account",
        "Signs out everywhere; the email is free again; the data is purged after the retention period."
      )
    ),
    HttpApiEndpoint.get("avatarUploadCredentials", "/auth/me/avatar/upload-credentials", {
      success: CloudinaryUploadCredentials,
      error: ServiceUnavailable
    }).annotateMerge(doc(
      "Signed parameters to upload an avatar to Cloudinary",
      "The browser uploads the file straight to Cloudinary's `avatars` folder; 503 when Cloudinary is not configured."
    )),
    HttpApiEndpoint.post("listSessionsByToken", "/auth/sessions", {
      payload: RefreshTokenRequest,
      success: ActiveSessionsResponse
    }).annotateMerge(doc(
      "Active sessions (the reference's form: the refresh token marks the current one)",
      "Every active session of the user; `is_current` marks the one of the refresh token in the body."
    )),
    HttpApiEndpoint.get("listSessions", "/auth/sessions", { success: ActiveSessionsResponse }).annotateMerge(
      doc("Active sessions", "Every active session of the user; `is_current` marks the one of this access token.")
    ),
    HttpApiEndpoint.delete("revokeSession", "/auth/sessions/:session_id", {
      params: { session_id: Schema.String },
      success: MessageResponse,
      error: NotFound
    }).annotateMerge(doc("Sign out one session", "Revokes one of the user's sessions; any other id answers 404."))
  )
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Authentication" }))
{}
