/**
 * The settings of outgoing email: Brevo's API key, base URL, sender and timeout, where admin
 * alerts go, the OTP lifetime shown in codes' emails, and whether emails go to the mail folder
 * instead. Read only through `Config`; the app name and environment come from `AppInfo` in
 * @cuebx/config.
 */
import { AppInfo, DataDirectory, isProduction } from "@cuebx/config"
import { Config, Duration, Option, Redacted } from "effect"

/** `ADMIN_ALERT_EMAIL`: unset, empty or blank means alerts are off. */
export const AdminAlertEmail = Config.option(Config.String("ADMIN_ALERT_EMAIL")).pipe(
  Config.map(Option.flatMap((value) => {
    const trimmed = value.trim()
    return trimmed === "" ? Option.none() : Option.some(trimmed)
  }))
)

const exampleApiKey = "your_brevo_api_key"

export const BrevoSettings = Config.all({
  apiKey: Config.Redacted("BREVO_API_KEY").pipe(Config.withDefault(Redacted.make(exampleApiKey))),
  baseUrl: Config.String("BREVO_BASE_URL").pipe(Config.withDefault("https://api.brevo.com/v3")),
  senderEmail: Config.String("BREVO_SENDER_EMAIL").pipe(Config.withDefault("your_brevo_sender_email")),
  senderName: Config.String("BREVO_SENDER_NAME").pipe(Config.withDefault("your_brevo_sender_name")),
  timeout: Config.Duration("BREVO_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10)))
})
export type BrevoSettings = Config.Success<typeof BrevoSettings>

/**
 * Where emails go: through Brevo, or, outside production while `BREVO_API_KEY` is unset (or blank,
 * or the example value, which Brevo can only refuse), to `<CUEBX_DATA_DIR>/mail`.
 */
export const EmailDelivery = Config.all({
  apiKey: Config.option(Config.String("BREVO_API_KEY")),
  production: isProduction,
  dataDirectory: DataDirectory
}).pipe(Config.map(({ apiKey, production, dataDirectory }) => {
  const key = Option.getOrElse(apiKey, () => "").trim()
  return !production && (key === "" || key === exampleApiKey)
    ? { _tag: "MailFolder" as const, directory: `${dataDirectory}/mail` }
    : { _tag: "Brevo" as const }
}))

export const EmailSettings = Config.all({
  brevo: BrevoSettings,
  adminAlertEmail: AdminAlertEmail,
  otpExpiryMinutes: Config.Int("OTP_EXPIRY_MINUTES").pipe(Config.withDefault(10)),
  appName: AppInfo.pipe(Config.map((app) => app.name)),
  environment: AppInfo.pipe(Config.map((app) => app.environment))
})
export type EmailSettings = Config.Success<typeof EmailSettings>
