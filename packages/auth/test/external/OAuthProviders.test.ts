import { captureLogs, type FakeHttpServer, freePort, makeFakeHttpServer, makeTcpProxy } from "@cuebx/testing"
import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { type OAuthFailed, type OAuthIdentity, OAuthProviders } from "../../src/external/OAuthProviders.ts"

/** A front for a fake provider whose first `failures` connections are reset (a network error). */
const flakyFront = (targetUrl: string, failures: number) =>
  Effect.map(
    makeTcpProxy({ host: "127.0.0.1", port: Number(new URL(targetUrl).port) }, { resetFirst: failures }),
    (proxy) => ({ url: `http://127.0.0.1:${proxy.port}`, proxy })
  )

const googleClientId = "1234-cuebx.apps.googleusercontent.com"
const googleSecret = "GOCSPX-google-client-secret-value"
const githubClientId = "Iv1.cuebx0github0id"
const githubSecret = "github-client-secret-0123456789abcdef"
const googleAccessToken = "ya29.google-access-token-value"
const githubAccessToken = "gho_github-access-token-value"
const secrets = [googleSecret, githubSecret, googleAccessToken, githubAccessToken]

const googleToken = "POST /token"
const googleUserInfo = "GET /oauth2/v3/userinfo"
const githubToken = "POST /login/oauth/access_token"
const githubUser = "GET /user"
const githubEmails = "GET /user/emails"

const googleProfile = {
  sub: "110169484474386276334",
  email: "Ada.Lovelace@Example.com",
  email_verified: true,
  name: "Ada Lovelace",
  given_name: "Ada",
  family_name: "Lovelace",
  picture: "https://lh3.googleusercontent.com/a/ada"
}

const githubProfile = {
  login: "octocat",
  id: 583231,
  avatar_url: "https://avatars.githubusercontent.com/u/583231?v=4",
  name: "The Octocat",
  email: null
}

class FakeGoogle extends Context.Service<FakeGoogle, FakeHttpServer>()("test/FakeGoogle") {
  static readonly layer = Layer.effect(
    FakeGoogle,
    makeFakeHttpServer("google", {
      [googleToken]: {
        body: {
          access_token: googleAccessToken,
          expires_in: 3599,
          scope: "openid https://www.googleapis.com/auth/userinfo.email",
          token_type: "Bearer",
          id_token: "eyJhbGciOiJSUzI1NiJ9.e30.sig"
        }
      },
      [googleUserInfo]: { body: googleProfile }
    })
  )
}

class FakeGitHub extends Context.Service<FakeGitHub, FakeHttpServer>()("test/FakeGitHub") {
  static readonly layer = Layer.effect(
    FakeGitHub,
    makeFakeHttpServer("github", {
      [githubToken]: { body: { access_token: githubAccessToken, token_type: "bearer", scope: "read:user,user:email" } },
      [githubUser]: { body: githubProfile },
      [githubEmails]: {
        body: [
          { email: "Octocat@GitHub.example", primary: true, verified: true, visibility: "public" },
          { email: "octo@secondary.example", primary: false, verified: false, visibility: null }
        ]
      }
    })
  )
}

const logs = captureLogs()

const environment = (urls: { readonly google: string; readonly github: string }) => ({
  GOOGLE_CLIENT_ID: googleClientId,
  GOOGLE_CLIENT_SECRET: googleSecret,
  GITHUB_CLIENT_ID: githubClientId,
  GITHUB_CLIENT_SECRET: githubSecret,
  OAUTH_REDIRECT_BASE_URI: "https://api.cuebx.example/auth",
  GOOGLE_TOKEN_URL: `${urls.google}/token`,
  GOOGLE_USERINFO_URL: `${urls.google}/oauth2/v3/userinfo`,
  GITHUB_TOKEN_URL: `${urls.github}/login/oauth/access_token`,
  GITHUB_API_URL: urls.github,
  OAUTH_HTTP_TIMEOUT: "2 seconds"
})

