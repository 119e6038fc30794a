/**
 * Google and GitHub sign-in against fake providers: the state (single use, bound to the browser
 * and the provider), the redirect with tokens, linking only on a verified email, provider
 * errors, the callback URL allow-list, and Redis (which holds the states) going away.
 */
import {
  captureLogs,
  type FakeHttpServer,
  makeFakeHttpServer,
  makeTcpProxy,
  type TcpProxy,
  TestSettings
} from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { authTestLayer, call, password, signedUpUser, uniqueEmail } from "./support.ts"

class FakeProviders extends Context.Service<FakeProviders, {
  readonly google: FakeHttpServer
  readonly github: FakeHttpServer
}>()("test/FakeProviders") {}

const OAuthTest = Layer.unwrap(Effect.gen(function*() {
  const google = yield* makeFakeHttpServer("google", {
    "POST /token": { body: { access_token: "google-access-token", token_type: "Bearer" } }
  })
  const github = yield* makeFakeHttpServer("github", {
    "POST /login/oauth/access_token": { body: { access_token: "github-access-token", token_type: "bearer" } }
  })
  return authTestLayer({
    env: {
      GOOGLE_CLIENT_ID: "google-client",
      GOOGLE_CLIENT_SECRET: "google-secret",
      GOOGLE_TOKEN_URL: `${google.url}/token`,
      GOOGLE_USERINFO_URL: `${google.url}/userinfo`,
      GITHUB_CLIENT_ID: "github-client",
      GITHUB_CLIENT_SECRET: "github-secret",
      GITHUB_TOKEN_URL: `${github.url}/login/oauth/access_token`,
      GITHUB_API_URL: github.url
    }
  }).pipe(Layer.merge(Layer.succeed(FakeProviders, { google, github })))
}))

const callbackUrl = "http://localhost:3000/oauth/done"

const start = (provider: "google" | "github", query = `callback_url=${encodeURIComponent(callbackUrl)}`) =>
  Effect.gen(function*() {
    const response = yield* call("GET", `/auth/oauth/${provider}?${query}`)
    assert.strictEqual(response.status, 200, response.text)
    const cookie = /cuebx_oauth=([^;]+)/.exec(response.headers["set-cookie"] ?? "")?.[1]
    assert.isDefined(cookie, "the state is bound to the browser by a cookie")
    assert.include(response.headers["set-cookie"], "HttpOnly")
    const body = response.json as { authorization_url: string; state: string }
    return { ...body, cookie: `cuebx_oauth=${cookie}` }
  })

const finish = (provider: "google" | "github", query: string, cookie?: string) =>
  call("GET", `/auth/oauth/${provider}/callback?${query}`, { headers: cookie === undefined ? {} : { cookie } })

const fragmentOf = (location: string) => new URLSearchParams(new URL(location).hash.slice(1))

const googleUser = (email: string, verified: boolean, sub = crypto.randomUUID()) => ({
  body: { sub, email, email_verified: verified, name: "Google Person", picture: "https://lh3.example.com/p.png" }
})

