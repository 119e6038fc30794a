/**
 * The authentication cases every protected endpoint must answer the same way: no token, a
 * malformed one, an expired one, one signed with another key, one signed with the right key but
 * for another issuer or audience (or without them), one that is not an access token, and the
 * token of a deleted account. Later endpoints reuse it with one call each.
 */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { SignJWT } from "jose"
import { call, signedUpUser } from "./support.ts"

// The test configuration leaves JWT_SECRET_KEY, JWT_ISSUER and JWT_AUDIENCE at their defaults.
const defaultKey = new TextEncoder().encode("another_supersecret_key")

const forgedToken = (options: {
  readonly key?: Uint8Array
  readonly type?: string
  readonly expiresInSeconds?: number
  readonly subject?: string
  /** `null` leaves the claim out. */
  readonly issuer?: string | null
  readonly audience?: string | null
}) => {
  const now = Math.floor(Date.now() / 1000)
  return Effect.promise(() => {
    const jwt = new SignJWT({ email: "someone@example.com", type: options.type ?? "access" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(options.subject ?? crypto.randomUUID())
      .setJti(crypto.randomUUID())
      .setIssuedAt(now - 3600)
      .setExpirationTime(now + (options.expiresInSeconds ?? 900))
    const issuer = options.issuer === undefined ? "cuebx" : options.issuer
    const audience = options.audience === undefined ? "cuebx" : options.audience
    if (issuer !== null) jwt.setIssuer(issuer)
    if (audience !== null) jwt.setAudience(audience)
    return jwt.sign(options.key ?? defaultKey)
  })
}

export interface ProtectedEndpoint {
  readonly method: string
  readonly path: string
  readonly body?: unknown
}

const expect401 = (endpoint: ProtectedEndpoint, token: string | undefined, detail: string) =>
  Effect.gen(function*() {
    const response = yield* call(endpoint.method, endpoint.path, {
      ...(endpoint.body === undefined ? {} : { body: endpoint.body }),
      ...(token === undefined ? {} : { token })
    })
    assert.strictEqual(response.status, 401, `${endpoint.method} ${endpoint.path} (${detail}): ${response.text}`)
    assert.deepStrictEqual(response.json, { detail })
    assert.strictEqual(response.headers["www-authenticate"], "Bearer")
  })

export const expectAuthenticationRequired = (endpoint: ProtectedEndpoint) =>
  Effect.gen(function*() {
    yield* expect401(endpoint, undefined, "Not authenticated")
    yield* expect401(endpoint, "not-a-jwt", "Invalid or expired access token")
    yield* expect401(endpoint, yield* forgedToken({ expiresInSeconds: -60 }), "Invalid or expired access token")
    yield* expect401(
      endpoint,
      yield* forgedToken({ key: new TextEncoder().encode("another-key-another-key-another-key") }),
      "Invalid or expired access token"
    )
    for (
      const claims of [
        { issuer: "another-issuer" },
        { audience: "another-audience" },
        { issuer: null, audience: null }
      ]
    ) {
      yield* expect401(endpoint, yield* forgedToken(claims), "Invalid or expired access token")
    }
    yield* expect401(endpoint, yield* forgedToken({ type: "refresh" }), "Invalid access token")
    yield* expect401(endpoint, yield* forgedToken({}), "User not found")
    const deleted = yield* signedUpUser()
    const removal = yield* call("DELETE", "/auth/me", { token: deleted.accessToken })
    assert.strictEqual(removal.status, 200)
    yield* expect401(endpoint, deleted.accessToken, "User account has been deleted")
  })
