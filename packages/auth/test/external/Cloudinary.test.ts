import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { createHash } from "node:crypto"
import { Cloudinary, signUploadParams } from "../../src/external/Cloudinary.ts"

const apiSecret = "Zx9-cloudinary-api-secret-value"

const cloudinaryWith = (env: Readonly<Record<string, string>>) =>
  Cloudinary.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

const configured = cloudinaryWith({
  CLOUDINARY_CLOUD_NAME: "cuebx-demo",
  CLOUDINARY_API_KEY: "123456789012345",
  CLOUDINARY_API_SECRET: apiSecret
})

describe("Cloudinary upload credentials", () => {
  it.effect("are exactly the reference's answer, signed over folder and timestamp with the secret", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_767_225_600_987)
      const cloudinary = yield* Cloudinary
      assert.isTrue(cloudinary.isConfigured)
      const credentials = yield* cloudinary.uploadCredentials
      const expectedSignature = createHash("sha1")
        .update(`folder=avatars&timestamp=1767225600${apiSecret}`)
        .digest("hex")
      assert.deepStrictEqual(credentials, {
        upload_url: "https://api.cloudinary.com/v1_1/cuebx-demo/image/upload",
        api_key: "123456789012345",
        timestamp: 1_767_225_600,
        signature: expectedSignature,
        cloud_name: "cuebx-demo",
        folder: "avatars",
        resource_type: "image",
        upload_preset: null,
        eager: null
      })
      assert.notInclude(JSON.stringify(credentials), apiSecret)
    }).pipe(Effect.provide(configured)))

  it.effect("the timestamp follows the clock and changes the signature", () =>
    Effect.gen(function*() {
      const cloudinary = yield* Cloudinary
      yield* TestClock.setTime(1_000_000_000_000)
      const first = yield* cloudinary.uploadCredentials
      yield* TestClock.adjust("90 seconds")
      const second = yield* cloudinary.uploadCredentials
      assert.strictEqual(first.timestamp, 1_000_000_000)
      assert.strictEqual(second.timestamp, 1_000_000_090)
      assert.notStrictEqual(first.signature, second.signature)
      assert.match(second.signature, /^[0-9a-f]{40}$/)
    }).pipe(Effect.provide(configured)))

  it("the signing scheme matches Cloudinary's documented example", () => {
    const signature = signUploadParams(
      { timestamp: 1315060510, public_id: "sample_image", eager: "w_400,h_300,c_pad|w_260,h_200,c_crop" },
      Redacted.make("abcd")
    )
    assert.strictEqual(signature, "bfd09f95f331f558cbd1320e67aa8d488770583e")
  })

  it.effect.each([
    { name: "the reference's placeholders (the defaults)", env: {} },
    {
      name: "empty values",
      env: { CLOUDINARY_CLOUD_NAME: "", CLOUDINARY_API_KEY: "", CLOUDINARY_API_SECRET: "" }
    },
    {
      name: "one placeholder left (the secret)",
      env: { CLOUDINARY_CLOUD_NAME: "cuebx-demo", CLOUDINARY_API_KEY: "123456789012345" }
    },
    {
      name: "one empty value (the cloud name)",
      env: { CLOUDINARY_CLOUD_NAME: " ", CLOUDINARY_API_KEY: "123456789012345", CLOUDINARY_API_SECRET: apiSecret }
    }
  ])("not configured with $name", ({ env }) =>
    Effect.gen(function*() {
      const cloudinary = yield* Cloudinary
      assert.isFalse(cloudinary.isConfigured)
      const error = yield* Effect.flip(cloudinary.uploadCredentials)
      assert.strictEqual(error._tag, "CloudinaryNotConfigured")
      assert.strictEqual(error.message, "Cloudinary is not properly configured.")
      assert.isFalse(cloudinary.isAvatarUrl("https://res.cloudinary.com/cuebx-demo/image/upload/v1/avatars/a.jpg"))
    }).pipe(Effect.provide(cloudinaryWith(env))))
})

describe("Cloudinary avatar URLs", () => {
  it.effect.each(
    [
      ["https://res.cloudinary.com/cuebx-demo/image/upload/v1767225600/avatars/abc123.jpg", true],
      ["https://res.cloudinary.com/cuebx-demo/image/upload/c_fill,w_200/v1/avatars/abc.png", true],
      ["https://RES.cloudinary.com/cuebx-demo/image/upload/v1/avatars/abc.png", true],
      ["http://res.cloudinary.com/cuebx-demo/image/upload/v1/avatars/abc.jpg", false],
      ["https://res.cloudinary.com/another-cloud/image/upload/v1/avatars/abc.jpg", false],
      ["https://res.cloudinary.com/cuebx-demo-evil/image/upload/v1/a.jpg", false],
      ["https://res.cloudinary.com/cuebx-demo", false],
      ["https://res.cloudinary.com/cuebx-demo/", false],
      ["https://res.cloudinary.com/cuebx-demo/../another-cloud/image/upload/a.jpg", false],
      ["https://res.cloudinary.com.evil.example/cuebx-demo/image/upload/a.jpg", false],
      ["https://evil.example/res.cloudinary.com/cuebx-demo/image/upload/a.jpg", false],
      ["https://res.cloudinary.com@evil.example/cuebx-demo/image/upload/a.jpg", false],
      ["https://user:pass@res.cloudinary.com/cuebx-demo/image/upload/a.jpg", false],
      ["https://res.cloudinary.com:8443/cuebx-demo/image/upload/a.jpg", false],
      ["javascript:alert(1)//res.cloudinary.com/cuebx-demo/", false],
      ["//res.cloudinary.com/cuebx-demo/image/upload/a.jpg", false],
      ["not a url", false],
      ["", false]
    ] as const
  )("%s -> %s", ([url, expected]) =>
    Effect.gen(function*() {
      const cloudinary = yield* Cloudinary
      assert.strictEqual(cloudinary.isAvatarUrl(url), expected)
    }).pipe(Effect.provide(configured)))
})
