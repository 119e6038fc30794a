/**
 * Identifiers and shared value shapes on the wire: UUIDs in paths and bodies (a malformed one is
 * a 422, never a 500 from the database), instants as ISO-8601 strings (`DateTime.Utc` in code),
 * amounts as decimal strings like the reference (`"19.00"`, `BigDecimal` in code), and trimmed,
 * length-limited names.
 */
import { BigDecimal, Effect, Option, Schema, SchemaIssue, SchemaTransformation } from "effect"

/** A UUID of any version, compared and returned in lower case. */
export const Uuid = Schema.String.pipe(
  Schema.decodeTo(
    Schema.String.check(Schema.isUUID()),
    SchemaTransformation.transform({ decode: (raw: string) => raw.toLowerCase(), encode: (id) => id })
  )
).annotate({ format: "uuid", description: "A UUID" })

const amountDecimals = 2

/** `12.5` → `"12.50"`: the amount rounded half-even to two decimals, written out in full. */
export const formatAmount = (amount: BigDecimal.BigDecimal): string => {
  const rounded = BigDecimal.scale(
    BigDecimal.round(amount, { scale: amountDecimals, mode: "half-even" }),
    amountDecimals
  )
  const negative = rounded.value < 0n
  const digits = (negative ? -rounded.value : rounded.value).toString().padStart(amountDecimals + 1, "0")
  return `${negative ? "-" : ""}${digits.slice(0, -amountDecimals)}.${digits.slice(-amountDecimals)}`
}

const amountFromString = SchemaTransformation.transformEffect<BigDecimal.BigDecimal, string>({
  decode: (text, options) =>
    Option.match(BigDecimal.fromString(text), {
      onNone: () => Effect.fail(new SchemaIssue.InvalidValue({ expected: "a decimal amount" }, text, options)),
      onSome: Effect.succeed
    }),
  encode: (amount) => Effect.succeed(formatAmount(amount))
})

/** A decimal amount (money, credits): `BigDecimal` in code, `"19.00"` on the wire. */
export const Amount = Schema.String.annotate({
  pattern: "^-?\\d+(\\.\\d+)?$",
  description: "A decimal amount as a string with two decimals, e.g. \"19.00\""
}).pipe(Schema.decodeTo(Schema.BigDecimal, amountFromString))

/** Trimmed on decode, then `min`..`max` characters: `"   "` is rejected, not stored. */
export const TrimmedText = (min: number, max: number) =>
  Schema.String.pipe(
    Schema.decodeTo(
      Schema.String.check(Schema.isMinLength(min), Schema.isMaxLength(max)),
      SchemaTransformation.trim()
    )
  )

/** An instant: `DateTime.Utc` in code, ISO-8601 UTC on the wire (`2024-01-15T10:30:00.000Z`). */
export const Timestamp = Schema.String.annotate({ format: "date-time", description: "An ISO-8601 UTC timestamp" }).pipe(
  Schema.decodeTo(Schema.DateTimeUtcFromString)
)