/** The real layer, configured through Config as in production; the HTTP client is the program's to provide. */
const providersWith = (env: Readonly<Record<string, string>>) =>
  Layer.fresh(OAuthProviders.layer).pipe(
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
  )

const Fakes = Layer.mergeAll(FakeGoogle.layer, FakeGitHub.layer)

const ProvidersAgainstFakes = Layer.unwrap(Effect.gen(function*() {
  const google = yield* FakeGoogle
  const github = yield* FakeGitHub
  return providersWith(environment({ google: google.url, github: github.url }))
}))

/** The environment aimed at the fakes, with some variables replaced (for one-off layers). */
const fakeEnvironment = Effect.gen(function*() {
  const google = yield* FakeGoogle
  const github = yield* FakeGitHub
  return environment({ google: google.url, github: github.url })
})

const resetFakes = Effect.gen(function*() {
  const google = yield* FakeGoogle
  const github = yield* FakeGitHub
  google.reset()
  github.reset()
  return { google, github }
})

const assertNoSecrets = (error: OAuthFailed) => {
  for (const rendered of [error.message, String(error), JSON.stringify(error)]) {
    for (const secret of secrets) assert.notInclude(rendered, secret)
  }
}

const exchangeFailure = (provider: "google" | "github", code = "4/0code") =>
  OAuthProviders.use((providers) => providers.exchangeCode(provider, code)).pipe(Effect.flip)

const identityFailure = (provider: "google" | "github") =>
  OAuthProviders.use((providers) =>
    providers.identity(provider, provider === "google" ? googleAccessToken : githubAccessToken)
  ).pipe(Effect.flip)

describe("OAuthProviders without credentials or fakes", () => {
  const unconfigured = providersWith({})

  it.effect("defaults: nothing configured, redirect URIs under http://localhost:8000/auth", () =>
    Effect.gen(function*() {
      const providers = yield* OAuthProviders
      assert.isFalse(providers.isConfigured("google"))
      assert.isFalse(providers.isConfigured("github"))
      assert.strictEqual(providers.redirectUri("google"), "http://localhost:8000/auth/oauth/google/callback")
      assert.strictEqual(providers.redirectUri("github"), "http://localhost:8000/auth/oauth/github/callback")
    }).pipe(Effect.provide(unconfigured)))

  it.effect("a provider needs both its client id and its secret", () =>
    Effect.gen(function*() {
      const providers = yield* OAuthProviders
      assert.isFalse(providers.isConfigured("google"))
      assert.isTrue(providers.isConfigured("github"))
    }).pipe(Effect.provide(providersWith({
      GOOGLE_CLIENT_ID: googleClientId,
      GITHUB_CLIENT_ID: githubClientId,
      GITHUB_CLIENT_SECRET: githubSecret
    }))))

  it.effect("a trailing slash on OAUTH_REDIRECT_BASE_URI does not double the slash", () =>
    Effect.gen(function*() {
      const providers = yield* OAuthProviders
      assert.strictEqual(providers.redirectUri("github"), "https://api.cuebx.example/auth/oauth/github/callback")
    }).pipe(Effect.provide(providersWith({ OAUTH_REDIRECT_BASE_URI: "https://api.cuebx.example/auth/" }))))

  it.effect("exchanging a code for an unconfigured provider fails without calling it", () =>
    Effect.gen(function*() {
      const error = yield* exchangeFailure("google")
      assert.strictEqual(error._tag, "OAuthFailed")
      assert.strictEqual(error.provider, "google")
      assert.strictEqual(error.message, "Google OAuth is not configured")
    }).pipe(Effect.provide(unconfigured)))
})

