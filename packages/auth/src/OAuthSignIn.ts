/**
 * Sign-in with Google or GitHub. The state is random, kept in the key-value store (Redis, or the
 * process's memory when embedded) for ten minutes, single use (taken atomically), tied to the
 * provider and to the browser that started (a cookie whose hash the state records). An identity
 * links to an existing account only on an email the provider says is verified; a deleted or
 * deactivated account never gets tokens. The store not answering is `OAuthUnavailable` (and a log
 * line), never mistaken for a bad state.
 */
import { CallbackUrlSettings, isAllowedCallbackUrl } from "@cuebx/config"
import { KeyValueStore } from "@cuebx/redis"
import { Context, Data, Duration, Effect, Layer, Option, Schema } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { Accounts, type ClientContext } from "./Accounts.ts"
import { type OAuthIdentity, type OAuthProvider, OAuthProviders } from "./external/OAuthProviders.ts"
import { newOAuthState } from "./external/OAuthState.ts"
import { Sessions, type TokenPair } from "./Sessions.ts"
import { UsersRepo } from "./UsersRepo.ts"

export const oauthCookieName = "cuebx_oauth"
export const oauthStateTtlSeconds = 600

export class OAuthNotConfigured extends Data.TaggedError("OAuthNotConfigured")<{ readonly provider: OAuthProvider }> {}
export class InvalidCallbackUrl extends Data.TaggedError("InvalidCallbackUrl")<{}> {}
/** The store that holds the states (Redis) did not answer. */
export class OAuthUnavailable extends Data.TaggedError("OAuthUnavailable")<{}> {}

/** A failed callback; with a trusted `callbackUrl` the browser is sent back there with `error`. */
export class OAuthCallbackFailed extends Data.TaggedError("OAuthCallbackFailed")<{
  readonly detail: string
  readonly error: string
  readonly callbackUrl: string | null
  readonly status: 400 | 403
}> {}

const StoredState = Schema.fromJsonString(Schema.Struct({
  provider: Schema.Literals(["google", "github"]),
  callbackUrl: Schema.NullOr(Schema.String),
  rememberMe: Schema.Boolean,
  browser: Schema.String
}))

const stateKey = (state: string) => `oauth_state:${state}`

const digest = (value: string) => createHash("sha256").update(value).digest("hex")

/** The store failed: logged here, answered 503 by the HTTP layer. */
const unavailable = (doing: "storing" | "reading", cause: unknown) =>
  Effect.logError(`OAuth state unavailable: the store (Redis) failed ${doing} it`, cause).pipe(
    Effect.andThen(Effect.fail(new OAuthUnavailable()))
  )

export interface OAuthStart {
  readonly authorizationUrl: string
  readonly state: string
  /** The value of the `cuebx_oauth` cookie binding the state to this browser. */
  readonly browserBinding: string
}

export interface OAuthCallback {
  readonly code?: string | undefined
  readonly state?: string | undefined
  readonly error?: string | undefined
  readonly errorDescription?: string | undefined
}

