/**
 * Helpers for the `/auth` tests: the API with its auth services, distinct client addresses per
 * request (so the per-IP limits of one test do not leak into another), codes read from the
 * `otp_emails` messages the API enqueued, and ready-made signed-up users.
 */
import { MessageSecrets } from "@cuebx/broker"
import {
  type FakeHttpServer,
  makeFakeHttpServer,
  rawRequest,
  type RawRequestOptions,
  type RawResponse,
  type TestInfraOptions
} from "@cuebx/testing"
import { assert } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { randomInt } from "node:crypto"
import { apiTestLayer } from "../support.ts"

export const authTestLayer = (options: TestInfraOptions = {}) =>
  apiTestLayer({ ...options, env: { TRUSTED_PROXY_COUNT: "1", ...options.env } }).pipe(
    Layer.provideMerge(MessageSecrets.layer)
  )

/** A fake Brevo the API's worker sends its emails to, for end-to-end tests. */
export class FakeBrevo extends Context.Service<FakeBrevo, FakeHttpServer>()("test/FakeBrevo") {}

/** `authTestLayer` with Brevo faked (and available as `FakeBrevo`), so a worker can deliver emails. */
export const authTestLayerWithBrevo = Layer.unwrap(Effect.gen(function*() {
  const brevo = yield* makeFakeHttpServer("brevo", {
    "POST /v3/smtp/email": { status: 201, body: { messageId: "<m@brevo>" } }
  })
  return authTestLayer({ env: { BREVO_BASE_URL: `${brevo.url}/v3` } }).pipe(
    Layer.merge(Layer.succeed(FakeBrevo, brevo))
  )
}))

export const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`

let counter = 0
/** A fresh address per call, in lower case as the API stores them. */
export const uniqueEmail = (label = "user") => `${label.toLowerCase()}-${Date.now()}-${counter++}@example.com`

export const password = "Correct-Horse-9"

/** A raw request from a fresh client address unless one is given. */
export const call = (
  method: string,
  path: string,
  options: RawRequestOptions & { readonly ip?: string; readonly token?: string } = {}
) =>
  rawRequest(method, path, {
    ...options,
    headers: {
      "x-forwarded-for": options.ip ?? randomIp(),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers
    }
  })

export type OtpPurpose = "email_verification" | "password_reset" | "sign_in"

/** The code of the newest `otp_emails` message for this email and purpose, opened. */
export const latestCode = (email: string, purpose: OtpPurpose) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const secrets = yield* MessageSecrets
    const [row] = yield* sql<{ readonly code: string }>`
      SELECT payload->>'otp_code' AS code FROM outbox_messages
      WHERE queue = 'otp_emails' AND payload->>'email' = ${email} AND payload->>'purpose' = ${purpose}
      ORDER BY created_at DESC LIMIT 1`
    assert.isDefined(row, `no ${purpose} code was sent to ${email}`)
    return yield* secrets.open(row!.code)
  })

export interface SignedIn {
  readonly email: string
  readonly accessToken: string
  readonly refreshToken: string
}

const tokensOf = (response: RawResponse, email: string): SignedIn => {
  assert.strictEqual(response.status, 200, response.text)
  const body = response.json as { access_token: string; refresh_token: string }
  return { email, accessToken: body.access_token, refreshToken: body.refresh_token }
}

/** Signs up, verifies with the emailed code, and returns the session's tokens. */
export const signedUpUser = (email = uniqueEmail(), fullName: string | null = "Ada Lovelace") =>
  Effect.gen(function*() {
    const signup = yield* call("POST", "/auth/signup", { body: { email, password, full_name: fullName } })
    assert.strictEqual(signup.status, 201, signup.text)
    const code = yield* latestCode(email, "email_verification")
    return tokensOf(yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: code } }), email)
  })

export const signIn = (email: string, secret = password, extra: Record<string, unknown> = {}) =>
  call("POST", "/auth/signin", { body: { email, password: secret, ...extra } }).pipe(
    Effect.map((response) => tokensOf(response, email))
  )
