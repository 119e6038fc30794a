/**
 * The typed RPC at `/rpc` (`UsageRpcs`) through the client internal services install: the same
 * services as REST, each refusal a typed error, the internal key on every call and the user's
 * token on `CareerValidate`, and the route's HTTP edge (405 on other methods).
 */
import { UsageClient } from "@cuebx/usage-client"
import { assert, describe, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { HttpServer } from "effect/http"
import { authTestLayer, call } from "../auth/support.ts"
import {
  apiKeyFixture,
  careerUser,
  careerValidateBody,
  grantedOf,
  internalKey,
  setPricing,
  validateBody
} from "./support.ts"

/** The client, configured as a service would configure it, aimed at the API served in-process. */
const clientWith = (key?: string) =>
  Effect.gen(function*() {
    const server = yield* HttpServer.HttpServer
    const address = server.address as { readonly port: number }
    const config = {
      CUEBX_API_URL: `http://127.0.0.1:${address.port}`,
      INTERNAL_API_SECRET: key ?? (yield* internalKey)
    }
    return UsageClient.layerFetch.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(config))))
  })

const withClient = <A, E, R>(use: (client: UsageClient["Service"]) => Effect.Effect<A, E, R>, key?: string) =>
  Effect.gen(function*() {
    const layer = yield* clientWith(key)
    return yield* Effect.gen(function*() {
      return yield* use(yield* UsageClient)
    }).pipe(Effect.provide(layer))
  })

