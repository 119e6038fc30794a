/**
 * Identifiers and shared value shapes on the wire: UUIDs in paths and bodies (a malformed one is
 * a 422, never a 500 from the database), amounts as decimal strings like the reference
 * (`"19.00"`), and trimmed, length-limited names.
 */
import { Schema, SchemaTransformation } from "effect"

/** A UUID of any version, compared and returned in lower case. */
export const Uuid = Schema.String.pipe(
  Schema.decodeTo(
    Schema.String.check(Schema.isUUID()),
    SchemaTransformation.transform({ decode: (raw: string) => raw.toLowerCase(), encode: (id) => id })
  )
).annotate({ format: "uuid", description: "A UUID" })

/** An amount with two decimals, as a string (`"5000.00"`). */
export const DecimalString = Schema.String.annotate({
  pattern: "^-?\\d+(\\.\\d+)?$",
  description: "A decimal amount as a string, e.g. \"19.00\""
})

/** Trimmed on decode, then `min`..`max` characters: `"   "` is rejected, not stored. */
export const TrimmedText = (min: number, max: number) =>
  Schema.String.pipe(
    Schema.decodeTo(
      Schema.String.check(Schema.isMinLength(min), Schema.isMaxLength(max)),
      SchemaTransformation.trim()
    )
  )

/** An ISO-8601 UTC timestamp (`2024-01-15T10:30:00.000Z`). */
export const Timestamp = Schema.String.annotate({ format: "date-time" })
