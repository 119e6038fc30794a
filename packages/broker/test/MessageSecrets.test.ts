import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { isSealed, MessageSecrets } from "../src/MessageSecrets.ts"
import { redactBody, redactValue } from "../src/Redaction.ts"

const secrets = (key: string) =>
  MessageSecrets.layer.pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ SESSION_SECRET_KEY: key })))
  )

const sealerWithKey = (key: string) =>
  Effect.gen(function*() {
    return yield* MessageSecrets
  }).pipe(Effect.provide(secrets(key)))

describe("MessageSecrets", () => {
  it.effect("seals and opens a value; every seal differs", () =>
    Effect.gen(function*() {
      const sealing = yield* MessageSecrets
      const first = sealing.seal("123456")
      const second = sealing.seal("123456")
      assert.isTrue(isSealed(first))
      assert.notStrictEqual(first, second)
      assert.notInclude(first, "123456")
      assert.strictEqual(yield* sealing.open(first), "123456")
      assert.strictEqual(yield* sealing.open("plain, from an older publisher"), "plain, from an older publisher")
    }).pipe(Effect.provide(secrets("k".repeat(40)))))

  it.effect("refuses a value sealed with another key, or altered", () =>
    Effect.gen(function*() {
      const sealed = (yield* sealerWithKey("a".repeat(40))).seal("123456")
      const other = yield* sealerWithKey("b".repeat(40))
      assert.strictEqual((yield* other.open(sealed).pipe(Effect.flip))._tag, "UnsealFailed")
      const same = yield* sealerWithKey("a".repeat(40))
      const altered = sealed.slice(0, -2) + (sealed.endsWith("A") ? "BB" : "AA")
      assert.strictEqual((yield* same.open(altered).pipe(Effect.flip))._tag, "UnsealFailed")
    }))
})

describe("redaction", () => {
  it("hides secret fields, tokens in links and sealed values, keeps the rest", () => {
    assert.deepStrictEqual(
      redactValue({
        email: "ada@example.com",
        otp_code: "123456",
        nested: { refresh_token: "r", note: "see https://app.example/accept?token=abc&x=1" },
        sealed: "sealed:v1:AAAA",
        list: [{ password: "p" }]
      }),
      {
        email: "ada@example.com",
        otp_code: "[REDACTED]",
        nested: { refresh_token: "[REDACTED]", note: "see https://app.example/accept?token=[REDACTED]&x=1" },
        sealed: "[REDACTED]",
        list: [{ password: "[REDACTED]" }]
      }
    )
    assert.strictEqual(redactBody("not json ?token=abc"), "not json ?token=[REDACTED]")
  })
})
