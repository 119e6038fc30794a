import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Option, Redacted } from "effect"
import { EmailSettings } from "../src/EmailSettings.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))

describe("EmailSettings", () => {
  it.effect("defaults to the reference's .env.example values", () =>
    Effect.gen(function*() {
      const settings = yield* EmailSettings.pipe(withEnv({}))
      assert.strictEqual(Redacted.value(settings.brevo.apiKey), "your_brevo_api_key")
      assert.strictEqual(settings.brevo.baseUrl, "https://api.brevo.com/v3")
      assert.strictEqual(settings.brevo.senderEmail, "your_brevo_sender_email")
      assert.strictEqual(settings.brevo.senderName, "your_brevo_sender_name")
      assert.strictEqual(Duration.toMillis(settings.brevo.timeout), 10_000)
      assert.isTrue(Option.isNone(settings.adminAlertEmail))
      assert.strictEqual(settings.otpExpiryMinutes, 10)
      assert.strictEqual(settings.appName, "CueBX")
      assert.strictEqual(settings.environment, "development")
    }))

  it.effect("reads every variable", () =>
    Effect.gen(function*() {
      const settings = yield* EmailSettings.pipe(withEnv({
        BREVO_API_KEY: "xkeysib-123",
        BREVO_BASE_URL: "http://127.0.0.1:9999/v3",
        BREVO_SENDER_EMAIL: "no-reply@cuebx.example",
        BREVO_SENDER_NAME: "CueBX Team",
        BREVO_TIMEOUT: "2500 millis",
        ADMIN_ALERT_EMAIL: "ops@cuebx.example",
        OTP_EXPIRY_MINUTES: "15",
        APP_NAME: "CueBX Staging",
        ENVIRONMENT: "staging"
      }))
      assert.strictEqual(Redacted.value(settings.brevo.apiKey), "xkeysib-123")
      assert.notInclude(String(settings.brevo.apiKey), "xkeysib")
      assert.strictEqual(settings.brevo.baseUrl, "http://127.0.0.1:9999/v3")
      assert.strictEqual(settings.brevo.senderEmail, "no-reply@cuebx.example")
      assert.strictEqual(settings.brevo.senderName, "CueBX Team")
      assert.strictEqual(Duration.toMillis(settings.brevo.timeout), 2500)
      assert.deepStrictEqual(settings.adminAlertEmail, Option.some("ops@cuebx.example"))
      assert.strictEqual(settings.otpExpiryMinutes, 15)
      assert.strictEqual(settings.appName, "CueBX Staging")
      assert.strictEqual(settings.environment, "staging")
    }))

  it.effect("treats an empty or blank ADMIN_ALERT_EMAIL as off", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone((yield* EmailSettings.pipe(withEnv({ ADMIN_ALERT_EMAIL: "" }))).adminAlertEmail))
      assert.isTrue(Option.isNone((yield* EmailSettings.pipe(withEnv({ ADMIN_ALERT_EMAIL: "  " }))).adminAlertEmail))
    }))

  it.effect("rejects a malformed timeout or expiry", () =>
    Effect.gen(function*() {
      const timeout = yield* EmailSettings.pipe(withEnv({ BREVO_TIMEOUT: "soon" }), Effect.flip)
      assert.strictEqual(timeout._tag, "ConfigError")
      const expiry = yield* EmailSettings.pipe(withEnv({ OTP_EXPIRY_MINUTES: "ten" }), Effect.flip)
      assert.strictEqual(expiry._tag, "ConfigError")
    }))
})
