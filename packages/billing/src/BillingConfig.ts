/**
 * Billing configuration: how to reach Stripe (key, base URL, retries, webhook secret) and the
 * Stripe price ids of the paid plans, under the reference's variable names. The catalogue names a
 * price by its variable (`stripe_price_id_env`); `resolveStripePriceId` turns that name into the
 * configured id and refuses names it does not know.
 */
import { StripeApiKey, StripeWebhookSecret } from "@cuebx/config"
import { Config, ConfigProvider, Data, Duration, Effect, Option } from "effect"

/** Where the Stripe client sends its requests: `STRIPE_API_BASE_URL` split as the client wants it. */
export interface StripeAddress {
  readonly protocol: "http" | "https"
  readonly host: string
  readonly port: string
}

const parseAddress = (url: string): Option.Option<StripeAddress> => {
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return Option.none()
    const protocol = parsed.protocol === "http:" ? "http" : "https"
    return Option.some({ protocol, host: parsed.hostname, port: parsed.port || (protocol === "http" ? "80" : "443") })
  } catch {
    return Option.none()
  }
}

export const StripeSettings = Config.all({
  apiKey: StripeApiKey.config,
  webhookSecret: StripeWebhookSecret.config,
  address: Config.String("STRIPE_API_BASE_URL").pipe(
    Config.withDefault("https://api.stripe.com"),
    Config.mapEffect((url) =>
      Option.match(parseAddress(url), {
        onNone: () =>
          Effect.fail(
            new Config.ConfigError(
              new ConfigProvider.SourceError({ message: `STRIPE_API_BASE_URL is not an http(s) URL: ${url}` })
            )
          ),
        onSome: Effect.succeed
      })
    )
  ),
  /** Network failures and Stripe's 5xx are retried this many times, with the same idempotency key. */
  maxNetworkRetries: Config.Int("STRIPE_MAX_NETWORK_RETRIES").pipe(Config.withDefault(2)),
  timeout: Config.Duration("STRIPE_TIMEOUT").pipe(Config.withDefault(Duration.seconds(20)))
})
export type StripeSettings = Config.Success<typeof StripeSettings>

export const stripePriceEnvNames = [
  "STRIPE_CUBEX_API_PRICE_BASIC",
  "STRIPE_CUBEX_API_SEAT_PRICE_BASIC",
  "STRIPE_CUBEX_API_PRICE_PROFESSIONAL",
  "STRIPE_CUBEX_API_SEAT_PRICE_PROFESSIONAL",
  "STRIPE_CUBEX_CAREER_PRICE_PLUS",
  "STRIPE_CUBEX_CAREER_PRICE_PRO"
] as const
export type StripePriceEnvName = typeof stripePriceEnvNames[number]

const priceId = (name: StripePriceEnvName, fallback: string) => Config.String(name).pipe(Config.withDefault(fallback))

export const StripePriceIds = Config.all({
  STRIPE_CUBEX_API_PRICE_BASIC: priceId("STRIPE_CUBEX_API_PRICE_BASIC", "price_1NEXAMPLEBASIC"),
  STRIPE_CUBEX_API_SEAT_PRICE_BASIC: priceId("STRIPE_CUBEX_API_SEAT_PRICE_BASIC", "price_1NEXAMPLEBASICSEAT"),
  STRIPE_CUBEX_API_PRICE_PROFESSIONAL: priceId("STRIPE_CUBEX_API_PRICE_PROFESSIONAL", "price_1NEXAMPLEPROFESSIONAL"),
  STRIPE_CUBEX_API_SEAT_PRICE_PROFESSIONAL: priceId(
    "STRIPE_CUBEX_API_SEAT_PRICE_PROFESSIONAL",
    "price_1NEXAMPLEPROFESSIONALSEAT"
  ),
  STRIPE_CUBEX_CAREER_PRICE_PLUS: priceId("STRIPE_CUBEX_CAREER_PRICE_PLUS", "price_1NEXAMPLECAREERPLUS"),
  STRIPE_CUBEX_CAREER_PRICE_PRO: priceId("STRIPE_CUBEX_CAREER_PRICE_PRO", "price_1NEXAMPLECAREERPRO")
})
export type StripePriceIds = Config.Success<typeof StripePriceIds>

export class UnknownStripePriceEnv extends Data.TaggedError("UnknownStripePriceEnv")<{
  readonly envName: string
}> {
  override get message() {
    return `Unknown Stripe price variable ${this.envName} (known: ${stripePriceEnvNames.join(", ")})`
  }
}

const isStripePriceEnvName = (name: string): name is StripePriceEnvName =>
  (stripePriceEnvNames as ReadonlyArray<string>).includes(name)

/** The configured price id for a catalogue `*_env` value; `null` stays `null` (no Stripe price). */
export const resolveStripePriceId = (
  priceIds: StripePriceIds,
  envName: string | null
): Effect.Effect<string | null, UnknownStripePriceEnv> => {
  if (envName === null) return Effect.succeed(null)
  return isStripePriceEnvName(envName)
    ? Effect.succeed(priceIds[envName])
    : Effect.fail(new UnknownStripePriceEnv({ envName }))
}