layer(authTestLayer(), { excludeTestServices: true })("metered usage over the typed RPC", (it) => {
  describe("Validate and Commit", () => {
    it.effect("grant, commit, replay, and the rate limits as data", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const body = validateBody(fixture) as never
        const result = yield* withClient((client) =>
          Effect.gen(function*() {
            const granted = yield* client.validate(body)
            const replay = yield* client.validate(body)
            const committed = yield* client.commit({
              api_key: fixture.liveKey,
              usage_id: granted.usage_id!,
              success: true
            })
            const again = yield* client.commit({ api_key: fixture.liveKey, usage_id: granted.usage_id!, success: true })
            return { granted, replay, committed, again }
          })
        )
        assert.strictEqual(result.granted.access, "granted")
        assert.strictEqual(result.granted.message, "Access granted. 9999.00 credits remaining after this request.")
        assert.strictEqual(result.granted.rate_limit?.limit_minute, 60)
        assert.strictEqual(result.granted.rate_limit?.remaining_minute, 59)
        assert.deepStrictEqual(
          [result.replay.usage_id, result.replay.message, result.replay.rate_limit],
          [result.granted.usage_id, "Request already processed (idempotent). Access: granted", null]
        )
        assert.deepStrictEqual(result.committed, { success: true, message: "Usage committed as SUCCESS." })
        assert.deepStrictEqual(result.again, { success: true, message: "Usage already committed as SUCCESS." })
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00")
      }))

    it.effect("every refusal is its typed error", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture("Professional")
        const other = yield* apiKeyFixture()
        const refusals = yield* withClient((client) =>
          Effect.gen(function*() {
            const tagOf = (overrides: Record<string, unknown>) =>
              client.validate(validateBody(fixture, overrides) as never).pipe(
                Effect.flip,
                Effect.map((error) => [error._tag, "message" in error ? error.message : ""] as const)
              )
            const malformed = yield* tagOf({ api_key: "nope" })
            const rejected = yield* tagOf({ api_key: "cbx_live_unknown" })
            const foreign = yield* tagOf({ api_key: other.liveKey })
            const body = validateBody(fixture)
            yield* client.validate(body as never)
            const conflict = yield* tagOf({ request_id: body.request_id })
            yield* setPricing("API", "Professional", { credits: "0.00" })
            const quota = yield* client.validate(validateBody(fixture) as never).pipe(Effect.flip)
            yield* setPricing("API", "Professional", { credits: "100000.00", perMinute: 1 })
            yield* client.validate(validateBody(fixture) as never).pipe(Effect.ignore)
            const limited = yield* client.validate(validateBody(fixture) as never).pipe(Effect.flip)
            yield* setPricing("API", "Professional", { perMinute: 300 })
            return { malformed, rejected, foreign, conflict, quota, limited }
          })
        )
        assert.deepStrictEqual(refusals.malformed, ["UsageApiKeyMalformed", "Invalid API key format."])
        assert.deepStrictEqual(refusals.rejected, ["UsageApiKeyRejected", "API key not found, expired, or revoked."])
        assert.deepStrictEqual(refusals.foreign, [
          "UsageApiKeyOfOtherWorkspace",
          "API key does not belong to the specified workspace."
        ])
        assert.deepStrictEqual(refusals.conflict[0], "UsageRequestConflict")
        assert.strictEqual(refusals.quota._tag, "UsageQuotaExceeded")
        if (refusals.quota._tag === "UsageQuotaExceeded") {
          assert.strictEqual(
            refusals.quota.message,
            "Quota exceeded. Used 1.00/0.00 credits. This request requires 1.00 credits."
          )
          assert.isString(refusals.quota.usage_id)
        }
        assert.strictEqual(refusals.limited._tag, "UsageRateLimited")
        if (refusals.limited._tag === "UsageRateLimited") {
          assert.strictEqual(refusals.limited.window, "minute")
          assert.isAbove(refusals.limited.retry_after_seconds, 0)
        }
      }))

    it.effect("a wrong internal key is a typed 401 on every call", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const error = yield* withClient(
          (client) => client.validate(validateBody(fixture) as never).pipe(Effect.flip),
          "not-the-key"
        )
        assert.deepStrictEqual([error._tag, "message" in error ? error.message : ""], [
          "UsageUnauthorized",
          "Invalid internal API key."
        ])
        const commitError = yield* withClient(
          (client) =>
            client.commit({ api_key: fixture.liveKey, usage_id: crypto.randomUUID(), success: true }).pipe(Effect.flip),
          "not-the-key"
        )
        assert.strictEqual(commitError._tag, "UsageUnauthorized")
        const raw = yield* call("POST", "/rpc", {
          body: `${
            JSON.stringify({
              _tag: "Request",
              id: 1,
              tag: "Commit",
              payload: { api_key: fixture.liveKey, usage_id: crypto.randomUUID(), success: true },
              headers: []
            })
          }\n`,
          headers: { "content-type": "application/ndjson" }
        })
        assert.strictEqual(raw.status, 200)
        assert.include(raw.text, "Missing X-Internal-API-Key header.")
        const get = yield* call("GET", "/rpc")
        assert.deepStrictEqual([get.status, get.headers["allow"]], [405, "POST"])
      }))
  })

  describe("CareerValidate and CareerCommit", () => {
    it.effect("validate as the token's user, commit with the result; a bad token is a typed 401", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        const outcome = yield* withClient((client) =>
          Effect.gen(function*() {
            const granted = yield* client.validateCareer(careerValidateBody() as never, Redacted.make(user.token))
            const committed = yield* client.commitCareer({
              user_id: user.id,
              usage_id: granted.usage_id!,
              success: true,
              result_data: { answer: 42 }
            })
            const badToken = yield* client.validateCareer(careerValidateBody() as never, Redacted.make("nope")).pipe(
              Effect.flip
            )
            yield* setPricing("CAREER", "Free", { credits: "0.00" })
            const quota = yield* client.validateCareer(careerValidateBody() as never, Redacted.make(user.token)).pipe(
              Effect.flip
            )
            yield* setPricing("CAREER", "Free", { credits: "100.00" })
            return { granted, committed, badToken, quota }
          })
        )
        assert.deepInclude(outcome.granted, {
          access: "granted",
          user_id: user.id,
          message: "Access granted. 98.00 credits remaining after this request."
        })
        assert.deepStrictEqual(outcome.committed, { success: true, message: "Usage committed as SUCCESS." })
        assert.deepStrictEqual([outcome.badToken._tag, "message" in outcome.badToken ? outcome.badToken.message : ""], [
          "UsageUnauthorized",
          "Invalid or expired access token"
        ])
        assert.strictEqual(outcome.quota._tag, "UsageQuotaExceeded")
        const history = yield* call("GET", "/career/history", { token: user.token })
        assert.deepStrictEqual(
          (history.json as { items: Array<{ result_data: unknown }> }).items.map((item) => item.result_data),
          [
            { answer: 42 }
          ]
        )
      }))
  })
})
