/**
 * Billing configuration: the Stripe price ids of the paid plans, under the reference's variable
 * names. The catalogue names a price by its variable (`stripe_price_id_env`); `resolveStripePriceId`
 * turns that name into the configured id and refuses names it does not know.
 */
import { Config, Data, Effect } from "effect"

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