export class OAuthSignIn extends Context.Service<OAuthSignIn, {
  start(
    provider: OAuthProvider,
    options: { readonly rememberMe: boolean; readonly callbackUrl: string | null }
  ): Effect.Effect<OAuthStart, OAuthNotConfigured | InvalidCallbackUrl | OAuthUnavailable>
  complete(
    provider: OAuthProvider,
    callback: OAuthCallback,
    browserBinding: string | undefined,
    client: ClientContext
  ): Effect.Effect<
    { readonly tokens: TokenPair; readonly callbackUrl: string | null },
    OAuthCallbackFailed | OAuthUnavailable
  >
}>()("@cuebx/auth/OAuthSignIn") {
  static readonly layer = Layer.effect(
    OAuthSignIn,
    Effect.gen(function*() {
      const providers = yield* OAuthProviders
      const store = yield* KeyValueStore
      const users = yield* UsersRepo
      const accounts = yield* Accounts
      const sessions = yield* Sessions
      const callbackUrls = yield* CallbackUrlSettings

      const start = Effect.fn("OAuthSignIn.start")(function*(
        provider: OAuthProvider,
        options: { readonly rememberMe: boolean; readonly callbackUrl: string | null }
      ) {
        if (!providers.isConfigured(provider)) return yield* new OAuthNotConfigured({ provider })
        if (
          options.callbackUrl !== null &&
          !isAllowedCallbackUrl(options.callbackUrl, callbackUrls)
        ) {
          return yield* new InvalidCallbackUrl()
        }
        const state = newOAuthState()
        const browserBinding = randomBytes(32).toString("base64url")
        const stored = yield* Schema.encodeEffect(StoredState)({
          provider,
          callbackUrl: options.callbackUrl,
          rememberMe: options.rememberMe,
          browser: digest(browserBinding)
        }).pipe(Effect.orDie)
        yield* store.set(stateKey(state), stored, Duration.seconds(oauthStateTtlSeconds)).pipe(
          Effect.catchTag("StoreUnavailable", (error) => unavailable("storing", error.cause))
        )
        return { authorizationUrl: providers.authorizationUrl(provider, state), state, browserBinding }
      })

      /** Takes the state (once); undefined when unknown, expired, replayed, foreign or for another provider. */
      const takeState = (provider: OAuthProvider, state: string, browserBinding: string | undefined) =>
        store.take(stateKey(state)).pipe(
          Effect.catchTag("StoreUnavailable", (error) => unavailable("reading", error.cause)),
          Effect.flatMap((raw) =>
            raw === null
              ? Effect.succeed(undefined)
              : Schema.decodeEffect(StoredState)(raw).pipe(Effect.orElseSucceed(() => undefined))
          ),
          Effect.map((stored) =>
            stored !== undefined && stored.provider === provider && browserBinding !== undefined &&
              stored.browser === digest(browserBinding)
              ? stored
              : undefined
          )
        )

      /** The account of an identity: linked already, linked now on a verified email, or new. */
      const resolveUser = (
        identity: OAuthIdentity,
        fail: (detail: string, error: string, status?: 400 | 403) => OAuthCallbackFailed
      ) =>
        Effect.gen(function*() {
          const linked = yield* users.findByOAuthAccount(identity.provider, identity.providerAccountId)
          if (Option.isSome(linked)) return linked.value
          if (identity.email === null) {
            return yield* fail("The provider did not share an email address.", "email_missing")
          }
          const found = yield* users.findByEmail(identity.email)
          if (Option.isSome(found)) {
            const existing = found.value
            if (!identity.emailVerified) {
              return yield* fail(
                "An account with this email already exists; sign in to it first to link this provider.",
                "account_exists"
              )
            }
            yield* users.linkOAuthAccount(existing.id, identity.provider, identity.providerAccountId, identity.email)
            return existing
          }
          const created = yield* users.create({
            email: identity.email,
            passwordHash: null,
            fullName: identity.name,
            avatarUrl: identity.picture,
            emailVerified: identity.emailVerified
          }).pipe(Effect.catchTag("EmailTaken", () => Effect.fail(fail("OAuth authentication failed", "oauth_error"))))
          yield* users.linkOAuthAccount(created.id, identity.provider, identity.providerAccountId, identity.email)
          return created
        })

      const complete = Effect.fn("OAuthSignIn.complete")(function*(
        provider: OAuthProvider,
        callback: OAuthCallback,
        browserBinding: string | undefined,
        client: ClientContext
      ) {
        const stored = callback.state === undefined
          ? undefined
          : yield* takeState(provider, callback.state, browserBinding)
        const callbackUrl = stored?.callbackUrl ?? null
        const fail = (detail: string, error: string, status: 400 | 403 = 400) =>
          new OAuthCallbackFailed({ detail, error, callbackUrl, status })

        if (callback.error !== undefined) {
          return yield* new OAuthCallbackFailed({
            detail: `OAuth error: ${callback.error}`,
            error: callback.error,
            callbackUrl,
            status: 400
          })
        }
        if (callback.code === undefined || callback.state === undefined) {
          return yield* fail("Missing required OAuth parameters", "invalid_request")
        }
        if (stored === undefined) return yield* fail("Invalid state parameter.", "invalid_state")

        const identity = yield* providers.exchangeCode(provider, callback.code).pipe(
          Effect.flatMap((accessToken) => providers.identity(provider, accessToken)),
          Effect.mapError((error) => fail(error.message, "oauth_error"))
        )
        const user = yield* resolveUser(identity, fail)
        if (!user.isActive) return yield* fail("User account is deactivated", "account_deactivated", 403)
        yield* users.fillProfileFromProvider(user.id, identity.name, identity.picture)
        if (identity.emailVerified && identity.email === user.email && !user.emailVerified) {
          yield* users.markEmailVerified(user.id)
        }
        const verified = user.emailVerified || (identity.emailVerified && identity.email === user.email)
        if (verified) yield* accounts.provisionOnce(user)
        const tokens = yield* sessions.start(user, {
          rememberMe: stored.rememberMe,
          deviceInfo: client.deviceInfo,
          ipAddress: client.ipAddress
        })
        return { tokens, callbackUrl }
      })

      return OAuthSignIn.of({ start, complete })
    })
  )
}