describe("authorization URLs", () => {
  const configured = providersWith({
    GOOGLE_CLIENT_ID: googleClientId,
    GOOGLE_CLIENT_SECRET: googleSecret,
    GITHUB_CLIENT_ID: githubClientId,
    GITHUB_CLIENT_SECRET: githubSecret,
    OAUTH_REDIRECT_BASE_URI: "https://api.cuebx.example/auth"
  })
  const state = "Zm9vYmFy_state-value"

  it.effect("Google: accounts.google.com with exactly the reference's parameters, form-urlencoded", () =>
    Effect.gen(function*() {
      const providers = yield* OAuthProviders
      const url = providers.authorizationUrl("google", state)
      assert.strictEqual(
        url,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=1234-cuebx.apps.googleusercontent.com" +
          "&redirect_uri=https%3A%2F%2Fapi.cuebx.example%2Fauth%2Foauth%2Fgoogle%2Fcallback" +
          "&response_type=code&scope=openid+email+profile&state=Zm9vYmFy_state-value" +
          "&access_type=offline&prompt=consent"
      )
      const parsed = new URL(url)
      assert.strictEqual(`${parsed.origin}${parsed.pathname}`, "https://accounts.google.com/o/oauth2/v2/auth")
      assert.deepStrictEqual([...parsed.searchParams], [
        ["client_id", googleClientId],
        ["redirect_uri", "https://api.cuebx.example/auth/oauth/google/callback"],
        ["response_type", "code"],
        ["scope", "openid email profile"],
        ["state", state],
        ["access_type", "offline"],
        ["prompt", "consent"]
      ])
      assert.notInclude(url, googleSecret)
    }).pipe(Effect.provide(configured)))

  it.effect("GitHub: github.com/login/oauth/authorize with client_id, redirect_uri, scope and state", () =>
    Effect.gen(function*() {
      const providers = yield* OAuthProviders
      const url = providers.authorizationUrl("github", state)
      assert.strictEqual(
        url,
        "https://github.com/login/oauth/authorize?client_id=Iv1.cuebx0github0id" +
          "&redirect_uri=https%3A%2F%2Fapi.cuebx.example%2Fauth%2Foauth%2Fgithub%2Fcallback" +
          "&scope=read%3Auser+user%3Aemail&state=Zm9vYmFy_state-value"
      )
      const parsed = new URL(url)
      assert.deepStrictEqual([...parsed.searchParams], [
        ["client_id", githubClientId],
        ["redirect_uri", "https://api.cuebx.example/auth/oauth/github/callback"],
        ["scope", "read:user user:email"],
        ["state", state]
      ])
      assert.notInclude(url, githubSecret)
    }).pipe(Effect.provide(configured)))

  it.effect("a configured endpoint that already has a query keeps it", () =>
    Effect.gen(function*() {
      const providers = yield* OAuthProviders
      const url = new URL(providers.authorizationUrl("google", state))
      assert.strictEqual(url.searchParams.get("hd"), "cuebx.example")
      assert.strictEqual(url.searchParams.get("state"), state)
      assert.strictEqual(url.searchParams.get("client_id"), googleClientId)
    }).pipe(Effect.provide(providersWith({
      GOOGLE_CLIENT_ID: googleClientId,
      GOOGLE_AUTH_URL: "https://idp.example/o/oauth2/v2/auth?hd=cuebx.example"
    }))))
})

