/**
 * The HTTP side of Google and GitHub sign-in: authorization URLs, the code-for-token exchange and
 * the user's identity (GitHub's email chosen among the addresses GitHub says are verified).
 * States, accounts and sessions are not its business, and neither is the HTTP client: the
 * program provides it (with its tracing and backstop timeout).
 */
import { appendToUrl } from "@cuebx/config"
import { describeRequestFailure } from "@cuebx/observability"
import { Context, Data, Duration, Effect, Layer, Redacted, Schedule, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { OAuthSettings } from "./OAuthSettings.ts"

export type OAuthProvider = "google" | "github"

export const oauthProviders: ReadonlyArray<OAuthProvider> = ["google", "github"]

export interface OAuthIdentity {
  readonly provider: OAuthProvider
  /** Google's `sub`, or GitHub's numeric `id` as a string. */
  readonly providerAccountId: string
  /** Lowercased; null when the provider gave none. */
  readonly email: string | null
  /** True only when the provider says this very address is verified. */
  readonly emailVerified: boolean
  readonly name: string | null
  readonly picture: string | null
}

/** The provider refused, answered something unusable, or could not be reached. `message` is the reference's text. */
export class OAuthFailed extends Data.TaggedError("OAuthFailed")<{
  readonly provider: OAuthProvider
  readonly message: string
}> {}

const label: Record<OAuthProvider, string> = { google: "Google", github: "GitHub" }

const maxBodyLength = 300

/** The provider's body for an error message: secrets blanked out, then truncated. */
const excerpt = (body: string, secrets: ReadonlyArray<string>) => {
  const clean = secrets.reduce((text, secret) => secret === "" ? text : text.split(secret).join("<redacted>"), body)
  return clean.length <= maxBodyLength ? clean : `${clean.slice(0, maxBodyLength)}…`
}

/** No usable answer: refused, reset, unreadable or too slow. Retried for user info, then reported as "network error". */
class NetworkFailure extends Data.TaggedError("NetworkFailure")<{ readonly detail: string }> {}

interface Answer {
  readonly status: number
  readonly body: string
}

const isSuccess = (answer: Answer) => answer.status >= 200 && answer.status < 300

const userInfoRetry = Schedule.spaced("500 millis").pipe(Schedule.upTo({ times: 2 }))

const NullableString = Schema.optionalKey(Schema.NullOr(Schema.String))
const NullableBoolean = Schema.optionalKey(Schema.NullOr(Schema.Boolean))

const TokenAnswer = Schema.fromJsonString(Schema.Struct({
  access_token: NullableString,
  error: NullableString,
  error_description: NullableString
}))

const GoogleUserInfo = Schema.fromJsonString(Schema.Struct({
  sub: Schema.NonEmptyString,
  email: NullableString,
  // The v3 endpoint sends a boolean; older ones sent "true"/"false".
  email_verified: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.Boolean, Schema.String]))),
  name: NullableString,
  picture: NullableString
}))

const GitHubUser = Schema.fromJsonString(Schema.Struct({
  id: Schema.Int,
  email: NullableString,
  name: NullableString,
  avatar_url: NullableString
}))

const GitHubEmails = Schema.fromJsonString(Schema.Array(Schema.Struct({
  email: Schema.String,
  primary: NullableBoolean,
  verified: NullableBoolean
})))
type GitHubEmail = (typeof GitHubEmails.Type)[number]

/** Empty and blank values become null. */
const present = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim() ?? ""
  return trimmed === "" ? null : trimmed
}

const normaliseEmail = (value: string | null | undefined) => present(value)?.toLowerCase() ?? null

/**
 * GitHub's address for the account: the primary verified one, else the first verified one. Only
 * when GitHub vouches for none is the profile email (or the first listed) used, and then it is
 * unverified unless `/user/emails` marks that same address verified.
 */
export const pickGitHubEmail = (
  profileEmail: string | null | undefined,
  emails: ReadonlyArray<GitHubEmail>
): { readonly email: string | null; readonly verified: boolean } => {
  const listed = emails.flatMap((entry) => {
    const email = normaliseEmail(entry.email)
    return email === null ? [] : [{ email, primary: entry.primary === true, verified: entry.verified === true }]
  })
  const verified = listed.find((entry) => entry.primary && entry.verified) ?? listed.find((entry) => entry.verified)
  if (verified !== undefined) return { email: verified.email, verified: true }
  const fallback = normaliseEmail(profileEmail) ?? listed[0]?.email ?? null
  if (fallback === null) return { email: null, verified: false }
  return { email: fallback, verified: listed.some((entry) => entry.email === fallback && entry.verified) }
}

/** Both the client id and the client secret are set. */
export const isProviderConfigured = (settings: OAuthSettings, provider: OAuthProvider): boolean =>
  settings[provider].clientId !== "" && Redacted.value(settings[provider].clientSecret).trim() !== ""

