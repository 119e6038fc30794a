/**
 * The secrets of CueBX with the example defaults the reference ships in `.env.example`. Every
 * secret is read through this module, so the production guard knows each one and its default.
 */
import { Config, Redacted } from "effect"
import { createHmac } from "node:crypto"

export interface SecretSetting {
  readonly name: string
  readonly exampleDefault: string
  readonly config: Config.Config<Redacted.Redacted<string>>
}

const secret = (name: string, exampleDefault: string): SecretSetting => ({
  name,
  exampleDefault,
  config: Config.Redacted(name).pipe(Config.withDefault(Redacted.make(exampleDefault)))
})

export const SessionSecretKey = secret("SESSION_SECRET_KEY", "supersecretkey")
export const JwtSecretKey = secret("JWT_SECRET_KEY", "another_supersecret_key")
export const OtpHmacSecret = secret("OTP_HMAC_SECRET", "otp_hmac_secret_key_change_in_production")
export const InternalApiSecret = secret("INTERNAL_API_SECRET", "internal_api_secret_change_in_production")
export const StripeWebhookSecret = secret("STRIPE_WEBHOOK_SECRET", "your_stripe_webhook_secret")
export const StripeApiKey = secret("STRIPE_API_KEY", "your_stripe_api_key")
export const AdminPassword = secret("ADMIN_PASSWORD", "admin_password_change_in_production")

/** Secrets that must be at least this long in production (HMAC and signing keys). */
export const minimumSecretBytes = 32

/** The signing and API secrets the production guard holds to `minimumSecretBytes`. */
export const signingSecrets: ReadonlyArray<SecretSetting> = [
  SessionSecretKey,
  JwtSecretKey,
  OtpHmacSecret,
  InternalApiSecret,
  StripeWebhookSecret,
  StripeApiKey
]

/**
 * HMAC-SHA256 of `message` under `secret`, in hex: how one-time codes, invitation tokens and API
 * keys are stored (the reference's scheme, so its stored values keep matching).
 */
export const hmacHex = (key: Redacted.Redacted<string>, message: string): string =>
  createHmac("sha256", Redacted.value(key)).update(message, "utf8").digest("hex")
