/**
 * One-time codes (email verification, password reset, passwordless sign-in): `OTP_LENGTH`
 * digits, stored as an HMAC bound to the email and purpose, compared in constant time, single
 * use, `OTP_MAX_ATTEMPTS` wrong guesses at most (counted under a row lock, so concurrent guesses
 * cannot slip past the limit). A new code replaces the previous one. The code travels sealed in
 * the `otp_emails` message, enqueued in the caller's transaction. Expiry is the application's
 * `Clock`: it stamps `expires_at` and decides against it.
 */
import { MessageSecrets, Outbox } from "@cuebx/broker"
import { hmacHex } from "@cuebx/config"
import { TimestampColumn, transactionWith, UpperCaseEnum } from "@cuebx/db"
import { OtpEmailMessage } from "@cuebx/email"
import { Context, Data, DateTime, Duration, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { randomInt, timingSafeEqual } from "node:crypto"
import { AuthSettings } from "./AuthSettings.ts"

/** Stored as `'EMAIL_VERIFICATION'`, `'PASSWORD_RESET'`, `'SIGN_IN'`. */
export const OtpPurpose = UpperCaseEnum(["email_verification", "password_reset", "sign_in"])
export type OtpPurpose = typeof OtpPurpose.Type

export class OtpInvalid extends Data.TaggedError("OtpInvalid")<{}> {}
export class OtpTooManyAttempts extends Data.TaggedError("OtpTooManyAttempts")<{}> {}

export const generateCode = (length: number) => Array.from({ length }, () => randomInt(10)).join("")

const ActiveOtp = Schema.Struct({
  id: Schema.String,
  codeHash: Schema.String,
  expiresAt: TimestampColumn,
  attempts: Schema.Int,
  userId: Schema.NullOr(Schema.String)
})

const CodeOf = Schema.Struct({ email: Schema.String, purpose: OtpPurpose })

export class Otps extends Context.Service<Otps, {
  /** Replaces any previous code of this email and purpose and enqueues the email. */
  issue(input: {
    readonly email: string
    readonly purpose: OtpPurpose
    readonly userId: string
    readonly userName: string | null
  }): Effect.Effect<void>
  /** Consumes the code; run it in its own transaction so a failed attempt is counted for good. */
  verify(
    email: string,
    purpose: OtpPurpose,
    code: string
  ): Effect.Effect<{ readonly userId: string | null }, OtpInvalid | OtpTooManyAttempts>
}>()("@cuebx/auth/Otps") {
  static readonly layer = Layer.effect(
    Otps,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const transaction = transactionWith(sql)
      const outbox = yield* Outbox
      const secrets = yield* MessageSecrets
      const settings = yield* AuthSettings
      const hashCode = (email: string, purpose: OtpPurpose, code: string) =>
        hmacHex(settings.otpSecret, `${purpose}:${email}:${code}`)
      const expiryMinutes = Math.round(Duration.toMinutes(settings.otpExpiry))

      const retirePrevious = SqlSchema.void({
        Request: Schema.Struct({ ...CodeOf.fields, now: TimestampColumn }),
        execute: ({ email, now, purpose }) =>
          sql`
            UPDATE otp_tokens SET is_deleted = true, deleted_at = ${now}
            WHERE email = ${email} AND purpose = ${purpose} AND used_at IS NULL AND NOT is_deleted`
      })
      const insert = SqlSchema.void({
        Request: Schema.Struct({
          ...CodeOf.fields,
          userId: Schema.String,
          codeHash: Schema.String,
          createdAt: TimestampColumn,
          expiresAt: TimestampColumn
        }),
        execute: (otp) => sql`INSERT INTO otp_tokens ${sql.insert(otp)}`
      })
      const findActive = SqlSchema.findOneOption({
        Request: CodeOf,
        Result: ActiveOtp,
        execute: ({ email, purpose }) =>
          sql`
            SELECT id, code_hash, expires_at, attempts, user_id FROM otp_tokens
            WHERE email = ${email} AND purpose = ${purpose} AND used_at IS NULL AND NOT is_deleted
            ORDER BY created_at DESC LIMIT 1
            FOR UPDATE`
      })
      const countAttempt = SqlSchema.void({
        Request: Schema.String,
        execute: (id) => sql`UPDATE otp_tokens SET attempts = attempts + 1 WHERE id = ${id}`
      })
      const markUsed = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, now: TimestampColumn }),
        execute: ({ id, now }) => sql`UPDATE otp_tokens SET used_at = ${now} WHERE id = ${id}`
      })

      const issue = Effect.fn("Otps.issue")(function*(input: {
        readonly email: string
        readonly purpose: OtpPurpose
        readonly userId: string
        readonly userName: string | null
      }) {
        const code = generateCode(settings.otpLength)
        const now = yield* DateTime.now
        yield* transaction(
          Effect.gen(function*() {
            yield* retirePrevious({ email: input.email, purpose: input.purpose, now })
            yield* insert({
              email: input.email,
              purpose: input.purpose,
              userId: input.userId,
              codeHash: hashCode(input.email, input.purpose, code),
              createdAt: now,
              expiresAt: DateTime.addDuration(now, settings.otpExpiry)
            })
            yield* outbox.enqueue(OtpEmailMessage, {
              email: input.email,
              otp_code: secrets.seal(code),
              purpose: input.purpose,
              user_name: input.userName,
              expiry_minutes: expiryMinutes
            })
          }).pipe(Effect.catchTag("SchemaError", Effect.die))
        )
      })

      const verify = Effect.fn("Otps.verify")(function*(email: string, purpose: OtpPurpose, code: string) {
        const outcome = yield* transaction(
          Effect.gen(function*() {
            const found = yield* findActive({ email, purpose })
            if (Option.isNone(found)) return yield* new OtpInvalid()
            const otp = found.value
            if (otp.attempts >= settings.otpMaxAttempts) return yield* new OtpTooManyAttempts()
            const now = yield* DateTime.now
            if (DateTime.isLessThanOrEqualTo(otp.expiresAt, now)) return yield* new OtpInvalid()
            const expected = Buffer.from(otp.codeHash, "hex")
            const given = Buffer.from(hashCode(email, purpose, code), "hex")
            if (code.length !== settings.otpLength || !timingSafeEqual(expected, given)) {
              yield* countAttempt(otp.id)
              return { rejected: true as const }
            }
            yield* markUsed({ id: otp.id, now })
            return { rejected: false as const, userId: otp.userId }
          }).pipe(Effect.catchTag("SchemaError", Effect.die))
        )
        // The failed attempt is committed above; only then is the caller told.
        if (outcome.rejected) return yield* new OtpInvalid()
        return { userId: outcome.userId }
      })

      return Otps.of({ issue, verify })
    })
  )
}