layer(OAuthTest, { excludeTestServices: true })("OAuth sign-in", (it) => {
  describe("GET /auth/oauth/{provider}", () => {
    it.effect("answers the provider's authorization URL with a fresh state", () =>
      Effect.gen(function*() {
        const first = yield* start("google")
        const second = yield* start("google")
        assert.notStrictEqual(first.state, second.state)
        const url = new URL(first.authorization_url)
        assert.strictEqual(url.searchParams.get("state"), first.state)
        assert.strictEqual(url.searchParams.get("client_id"), "google-client")
        assert.strictEqual(url.searchParams.get("redirect_uri"), "http://localhost:8000/auth/oauth/google/callback")
      }))

    it.effect("refuses a callback URL outside CORS_ALLOW_ORIGINS and unknown providers", () =>
      Effect.gen(function*() {
        const foreign = yield* call(
          "GET",
          `/auth/oauth/google?callback_url=${encodeURIComponent("https://evil.example.com/x")}`
        )
        assert.strictEqual(foreign.status, 400)
        assert.deepStrictEqual(foreign.json, {
          detail: "Invalid callback URL. Must be in allowed origins and use HTTPS in production."
        })
        const unknown = yield* call("GET", "/auth/oauth/facebook")
        assert.strictEqual(unknown.status, 422)
      }))
  })

  describe("GET /auth/oauth/{provider}/callback", () => {
    it.effect("creates an account, redirects with the tokens in the fragment, and the state works once", () =>
      Effect.gen(function*() {
        const { google } = yield* FakeProviders
        const email = uniqueEmail("google-new")
        google.enqueue("GET /userinfo", googleUser(email, true))
        const started = yield* start("google")
        const response = yield* finish("google", `code=auth-code&state=${started.state}`, started.cookie)
        assert.strictEqual(response.status, 307, response.text)
        const fragment = fragmentOf(response.headers["location"]!)
        assert.strictEqual(response.headers["location"]!.split("#")[0], callbackUrl)
        assert.strictEqual(fragment.get("token_type"), "bearer")
        const me = yield* call("GET", "/auth/me", { token: fragment.get("access_token")! })
        const profile = me.json as {
          email: string
          email_verified: boolean
          has_password: boolean
          oauth_providers: ReadonlyArray<string>
        }
        assert.strictEqual(profile.email, email)
        assert.isTrue(profile.email_verified)
        assert.isFalse(profile.has_password)
        assert.deepStrictEqual(profile.oauth_providers, ["google"])
        const exchange = google.requestsTo("POST /token").at(-1)!
        assert.deepInclude(exchange.parsedBody as object, { code: "auth-code", grant_type: "authorization_code" })

        const replay = yield* finish("google", `code=auth-code&state=${started.state}`, started.cookie)
        assert.strictEqual(replay.status, 400)
        assert.deepStrictEqual(replay.json, { detail: "Invalid state parameter." })
      }))

    it.effect("refuses a state from another browser or for another provider", () =>
      Effect.gen(function*() {
        const stolen = yield* start("google")
        const noCookie = yield* finish("google", `code=c&state=${stolen.state}`)
        assert.strictEqual(noCookie.status, 400)
        const other = yield* start("google")
        const wrongProvider = yield* finish("github", `code=c&state=${other.state}`, other.cookie)
        assert.strictEqual(wrongProvider.status, 400)
        assert.deepStrictEqual(wrongProvider.json, { detail: "Invalid state parameter." })
        const missing = yield* finish("google", "state=whatever")
        assert.deepStrictEqual(missing.json, { detail: "Missing required OAuth parameters" })
      }))

    it.effect("links to an existing account on a verified email, and refuses on an unverified one", () =>
      Effect.gen(function*() {
        const { google, github } = yield* FakeProviders
        const user = yield* signedUpUser()
        google.enqueue("GET /userinfo", googleUser(user.email, true))
        const viaGoogle = yield* start("google", "")
        const linked = yield* finish("google", `code=c&state=${viaGoogle.state}`, viaGoogle.cookie)
        assert.strictEqual(linked.status, 200, linked.text)
        const me = yield* call("GET", "/auth/me", { token: (linked.json as { access_token: string }).access_token })
        assert.deepStrictEqual((me.json as { id: string; oauth_providers: ReadonlyArray<string> }).oauth_providers, [
          "google"
        ])

        github.enqueue("GET /user", {
          body: { id: 4242, login: "octo", name: "Octo", email: user.email, avatar_url: null }
        })
        github.enqueue("GET /user/emails", { body: [{ email: user.email, primary: true, verified: false }] })
        const viaGitHub = yield* start("github")
        const refused = yield* finish("github", `code=c&state=${viaGitHub.state}`, viaGitHub.cookie)
        assert.strictEqual(refused.status, 307)
        const location = new URL(refused.headers["location"]!)
        assert.strictEqual(location.searchParams.get("error"), "account_exists")
        const signin = yield* call("POST", "/auth/signin", { body: { email: user.email, password } })
        assert.strictEqual(signin.status, 200, "the account is untouched")
      }))

    it.effect("signs in with GitHub using the verified primary address", () =>
      Effect.gen(function*() {
        const { github } = yield* FakeProviders
        const email = uniqueEmail("github")
        github.enqueue("GET /user", { body: { id: 777, login: "dev", name: null, email: null, avatar_url: null } })
        github.enqueue("GET /user/emails", {
          body: [
            { email: "old@example.com", primary: false, verified: false },
            { email, primary: true, verified: true }
          ]
        })
        const started = yield* start("github", "remember_me=true")
        const response = yield* finish("github", `code=c&state=${started.state}`, started.cookie)
        assert.strictEqual(response.status, 200, response.text)
        const me = yield* call("GET", "/auth/me", { token: (response.json as { access_token: string }).access_token })
        assert.strictEqual((me.json as { email: string }).email, email)
      }))

    it.effect("refuses an identity without an email address", () =>
      Effect.gen(function*() {
        const { github } = yield* FakeProviders
        github.enqueue("GET /user", { body: { id: 31337, login: "anon", name: null, email: null, avatar_url: null } })
        github.enqueue("GET /user/emails", { body: [] })
        const started = yield* start("github", "")
        const response = yield* finish("github", `code=c&state=${started.state}`, started.cookie)
        assert.strictEqual(response.status, 400)
        assert.deepStrictEqual(response.json, { detail: "The provider did not share an email address." })
      }))

    it.effect("a provider error returns to the callback URL with the error", () =>
      Effect.gen(function*() {
        const started = yield* start("google")
        const response = yield* finish("google", `error=access_denied&state=${started.state}`, started.cookie)
        assert.strictEqual(response.status, 307)
        const location = new URL(response.headers["location"]!)
        assert.strictEqual(location.origin + location.pathname, callbackUrl)
        assert.strictEqual(location.searchParams.get("error"), "access_denied")
        const withoutState = yield* finish("google", "error=access_denied")
        assert.strictEqual(withoutState.status, 400)
        assert.deepStrictEqual(withoutState.json, { detail: "OAuth error: access_denied" })
      }))

    it.effect("a failing token exchange is reported, without a redirect when there is no callback URL", () =>
      Effect.gen(function*() {
        const { google } = yield* FakeProviders
        google.enqueue("POST /token", { status: 400, body: { error: "invalid_grant" } })
        const started = yield* start("google", "")
        const response = yield* finish("google", `code=bad&state=${started.state}`, started.cookie)
        assert.strictEqual(response.status, 400)
        assert.match((response.json as { detail: string }).detail, /^Google token exchange failed/)
      }))
  })
})

