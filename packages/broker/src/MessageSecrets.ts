/**
 * Secrets inside queue payloads (one-time codes, invitation tokens) travel sealed: AES-256-GCM
 * with a key derived from SESSION_SECRET_KEY. Dead letters can then be stored, shown, alerted
 * about and replayed verbatim without a secret ever appearing in clear outside its handler.
 */
import { SessionSecretKey } from "@cuebx/config"
import { Context, Data, Effect, Layer, Redacted } from "effect"
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto"

const prefix = "sealed:v1:"

export class UnsealFailed extends Data.TaggedError("UnsealFailed")<{ readonly reason: string }> {}

export const isSealed = (value: string) => value.startsWith(prefix)

export const sealingKey = (secret: string) =>
  Buffer.from(hkdfSync("sha256", secret, "cuebx", "cuebx/queue-secrets/v1", 32))

export const sealWith = (key: Buffer, plaintext: string): string => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
  return prefix + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64url")
}

export const unsealWith = (key: Buffer, sealed: string): string => {
  const packed = Buffer.from(sealed.slice(prefix.length), "base64url")
  const decipher = createDecipheriv("aes-256-gcm", key, packed.subarray(0, 12))
  decipher.setAuthTag(packed.subarray(12, 28))
  return Buffer.concat([decipher.update(packed.subarray(28)), decipher.final()]).toString("utf8")
}

export class MessageSecrets extends Context.Service<MessageSecrets, {
  seal(plaintext: string): string
  /** Opens a sealed value; a value that was never sealed (an older publisher's) is returned as is. */
  open(value: string): Effect.Effect<string, UnsealFailed>
  /** Opens every sealed string inside a decoded payload, keeping its shape. */
  openAll<A>(payload: A): Effect.Effect<A, UnsealFailed>
}>()("@cuebx/broker/MessageSecrets") {
  static readonly layer = Layer.effect(
    MessageSecrets,
    Effect.gen(function*() {
      const key = sealingKey(Redacted.value(yield* SessionSecretKey.config))
      const open = (value: string) =>
        isSealed(value)
          ? Effect.try({
            try: () => unsealWith(key, value),
            catch: () => new UnsealFailed({ reason: "the value was sealed with another key or was altered" })
          })
          : Effect.succeed(value)
      const openValue = (value: unknown): Effect.Effect<unknown, UnsealFailed> => {
        if (typeof value === "string") return open(value)
        if (Array.isArray(value)) return Effect.forEach(value, openValue)
        if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
          return Effect.forEach(
            Object.entries(value),
            ([field, inner]) => Effect.map(openValue(inner), (opened) => [field, opened] as const)
          )
            .pipe(Effect.map(Object.fromEntries))
        }
        return Effect.succeed(value)
      }
      return MessageSecrets.of({
        seal: (plaintext) => sealWith(key, plaintext),
        open,
        // The walk keeps every key and only replaces sealed strings by their plaintext.
        openAll: <A>(payload: A) => openValue(payload) as Effect.Effect<A, UnsealFailed>
      })
    })
  )
}
