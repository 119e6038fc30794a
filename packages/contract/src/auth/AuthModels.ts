/**
 * Request and response bodies of `/auth`, with the reference's field names, and the password
 * rules. Emails are normalised on decode (see Email.ts).
 */
import { Schema, SchemaTransformation } from "effect"
import { EmailAddress } from "../Email.ts"
import { Timestamp } from "../Ids.ts"

export const Password = Schema.String.check(
  Schema.isMinLength(8),
  Schema.isMaxLength(128),
  Schema.makeFilter((password: string) =>
    /\p{Lu}/u.test(password) || "Value error, Password must contain at least one uppercase letter"
  ),
  Schema.makeFilter((password: string) =>
    /\p{Ll}/u.test(password) || "Value error, Password must contain at least one lowercase letter"
  ),
  Schema.makeFilter((password: string) =>
    /\p{Nd}/u.test(password) || "Value error, Password must contain at least one digit"
  )
).annotate({ description: "8–128 characters with an uppercase letter, a lowercase letter and a digit" })

export const FullName = Schema.String.check(Schema.isTrimmed(), Schema.isMinLength(1), Schema.isMaxLength(255))

/** Digits only; the length must be OTP_LENGTH (checked by the service, 6 by default). */
export const OtpCode = Schema.String.check(Schema.isPattern(/^\d{4,10}$/)).annotate({
  description: "The one-time code from the email (OTP_LENGTH digits, 6 by default)"
})

export const SignupRequest = Schema.Struct({
  email: EmailAddress,
  password: Password,
  full_name: Schema.optionalKey(Schema.NullOr(FullName))
}).annotate({ identifier: "SignupRequest" })

export const SignupResponse = Schema.Struct({
  message: Schema.String,
  email: Schema.String,
  requires_verification: Schema.Boolean
}).annotate({ identifier: "SignupResponse" })

export const OtpVerifyRequest = Schema.Struct({ email: EmailAddress, otp_code: OtpCode }).annotate({
  identifier: "OTPVerifyRequest"
})

export const EmailRequest = Schema.Struct({ email: EmailAddress }).annotate({ identifier: "EmailRequest" })

export const LoginRequest = Schema.Struct({
  email: EmailAddress,
  password: Schema.String,
  remember_me: Schema.optionalKey(Schema.Boolean)
}).annotate({ identifier: "LoginRequest" })

export const CodeSigninRequest = Schema.Struct({
  email: EmailAddress,
  otp_code: OtpCode,
  remember_me: Schema.optionalKey(Schema.Boolean)
}).annotate({ identifier: "CodeSigninRequest" })

export const RefreshTokenRequest = Schema.Struct({ refresh_token: Schema.String }).annotate({
  identifier: "RefreshTokenRequest"
})

export const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  refresh_token: Schema.String,
  token_type: Schema.Literal("bearer"),
  expires_in: Schema.Int
}).annotate({ identifier: "TokenResponse" })

export const AccessTokenResponse = Schema.Struct({
  access_token: Schema.String,
  /** Added: the rotated refresh token (absent with AUTH_REFRESH_ROTATION=false). */
  refresh_token: Schema.optionalKey(Schema.String),
  token_type: Schema.Literal("bearer"),
  expires_in: Schema.Int
}).annotate({ identifier: "AccessTokenResponse" })

export const MessageResponse = Schema.Struct({ message: Schema.String, success: Schema.Boolean }).annotate({
  identifier: "MessageResponse"
})

export const PasswordResetConfirmRequest = Schema.Struct({
  email: EmailAddress,
  otp_code: OtpCode,
  new_password: Password
}).annotate({ identifier: "PasswordResetConfirmRequest" })

export const ChangePasswordRequest = Schema.Struct({
  current_password: Schema.String,
  new_password: Password
}).annotate({ identifier: "ChangePasswordRequest" })

export const OAuthProvider = Schema.Literals(["google", "github"]).annotate({ identifier: "OAuthProviders" })
export type OAuthProvider = typeof OAuthProvider.Type

export const OAuthInitResponse = Schema.Struct({ authorization_url: Schema.String, state: Schema.String }).annotate({
  identifier: "OAuthInitResponse"
})

export const ProfileResponse = Schema.Struct({
  id: Schema.String,
  email: Schema.String,
  email_verified: Schema.Boolean,
  full_name: Schema.NullOr(Schema.String),
  avatar_url: Schema.NullOr(Schema.String),
  is_active: Schema.Boolean,
  created_at: Timestamp,
  updated_at: Timestamp,
  has_password: Schema.Boolean,
  oauth_providers: Schema.Array(OAuthProvider)
}).annotate({ identifier: "ProfileResponse" })

/** A field absent is left alone; `null` clears it (the reference could not clear a field). */
export const ProfileUpdateRequest = Schema.Struct({
  full_name: Schema.optionalKey(Schema.NullOr(FullName)),
  avatar_url: Schema.optionalKey(Schema.NullOr(Schema.String.check(Schema.isMaxLength(512))))
}).annotate({ identifier: "ProfileUpdateRequest" })

export const CloudinaryUploadCredentials = Schema.Struct({
  upload_url: Schema.String,
  api_key: Schema.String,
  timestamp: Schema.Int,
  signature: Schema.String,
  cloud_name: Schema.String,
  folder: Schema.NullOr(Schema.String),
  resource_type: Schema.String,
  upload_preset: Schema.NullOr(Schema.String),
  eager: Schema.NullOr(Schema.String)
}).annotate({ identifier: "CloudinaryUploadCredentials" })

export const ActiveSession = Schema.Struct({
  id: Schema.String,
  device_info: Schema.NullOr(Schema.String),
  created_at: Timestamp,
  expires_at: Timestamp,
  is_current: Schema.Boolean
}).annotate({ identifier: "ActiveSessionResponse" })

export const ActiveSessionsResponse = Schema.Struct({
  sessions: Schema.Array(ActiveSession),
  total: Schema.Int
}).annotate({ identifier: "ActiveSessionsResponse" })

/** A query-string boolean: `true`/`false`/`1`/`0` (any case), as FastAPI accepted them. */
export const BooleanFromQuery = Schema.String.check(Schema.isPattern(/^(true|false|1|0|yes|no|on|off)$/i)).pipe(
  Schema.decodeTo(
    Schema.Boolean,
    SchemaTransformation.transform({
      decode: (value: string) => ["true", "1", "yes", "on"].includes(value.toLowerCase()),
      encode: (value: boolean): string => value ? "true" : "false"
    })
  )
)
