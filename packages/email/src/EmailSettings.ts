/**
 * The settings of outgoing email: Brevo's API key, base URL, sender and timeout, where admin
 * alerts go, and the OTP lifetime shown in codes' emails. Read only through `Config`; the app
 * name and environment come from `AppInfo` in @cuebx/config.
 */
import { AppInfo } from "@cuebx/config"
import { Config, Duration, Option, Redacted } from "effect"

/** `ADMIN_ALERT_EMAIL`: unset, empty or blank means alerts are off. */
export const AdminAlertEmail = Config.option(Config.String("ADMIN_ALERT_EMAIL")).pipe(
  Config.map(Option.flatMap((value) => {
    const trimmed = value.trim()
    return trimmed === "" ? Option.none() : Option.some(trimmed)
  }))
)

export const BrevoSettings = Config.all({
  apiKey: Config.Redacted("BREVO_API_KEY").pipe(Config.withDefault(Redacted.make("your_brevo_api_key"))),
  baseUrl: Config.String("BREVO_BASE_URL").pipe(Config.withDefault("https://api.brevo.com/v3")),
  senderEmail: Config.String("BREVO_SENDER_EMAIL").pipe(Config.withDefault("your_brevo_sender_email")),
  senderName: Config.String("BREVO_SENDER_NAME").pipe(Config.withDefault("your_brevo_sender_name")),
  timeout: Config.Duration("BREVO_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10)))
})
export type BrevoSettings = Config.Success<typeof BrevoSettings>

export const EmailSettings = Config.all({
  brevo: BrevoSettings,
  adminAlertEmail: AdminAlertEmail,
  otpExpiryMinutes: Config.Int("OTP_EXPIRY_MINUTES").pipe(Config.withDefault(10)),
  appName: AppInfo.pipe(Config.map((app) => app.name)),
  environment: AppInfo.pipe(Config.map((app) => app.environment))
})
export type EmailSettings = Config.Success<typeof EmailSettings>
