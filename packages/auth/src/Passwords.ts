/**
 * Password hashing with Argon2id. Hashes carried over from the Python service (bcrypt, `$2b$`)
 * still verify, and like Argon2 hashes with outdated parameters they are reported as needing a
 * rehash, which sign-in then does. Verifying against no hash costs the same as a real check.
 */
import { hash, parseOptions, verify } from "@node-rs/argon2"
import bcrypt from "bcryptjs"
import { Context, Effect, Layer } from "effect"
import { PasswordHashSettings } from "./AuthSettings.ts"

export interface PasswordCheck {
  readonly valid: boolean
  /** The hash should be replaced by one with the current parameters. */
  readonly needsRehash: boolean
}

const isBcrypt = (stored: string) => /^\$2[aby]\$/.test(stored)

export class Passwords extends Context.Service<Passwords, {
  hash(password: string): Effect.Effect<string>
  /** `stored` null (no password, or no such user) still does a full verification, then fails. */
  verify(password: string, stored: string | null): Effect.Effect<PasswordCheck>
}>()("@cuebx/auth/Passwords") {
  static readonly layer = Layer.effect(
    Passwords,
    Effect.gen(function*() {
      const settings = yield* PasswordHashSettings
      const options = {
        memoryCost: settings.memoryCost,
        timeCost: settings.timeCost,
        parallelism: settings.parallelism
      }
      const hashPassword = (password: string) => Effect.promise(() => hash(password, options))
      // A hash of a random secret, so that checking an absent user costs one Argon2 verification.
      const decoy = yield* hashPassword(crypto.randomUUID())

      const outdated = (stored: string) => {
        if (isBcrypt(stored)) return true
        const current = parseOptions(stored)
        return current.memoryCost !== settings.memoryCost || current.timeCost !== settings.timeCost ||
          current.parallelism !== settings.parallelism
      }

      return Passwords.of({
        hash: Effect.fn("Passwords.hash")(function*(password: string) {
          return yield* hashPassword(password)
        }),
        verify: Effect.fn("Passwords.verify")(function*(password: string, stored: string | null) {
          if (stored === null) {
            yield* Effect.promise(() => verify(decoy, password))
            return { valid: false, needsRehash: false }
          }
          const valid = isBcrypt(stored)
            ? yield* Effect.promise(() => bcrypt.compare(password, stored))
            : yield* Effect.promise(() => verify(stored, password).catch(() => false))
          return { valid, needsRehash: valid && outdated(stored) }
        })
      })
    })
  )
}