export const redirectUriFor = (settings: OAuthSettings, provider: OAuthProvider): string =>
  `${settings.redirectBaseUri.replace(/\/+$/, "")}/oauth/${provider}/callback`

/** OA2's URLs, form-urlencoded (spaces as `+`), parameters in the reference's order. */
export const authorizationUrlFor = (settings: OAuthSettings, provider: OAuthProvider, state: string): string =>
  provider === "google"
    ? appendToUrl(settings.google.authUrl, {
      client_id: settings.google.clientId,
      redirect_uri: redirectUriFor(settings, "google"),
      response_type: "code",
      scope: "openid email profile",
      state,
      access_type: "offline",
      prompt: "consent"
    }, "query")
    : appendToUrl(settings.github.authorizeUrl, {
      client_id: settings.github.clientId,
      redirect_uri: redirectUriFor(settings, "github"),
      scope: "read:user user:email",
      state
    }, "query")

export class OAuthProviders extends Context.Service<OAuthProviders, {
  /** Both the client id and the client secret are set. */
  isConfigured(provider: OAuthProvider): boolean
  /** `{OAUTH_REDIRECT_BASE_URI}/oauth/{provider}/callback`, as registered with the provider. */
  redirectUri(provider: OAuthProvider): string
  authorizationUrl(provider: OAuthProvider, state: string): string
  /** The provider's access token for an authorization code. */
  exchangeCode(provider: OAuthProvider, code: string): Effect.Effect<string, OAuthFailed>
  identity(provider: OAuthProvider, accessToken: string): Effect.Effect<OAuthIdentity, OAuthFailed>
}>()("@cuebx/auth/OAuthProviders") {
  static readonly layerFromSettings = (settings: OAuthSettings) => {
    const isConfigured = (provider: OAuthProvider) => isProviderConfigured(settings, provider)
    const redirectUri = (provider: OAuthProvider) => redirectUriFor(settings, provider)
    return Layer.effect(
      OAuthProviders,
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient

        const send = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Answer, NetworkFailure> =>
          client.execute(request).pipe(
            Effect.flatMap((response) => Effect.map(response.text, (body) => ({ status: response.status, body }))),
            Effect.catchTag(
              "HttpClientError",
              (error) => Effect.fail(new NetworkFailure({ detail: describeRequestFailure(error) }))
            ),
            Effect.timeoutOrElse({
              duration: settings.timeout,
              orElse: () =>
                Effect.fail(new NetworkFailure({ detail: `no answer within ${Duration.format(settings.timeout)}` }))
            })
          )

        const sendRetried = (provider: OAuthProvider, what: string, request: HttpClientRequest.HttpClientRequest) =>
          send(request).pipe(
            Effect.tapError((failure) =>
              Effect.logWarning("OAuth provider unreachable", { provider, request: what, detail: failure.detail })
            ),
            Effect.retry(userInfoRetry)
          )

        const exchangeCode = Effect.fn("OAuthProviders.exchangeCode")(
          function*(provider: OAuthProvider, code: string): Effect.fn.Return<string, OAuthFailed> {
            yield* Effect.annotateCurrentSpan({ "oauth.provider": provider })
            if (!isConfigured(provider)) {
              return yield* new OAuthFailed({ provider, message: `${label[provider]} OAuth is not configured` })
            }
            const credentials = settings[provider]
            const secret = Redacted.value(credentials.clientSecret)
            const fail = (detail: string) =>
              new OAuthFailed({ provider, message: `${label[provider]} token exchange failed: ${detail}` })
            const request = provider === "google"
              ? HttpClientRequest.post(settings.google.tokenUrl).pipe(
                HttpClientRequest.bodyUrlParams({
                  code,
                  client_id: credentials.clientId,
                  client_secret: credentials.clientSecret,
                  redirect_uri: redirectUri(provider),
                  grant_type: "authorization_code"
                })
              )
              : HttpClientRequest.post(settings.github.tokenUrl).pipe(
                HttpClientRequest.acceptJson,
                HttpClientRequest.bodyUrlParams({
                  client_id: credentials.clientId,
                  client_secret: credentials.clientSecret,
                  code,
                  redirect_uri: redirectUri(provider)
                })
              )
            const answer = yield* send(request).pipe(
              Effect.tapError((failure) =>
                Effect.logWarning("OAuth token exchange unreachable", { provider, detail: failure.detail })
              ),
              Effect.catchTag("NetworkFailure", () => Effect.fail(fail("network error")))
            )
            if (!isSuccess(answer)) {
              yield* Effect.logWarning("OAuth token exchange refused", { provider, status: answer.status })
              return yield* fail(excerpt(answer.body, [secret]))
            }
            const decoded = Schema.decodeUnknownOption(TokenAnswer)(answer.body)
            if (decoded._tag === "None") return yield* fail("unexpected answer")
            const token = decoded.value
            // GitHub reports a bad code with a 200 and an `error` field.
            if (token.error !== undefined && token.error !== null) {
              yield* Effect.logWarning("OAuth token exchange refused", { provider, status: answer.status })
              return yield* fail(excerpt(present(token.error_description) ?? token.error, [secret]))
            }
            const accessToken = present(token.access_token)
            if (accessToken === null) return yield* fail("no access token in the answer")
            return accessToken
          }
        )

        const googleIdentity = Effect.fnUntraced(function*(accessToken: string): Effect.fn.Return<
          OAuthIdentity,
          OAuthFailed
        > {
          const fail = (detail: string) =>
            new OAuthFailed({ provider: "google", message: `Failed to retrieve Google user info: ${detail}` })
          const answer = yield* sendRetried(
            "google",
            "userinfo",
            HttpClientRequest.get(settings.google.userInfoUrl).pipe(HttpClientRequest.bearerToken(accessToken))
          ).pipe(Effect.catchTag("NetworkFailure", () => Effect.fail(fail("network error"))))
          if (!isSuccess(answer)) {
            yield* Effect.logWarning("OAuth user info refused", { provider: "google", status: answer.status })
            return yield* fail(excerpt(answer.body, [accessToken]))
          }
          const decoded = Schema.decodeUnknownOption(GoogleUserInfo)(answer.body)
          if (decoded._tag === "None") return yield* fail("unexpected answer")
          const info = decoded.value
          const email = normaliseEmail(info.email)
          return {
            provider: "google",
            providerAccountId: info.sub,
            email,
            emailVerified: email !== null && (info.email_verified === true || info.email_verified === "true"),
            name: present(info.name),
            picture: present(info.picture)
          }
        })

        const githubIdentity = Effect.fnUntraced(function*(accessToken: string): Effect.fn.Return<
          OAuthIdentity,
          OAuthFailed
        > {
          const fail = (detail: string) =>
            new OAuthFailed({ provider: "github", message: `Failed to retrieve GitHub user info: ${detail}` })
          const apiUrl = settings.github.apiUrl.replace(/\/+$/, "")
          const apiGet = (path: string) =>
            HttpClientRequest.get(`${apiUrl}${path}`).pipe(
              HttpClientRequest.bearerToken(accessToken),
              HttpClientRequest.setHeaders({
                accept: "application/vnd.github+json",
                "x-github-api-version": "2022-11-28",
                // GitHub's API refuses requests without a User-Agent.
                "user-agent": "CueBX"
              })
            )

          const userAnswer = yield* sendRetried("github", "user", apiGet("/user")).pipe(
            Effect.catchTag("NetworkFailure", () => Effect.fail(fail("network error")))
          )
          if (!isSuccess(userAnswer)) {
            yield* Effect.logWarning("OAuth user info refused", { provider: "github", status: userAnswer.status })
            return yield* fail(excerpt(userAnswer.body, [accessToken]))
          }
          const user = Schema.decodeUnknownOption(GitHubUser)(userAnswer.body)
          if (user._tag === "None") return yield* fail("unexpected answer")

          // Without the address list nothing is known to be verified, which is safe: carry on unverified.
          const emails = yield* sendRetried("github", "user/emails", apiGet("/user/emails")).pipe(
            Effect.map((answer) => {
              if (!isSuccess(answer)) return { status: answer.status, list: undefined }
              const decoded = Schema.decodeUnknownOption(GitHubEmails)(answer.body)
              return { status: answer.status, list: decoded._tag === "Some" ? decoded.value : undefined }
            }),
            Effect.catchTag("NetworkFailure", () => Effect.succeed({ status: undefined, list: undefined }))
          )
          if (emails.list === undefined) {
            yield* Effect.logWarning("GitHub email addresses unavailable", { status: emails.status ?? "network error" })
          }
          const picked = pickGitHubEmail(user.value.email, emails.list ?? [])
          return {
            provider: "github",
            providerAccountId: String(user.value.id),
            email: picked.email,
            emailVerified: picked.verified,
            name: present(user.value.name),
            picture: present(user.value.avatar_url)
          }
        })

        const identity = Effect.fn("OAuthProviders.identity")(
          function*(provider: OAuthProvider, accessToken: string): Effect.fn.Return<OAuthIdentity, OAuthFailed> {
            yield* Effect.annotateCurrentSpan({ "oauth.provider": provider })
            const found = yield* (provider === "google" ? googleIdentity(accessToken) : githubIdentity(accessToken))
            yield* Effect.annotateCurrentSpan({
              "oauth.account_id": found.providerAccountId,
              "oauth.email_verified": found.emailVerified
            })
            return found
          }
        )

        return OAuthProviders.of({
          isConfigured,
          redirectUri,
          authorizationUrl: (provider, state) => authorizationUrlFor(settings, provider, state),
          exchangeCode,
          identity
        })
      })
    )
  }

  static readonly layer = Layer.unwrap(Effect.gen(function*() {
    return OAuthProviders.layerFromSettings(yield* OAuthSettings)
  }))
}
