/**
 * One-time codes (email verification, password reset, passwordless sign-in): `OTP_LENGTH`
 * digits, stored as an HMAC bound to the email and purpose, compared in constant time, single
 * use, `OTP_MAX_ATTEMPTS` wrong guesses at most (counted under a row lock, so concurrent guesses
 * cannot slip past the limit). A new code replaces the previous one. The code travels sealed in
 * the `otp_emails` message, enqueued in the caller's transaction.
 */
import { MessageSecrets, messageType, Outbox, Queues } from "@cuebx/broker"
import { OtpEmailPayload } from "@cuebx/email"
import { Context, Data, Duration, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { createHmac, randomInt, timingSafeEqual } from "node:crypto"
import { AuthSettings } from "./AuthSettings.ts"

export type OtpPurpose = "email_verification" | "password_reset" | "sign_in"

export class OtpInvalid extends Data.TaggedError("OtpInvalid")<{}> {}
export class OtpTooManyAttempts extends Data.TaggedError("OtpTooManyAttempts")<{}> {}

const otpEmail = messageType(Queues.otpEmails, OtpEmailPayload)
const storedPurpose = (purpose: OtpPurpose) => purpose.toUpperCase()

export const generateCode = (length: number) => Array.from({ length }, () => randomInt(10)).join("")

interface ActiveOtp {
  readonly id: string
  readonly codeHash: string
  readonly expiresAt: Date
  readonly attempts: number
  readonly userId: string | null
}

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
      const outbox = yield* Outbox
      const secrets = yield* MessageSecrets
      const settings = yield* AuthSettings
      const secret = Redacted.value(settings.otpSecret)
      const hashCode = (email: string, purpose: OtpPurpose, code: string) =>
        createHmac("sha256", secret).update(`${purpose}:${email}:${code}`).digest("hex")
      const expiryMinutes = Math.round(Duration.toMinutes(settings.otpExpiry))

      const issue = Effect.fn("Otps.issue")(function*(input: {
        readonly email: string
        readonly purpose: OtpPurpose
        readonly userId: string
        readonly userName: string | null
      }) {
        const code = generateCode(settings.otpLength)
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`
            UPDATE otp_tokens SET is_deleted = true, deleted_at = now()
            WHERE email = ${input.email} AND purpose = ${
            storedPurpose(input.purpose)
          } AND used_at IS NULL AND NOT is_deleted`
          yield* sql`
            INSERT INTO otp_tokens (user_id, email, code_hash, purpose, expires_at)
            VALUES (${input.userId}, ${input.email}, ${hashCode(input.email, input.purpose, code)},
                    ${storedPurpose(input.purpose)}, now() + ${expiryMinutes} * interval '1 minute')`
          yield* outbox.enqueue(otpEmail, {
            email: input.email,
            otp_code: secrets.seal(code),
            purpose: input.purpose,
            user_name: input.userName,
            expiry_minutes: expiryMinutes
          })
        }))
      }, Effect.orDie)

      const verify = Effect.fn("Otps.verify")(function*(email: string, purpose: OtpPurpose, code: string) {
        return yield* sql.withTransaction(Effect.gen(function*() {
          const [otp] = yield* sql<ActiveOtp>`
            SELECT id, code_hash, expires_at, attempts, user_id FROM otp_tokens
            WHERE email = ${email} AND purpose = ${storedPurpose(purpose)} AND used_at IS NULL AND NOT is_deleted
            ORDER BY created_at DESC LIMIT 1
            FOR UPDATE`.pipe(Effect.orDie)
          if (otp === undefined) return yield* new OtpInvalid()
          if (otp.attempts >= settings.otpMaxAttempts) return yield* new OtpTooManyAttempts()
          if (otp.expiresAt.getTime() <= Date.now()) return yield* new OtpInvalid()
          const expected = Buffer.from(otp.codeHash, "hex")
          const given = Buffer.from(hashCode(email, purpose, code), "hex")
          if (code.length !== settings.otpLength || !timingSafeEqual(expected, given)) {
            yield* sql`UPDATE otp_tokens SET attempts = attempts + 1 WHERE id = ${otp.id}`.pipe(Effect.orDie)
            return { rejected: true as const }
          }
          yield* sql`UPDATE otp_tokens SET used_at = now() WHERE id = ${otp.id}`.pipe(Effect.orDie)
          return { rejected: false as const, userId: otp.userId }
        })).pipe(
          Effect.catchTag("SqlError", Effect.die),
          // The failed attempt is committed above; only then is the caller told.
          Effect.flatMap((outcome) =>
            outcome.rejected ? Effect.fail(new OtpInvalid()) : Effect.succeed({ userId: outcome.userId })
          )
        )
      })

      return Otps.of({ issue, verify })
    })
  )
}
