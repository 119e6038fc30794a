import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import { HttpServerRequest } from "effect/http"
import { ClientIp, clientIpOf, normalizeIp } from "../src/ClientIp.ts"

const request = (remoteAddress: string | undefined, forwardedFor?: string) =>
  HttpServerRequest.fromWeb(
    new Request("http://localhost/auth/signin", {
      headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }
    })
  ).modify({ remoteAddress: Option.fromUndefinedOr(remoteAddress) })

const layerWith = (env: Record<string, string>) =>
  ClientIp.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

describe("ClientIp", () => {
  it("uses the socket's address when there is no header", () => {
    assert.strictEqual(clientIpOf(request("203.0.113.7"), 0), "203.0.113.7")
    assert.strictEqual(clientIpOf(request("203.0.113.7"), 1), "203.0.113.7")
    assert.strictEqual(clientIpOf(request(undefined), 0), "unknown")
  })

  it("ignores a spoofed X-Forwarded-For when no proxy is trusted", () => {
    assert.strictEqual(clientIpOf(request("203.0.113.7", "1.2.3.4"), 0), "203.0.113.7")
  })

  it("takes the entry the trusted proxies appended, ignoring what the client sent", () => {
    // client → proxy: the proxy appends the client's address; "6.6.6.6" was sent by the client.
    assert.strictEqual(clientIpOf(request("10.0.0.2", "6.6.6.6, 198.51.100.9"), 1), "198.51.100.9")
    // client → CDN → load balancer: the CDN appended the client, the load balancer the CDN.
    assert.strictEqual(clientIpOf(request("10.0.0.3", "6.6.6.6,198.51.100.9, 10.0.0.2"), 2), "198.51.100.9")
    assert.strictEqual(clientIpOf(request("10.0.0.3", "198.51.100.9, 10.0.0.2"), 2), "198.51.100.9")
  })

  it("falls back to the socket's address when the header is short or malformed", () => {
    assert.strictEqual(clientIpOf(request("10.0.0.3", "198.51.100.9"), 2), "10.0.0.3")
    assert.strictEqual(clientIpOf(request("10.0.0.3", ""), 1), "10.0.0.3")
    assert.strictEqual(clientIpOf(request("10.0.0.3", "1.2.3.4, not-an-ip"), 1), "10.0.0.3")
  })

  it("normalises IPv4-mapped IPv6, ports and IPv6 spelling", () => {
    assert.strictEqual(clientIpOf(request("::ffff:192.0.2.1"), 0), "192.0.2.1")
    assert.strictEqual(clientIpOf(request("10.0.0.2", "::FFFF:198.51.100.9"), 1), "198.51.100.9")
    assert.strictEqual(clientIpOf(request("10.0.0.2", "198.51.100.9:54321"), 1), "198.51.100.9")
    assert.strictEqual(clientIpOf(request("10.0.0.2", "[2001:DB8:0:0::1]:443"), 1), "2001:db8::1")
    assert.strictEqual(normalizeIp("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1")
    assert.strictEqual(normalizeIp(" ::1 "), "::1")
  })

  it.effect("reads TRUSTED_PROXY_COUNT and answers for the current request", () =>
    Effect.gen(function*() {
      const clientIp = yield* ClientIp
      assert.strictEqual(clientIp.trustedProxyCount, 1)
      const ip = yield* clientIp.current.pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, request("10.0.0.2", "6.6.6.6, 198.51.100.9"))
      )
      assert.strictEqual(ip, "198.51.100.9")
      assert.strictEqual(clientIp.fromRequest(request("10.0.0.2", "198.51.100.10")), "198.51.100.10")
    }).pipe(
      Effect.provide(layerWith({ TRUSTED_PROXY_COUNT: "1" }))
    ))

  it.effect("defaults TRUSTED_PROXY_COUNT to 0 and rejects a negative count", () =>
    Effect.gen(function*() {
      const count = yield* ClientIp.use((clientIp) => Effect.succeed(clientIp.trustedProxyCount)).pipe(
        Effect.provide(layerWith({}))
      )
      assert.strictEqual(count, 0)
      const negative = yield* ClientIp.use(() => Effect.void).pipe(
        Effect.provide(layerWith({ TRUSTED_PROXY_COUNT: "-1" })),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(negative))
    }))
})