layer(
  Layer.mergeAll(ProvidersAgainstFakes.pipe(Layer.provideMerge(Fakes)), logs.layer),
  { excludeTestServices: true }
)("OAuthProviders against fake Google and GitHub", (it) => {
  describe("Google code exchange", () => {
    it.effect("POSTs the form the reference sends and returns the access token", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        const providers = yield* OAuthProviders
        const token = yield* providers.exchangeCode("google", "4/0AcvDMrB-code")
        assert.strictEqual(token, googleAccessToken)

        const requests = google.requests()
        assert.strictEqual(requests.length, 1)
        const request = requests[0]!
        assert.strictEqual(request.method, "POST")
        assert.strictEqual(request.path, "/token")
        assert.strictEqual(request.headers["content-type"], "application/x-www-form-urlencoded")
        assert.deepStrictEqual(request.parsedBody, {
          code: "4/0AcvDMrB-code",
          client_id: googleClientId,
          client_secret: googleSecret,
          redirect_uri: "https://api.cuebx.example/auth/oauth/google/callback",
          grant_type: "authorization_code"
        })
      }))

    it.effect("a 400 is a failure carrying Google's body", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        google.enqueue(googleToken, { status: 400, body: { error: "invalid_grant", error_description: "Bad Request" } })
        const error = yield* exchangeFailure("google")
        assert.strictEqual(error._tag, "OAuthFailed")
        assert.strictEqual(error.provider, "google")
        assert.strictEqual(
          error.message,
          `Google token exchange failed: {"error":"invalid_grant","error_description":"Bad Request"}`
        )
        assertNoSecrets(error)
      }))

    it.effect("a long body is truncated to about 300 characters", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        google.enqueue(googleToken, { status: 502, body: "x".repeat(5_000) })
        const error = yield* exchangeFailure("google")
        assert.isTrue(error.message.startsWith("Google token exchange failed: xxx"))
        assert.isAtMost(error.message.length, "Google token exchange failed: ".length + 301)
      }))

    it.effect("a body that echoes the client secret does not put it in the message", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        google.enqueue(googleToken, { status: 401, body: `invalid_client: secret ${googleSecret} unknown` })
        const error = yield* exchangeFailure("google")
        assert.strictEqual(error.message, "Google token exchange failed: invalid_client: secret <redacted> unknown")
        assertNoSecrets(error)
      }))

    it.effect("a 200 without an access token is a failure", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        google.enqueue(googleToken, { status: 200, body: { token_type: "Bearer" } })
        const error = yield* exchangeFailure("google")
        assert.strictEqual(error.message, "Google token exchange failed: no access token in the answer")
      }))

    it.effect("an answer slower than OAUTH_HTTP_TIMEOUT is a network error (not retried)", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        google.enqueue(googleToken, { status: 200, body: { access_token: "late" }, delayMs: 1_500 })
        const env = yield* fakeEnvironment
        const error = yield* exchangeFailure("google").pipe(
          Effect.provide(providersWith({ ...env, OAUTH_HTTP_TIMEOUT: "300 millis" }))
        )
        assert.strictEqual(error.message, "Google token exchange failed: network error")
        assert.strictEqual(google.requestsTo(googleToken).length, 1)
      }))
  })

  describe("Google identity", () => {
    it.effect("GETs userinfo with the bearer token and maps sub, email, verification, name and picture", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        const providers = yield* OAuthProviders
        const identity = yield* providers.identity("google", googleAccessToken)
        assert.deepStrictEqual(
          identity,
          {
            provider: "google",
            providerAccountId: "110169484474386276334",
            email: "ada.lovelace@example.com",
            emailVerified: true,
            name: "Ada Lovelace",
            picture: "https://lh3.googleusercontent.com/a/ada"
          } satisfies OAuthIdentity
        )
        const requests = google.requests()
        assert.strictEqual(requests.length, 1)
        assert.strictEqual(requests[0]!.method, "GET")
        assert.strictEqual(requests[0]!.path, "/oauth2/v3/userinfo")
        assert.strictEqual(requests[0]!.headers["authorization"], `Bearer ${googleAccessToken}`)
      }))

    it.effect.each([
      {
        name: "unverified email",
        answer: { email_verified: false },
        email: "ada.lovelace@example.com",
        verified: false
      },
      {
        name: "verification as the string \"true\"",
        answer: { email_verified: "true" },
        email: "ada.lovelace@example.com",
        verified: true
      },
      { name: "no email", answer: { email: undefined, email_verified: true }, email: null, verified: false },
      { name: "an empty email", answer: { email: "", email_verified: true }, email: null, verified: false }
    ])("$name", ({ answer, email, verified }) =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        google.enqueue(googleUserInfo, { body: { ...googleProfile, ...answer } })
        const providers = yield* OAuthProviders
        const identity = yield* providers.identity("google", googleAccessToken)
        assert.strictEqual(identity.email, email)
        assert.strictEqual(identity.emailVerified, verified)
      }))

    it.effect("a 401 is a failure carrying Google's body, without the token", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        google.enqueue(googleUserInfo, {
          status: 401,
          body: { error: "invalid_request", error_description: `Invalid Credentials for ${googleAccessToken}` }
        })
        const error = yield* identityFailure("google")
        assert.strictEqual(
          error.message,
          `Failed to retrieve Google user info: {"error":"invalid_request","error_description":"Invalid Credentials for <redacted>"}`
        )
        assertNoSecrets(error)
      }))

    it.effect("a 200 that is not a userinfo document is a failure", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        google.enqueue(googleUserInfo, { body: "<html>captive portal</html>" })
        const error = yield* identityFailure("google")
        assert.strictEqual(error.message, "Failed to retrieve Google user info: unexpected answer")
      }))

    it.effect("network errors are retried twice, 0.5 s apart: two resets then an answer succeed", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        const front = yield* flakyFront(google.url, 2)
        const env = yield* fakeEnvironment
        const started = Date.now()
        const identity = yield* OAuthProviders.use((providers) => providers.identity("google", googleAccessToken)).pipe(
          Effect.provide(providersWith({ ...env, GOOGLE_USERINFO_URL: `${front.url}/oauth2/v3/userinfo` }))
        )
        const elapsed = Date.now() - started
        assert.strictEqual(identity.providerAccountId, "110169484474386276334")
        assert.strictEqual(front.proxy.connectionsAccepted(), 3)
        assert.strictEqual(google.requestsTo(googleUserInfo).length, 1)
        assert.isAtLeast(elapsed, 1_000)
      }))

    it.effect("three network errors in a row are a network error failure", () =>
      Effect.gen(function*() {
        const { google } = yield* resetFakes
        const front = yield* flakyFront(google.url, Number.POSITIVE_INFINITY)
        const env = yield* fakeEnvironment
        const error = yield* identityFailure("google").pipe(
          Effect.provide(providersWith({ ...env, GOOGLE_USERINFO_URL: `${front.url}/oauth2/v3/userinfo` }))
        )
        assert.strictEqual(error.message, "Failed to retrieve Google user info: network error")
        assert.strictEqual(front.proxy.connectionsAccepted(), 3)
        assert.strictEqual(google.requestsTo(googleUserInfo).length, 0)
        assertNoSecrets(error)
      }))

    it.effect("an unreachable userinfo URL fails with network error after the retries", () =>
      Effect.gen(function*() {
        const env = yield* fakeEnvironment
        const port = yield* freePort
        const started = Date.now()
        const error = yield* identityFailure("google").pipe(
          Effect.provide(providersWith({ ...env, GOOGLE_USERINFO_URL: `http://127.0.0.1:${port}/oauth2/v3/userinfo` }))
        )
        assert.strictEqual(error.message, "Failed to retrieve Google user info: network error")
        assert.isAtLeast(Date.now() - started, 1_000)
      }))

    it.effect("an unreachable token URL fails with network error", () =>
      Effect.gen(function*() {
        const env = yield* fakeEnvironment
        const port = yield* freePort
        const error = yield* exchangeFailure("google").pipe(
          Effect.provide(providersWith({ ...env, GOOGLE_TOKEN_URL: `http://127.0.0.1:${port}/token` }))
        )
        assert.strictEqual(error.message, "Google token exchange failed: network error")
        assertNoSecrets(error)
      }))
  })

  describe("GitHub code exchange", () => {
    it.effect("POSTs client_id, client_secret, code and redirect_uri asking for JSON", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        const providers = yield* OAuthProviders
        const token = yield* providers.exchangeCode("github", "gh-code-123")
        assert.strictEqual(token, githubAccessToken)

        const requests = github.requests()
        assert.strictEqual(requests.length, 1)
        const request = requests[0]!
        assert.strictEqual(request.method, "POST")
        assert.strictEqual(request.path, "/login/oauth/access_token")
        assert.strictEqual(request.headers["accept"], "application/json")
        assert.strictEqual(request.headers["content-type"], "application/x-www-form-urlencoded")
        assert.deepStrictEqual(request.parsedBody, {
          client_id: githubClientId,
          client_secret: githubSecret,
          code: "gh-code-123",
          redirect_uri: "https://api.cuebx.example/auth/oauth/github/callback"
        })
      }))

    it.effect("a 200 with an error uses its error_description", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        github.enqueue(githubToken, {
          body: {
            error: "bad_verification_code",
            error_description: "The code passed is incorrect or expired.",
            error_uri: "https://docs.github.com/apps/troubleshooting"
          }
        })
        const error = yield* exchangeFailure("github")
        assert.strictEqual(error.provider, "github")
        assert.strictEqual(error.message, "GitHub token exchange failed: The code passed is incorrect or expired.")
      }))

    it.effect("a 200 with only an error uses the error", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        github.enqueue(githubToken, { body: { error: "incorrect_client_credentials" } })
        const error = yield* exchangeFailure("github")
        assert.strictEqual(error.message, "GitHub token exchange failed: incorrect_client_credentials")
      }))

    it.effect("a 500 is a failure carrying GitHub's body", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        github.enqueue(githubToken, { status: 500, body: "Internal Server Error" })
        const error = yield* exchangeFailure("github")
        assert.strictEqual(error.message, "GitHub token exchange failed: Internal Server Error")
        assertNoSecrets(error)
      }))

    it.effect("an unreachable token URL fails with network error", () =>
      Effect.gen(function*() {
        const env = yield* fakeEnvironment
        const port = yield* freePort
        const error = yield* exchangeFailure("github").pipe(
          Effect.provide(
            providersWith({ ...env, GITHUB_TOKEN_URL: `http://127.0.0.1:${port}/login/oauth/access_token` })
          )
        )
        assert.strictEqual(error.message, "GitHub token exchange failed: network error")
        assertNoSecrets(error)
      }))
  })

  describe("GitHub identity", () => {
    it.effect("GETs /user then /user/emails with GitHub's API headers and maps the profile", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        const providers = yield* OAuthProviders
        const identity = yield* providers.identity("github", githubAccessToken)
        assert.deepStrictEqual(
          identity,
          {
            provider: "github",
            providerAccountId: "583231",
            email: "octocat@github.example",
            emailVerified: true,
            name: "The Octocat",
            picture: "https://avatars.githubusercontent.com/u/583231?v=4"
          } satisfies OAuthIdentity
        )

        const requests = github.requests()
        assert.deepStrictEqual(requests.map((request) => `${request.method} ${request.path}`), [
          githubUser,
          githubEmails
        ])
        for (const request of requests) {
          assert.strictEqual(request.headers["authorization"], `Bearer ${githubAccessToken}`)
          assert.strictEqual(request.headers["accept"], "application/vnd.github+json")
          assert.strictEqual(request.headers["x-github-api-version"], "2022-11-28")
          assert.strictEqual(request.headers["user-agent"], "CueBX")
        }
      }))

    it.effect.each([
      {
        name: "the primary verified address wins over a verified profile email",
        profileEmail: "Octo@Public.example",
        emails: [
          { email: "octo@public.example", primary: false, verified: true },
          { email: "Octocat@GitHub.example", primary: true, verified: true }
        ],
        email: "octocat@github.example",
        verified: true
      },
      {
        name: "a profile email missing from /user/emails does not borrow another address's verification",
        profileEmail: "someone-else@example.com",
        emails: [{ email: "octocat@github.example", primary: true, verified: true }],
        email: "octocat@github.example",
        verified: true
      },
      {
        name: "without a primary verified address the first verified one is used",
        profileEmail: null,
        emails: [
          { email: "old@example.com", primary: true, verified: false },
          { email: "Second@Example.com", primary: false, verified: true },
          { email: "third@example.com", primary: false, verified: true }
        ],
        email: "second@example.com",
        verified: true
      },
      {
        name: "the profile email is verified through its own /user/emails entry",
        profileEmail: "Dev@Example.com",
        emails: [
          { email: "old@example.com", primary: true, verified: false },
          { email: "dev@example.com", primary: false, verified: true }
        ],
        email: "dev@example.com",
        verified: true
      },
      {
        name: "an unverified profile email stays unverified",
        profileEmail: "dev@example.com",
        emails: [{ email: "dev@example.com", primary: true, verified: false }],
        email: "dev@example.com",
        verified: false
      },
      {
        name: "only unverified addresses: the first one, unverified",
        profileEmail: null,
        emails: [
          { email: "new@example.com", primary: true, verified: false },
          { email: "other@example.com", primary: false, verified: false }
        ],
        email: "new@example.com",
        verified: false
      },
      { name: "no email anywhere is null", profileEmail: null, emails: [], email: null, verified: false },
      { name: "an empty profile email is null, never \"\"", profileEmail: "", emails: [], email: null, verified: false }
    ])("email: $name", ({ profileEmail, emails, email, verified }) =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        github.enqueue(githubUser, { body: { ...githubProfile, email: profileEmail } })
        github.enqueue(githubEmails, { body: emails })
        const providers = yield* OAuthProviders
        const identity = yield* providers.identity("github", githubAccessToken)
        assert.strictEqual(identity.email, email)
        assert.strictEqual(identity.emailVerified, verified)
      }))

    it.effect("when /user/emails is refused the profile email is used, unverified", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        github.enqueue(githubUser, { body: { ...githubProfile, email: "Octo@Public.example" } })
        github.enqueue(githubEmails, { status: 403, body: { message: "Resource not accessible by integration" } })
        const providers = yield* OAuthProviders
        const identity = yield* providers.identity("github", githubAccessToken)
        assert.strictEqual(identity.email, "octo@public.example")
        assert.isFalse(identity.emailVerified)
        assert.strictEqual(identity.providerAccountId, "583231")
      }))

    it.effect("a missing name and avatar are null", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        github.enqueue(githubUser, { body: { login: "ghost", id: 10137 } })
        const providers = yield* OAuthProviders
        const identity = yield* providers.identity("github", githubAccessToken)
        assert.strictEqual(identity.providerAccountId, "10137")
        assert.isNull(identity.name)
        assert.isNull(identity.picture)
      }))

    it.effect("a 401 on /user is a failure carrying GitHub's body", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        github.enqueue(githubUser, {
          status: 401,
          body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" }
        })
        const error = yield* identityFailure("github")
        assert.strictEqual(
          error.message,
          `Failed to retrieve GitHub user info: {"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`
        )
        assert.strictEqual(github.requestsTo(githubEmails).length, 0)
        assertNoSecrets(error)
      }))

    it.effect("network errors on /user are retried, then fail with network error", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        const front = yield* flakyFront(github.url, Number.POSITIVE_INFINITY)
        const env = yield* fakeEnvironment
        const error = yield* identityFailure("github").pipe(
          Effect.provide(providersWith({ ...env, GITHUB_API_URL: front.url }))
        )
        assert.strictEqual(error.message, "Failed to retrieve GitHub user info: network error")
        assert.strictEqual(front.proxy.connectionsAccepted(), 3)
        assertNoSecrets(error)
      }))

    it.effect("two network errors then answers: /user and /user/emails both succeed", () =>
      Effect.gen(function*() {
        const { github } = yield* resetFakes
        const front = yield* flakyFront(github.url, 2)
        const env = yield* fakeEnvironment
        const identity = yield* OAuthProviders.use((providers) => providers.identity("github", githubAccessToken)).pipe(
          Effect.provide(providersWith({ ...env, GITHUB_API_URL: front.url }))
        )
        assert.strictEqual(identity.email, "octocat@github.example")
        assert.isTrue(identity.emailVerified)
        assert.deepStrictEqual(github.requests().map((request) => request.path), ["/user", "/user/emails"])
      }))
  })

  it.effect("nothing logged along the way holds a secret or an access token", () =>
    Effect.sync(() => {
      assert.isAbove(logs.lines.length, 0)
      const rendered = JSON.stringify(logs.lines)
      for (const secret of secrets) assert.notInclude(rendered, secret)
    }))
})