/** The API's Redis connection goes through this proxy, so a test can cut it. */
class RedisFront extends Context.Service<RedisFront, TcpProxy>()("test/RedisFront") {}

const outageLogs = captureLogs()

const OAuthOutageTest = Layer.unwrap(Effect.gen(function*() {
  // Read before the API's configuration (which points Redis at the proxy) is installed.
  const { redisUrl } = yield* TestSettings
  const redis = new URL(redisUrl)
  const proxy = yield* makeTcpProxy({ host: redis.hostname, port: Number(redis.port || "6379") })
  redis.hostname = "127.0.0.1"
  redis.port = String(proxy.port)
  return authTestLayer({
    env: {
      GOOGLE_CLIENT_ID: "google-client",
      GOOGLE_CLIENT_SECRET: "google-secret",
      REDIS_URL: redis.toString(),
      REDIS_COMMAND_TIMEOUT: "500 millis"
    }
  }).pipe(Layer.merge(Layer.succeed(RedisFront, proxy)), Layer.provide(outageLogs.layer))
}))

const stateErrors = () =>
  outageLogs.lines
    .filter((line) => JSON.stringify(line.message).includes("OAuth state unavailable"))
    .map((line) => line.level)

layer(OAuthOutageTest, { excludeTestServices: true })("OAuth sign-in while Redis is down", (it) => {
  it.effect("a callback whose state cannot be read is 503 and logged, not an invalid state", () =>
    Effect.gen(function*() {
      const redis = yield* RedisFront
      const withCallback = yield* start("google")
      const withoutCallback = yield* start("google", "")
      redis.cut()
      const answers = yield* Effect.forEach(
        [withCallback, withoutCallback],
        (started) => finish("google", `code=c&state=${started.state}`, started.cookie)
      ).pipe(Effect.ensuring(Effect.sync(() => redis.restore())))
      for (const answer of answers) {
        assert.strictEqual(answer.status, 503, answer.text)
        assert.deepStrictEqual(answer.json, { detail: "OAuth sign-in is temporarily unavailable" })
      }
      assert.deepStrictEqual(stateErrors(), ["ERROR", "ERROR"])
    }))

  it.effect("starting a sign-in while Redis is down is 503 and logged", () =>
    Effect.gen(function*() {
      const redis = yield* RedisFront
      const before = stateErrors().length
      redis.cut()
      const response = yield* call("GET", "/auth/oauth/google").pipe(
        Effect.ensuring(Effect.sync(() => redis.restore()))
      )
      assert.strictEqual(response.status, 503, response.text)
      assert.deepStrictEqual(response.json, { detail: "OAuth sign-in is temporarily unavailable" })
      assert.deepStrictEqual(stateErrors().slice(before), ["ERROR"])
    }))
})
