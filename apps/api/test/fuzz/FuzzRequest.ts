/**
 * Sends one fuzz case to the API served in-process: resolves its references against the current
 * fixtures (real ids, tokens, keys), forges the tokens it asks for, writes the body exactly as
 * described (bytes, chunks, no Content-Type) and collects every string the request carried, so
 * the response check can tell an echo of the input from a leak.
 */
import { JwtSecretKey } from "@cuebx/config"
import type { RawResponse } from "@cuebx/testing"
import { Effect, Redacted, Stream } from "effect"
import { FetchHttpClient, HttpBody, HttpClient, HttpClientRequest } from "effect/http"
import { SignJWT } from "jose"
import { randomIp } from "../auth/support.ts"
import type { BodyCase, CredentialCase, ForgedKind, FuzzCase, ParamValue } from "./FuzzCases.ts"
import type { FixtureValues } from "./FuzzFixtures.ts"
import { renderJson } from "./JsonArbitraries.ts"
import type { Operation, SecurityScheme } from "./OpenApiOperations.ts"

export interface SentRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /** The body as sent, cut short for messages. */
  readonly bodyPreview: string
  /** Every string the request carried: a response may echo these. */
  readonly echoes: ReadonlyArray<string>
  /** A real identity's credential was sent (its requests can destroy fixtures). */
  readonly authenticated: boolean
}

const valueOf = (name: string, value: ParamValue, fixtures: FixtureValues) => {
  if (value._tag !== "Known") return value
  const known = fixtures.known[name] ?? []
  return { _tag: "Text" as const, text: known.length === 0 ? value.fallback : known[value.pick % known.length]! }
}

/** Lone surrogates cannot be percent-encoded: they are sent as U+FFFD. */
const encode = (text: string) =>
  encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"))

const encoded = (value: { readonly _tag: "Text" | "Raw"; readonly text: string }) =>
  value._tag === "Raw" ? value.text : encode(value.text)

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64url")

const forge = (kind: ForgedKind, fixtures: FixtureValues) =>
  Effect.gen(function*() {
    const key = new TextEncoder().encode(Redacted.value(yield* JwtSecretKey.config))
    const owner = fixtures.identities.owner
    if (kind === "tampered") return `${owner.accessToken.slice(0, -4)}AAAA`
    const now = Math.floor(Date.now() / 1000)
    const claims = {
      email: owner.email,
      type: kind === "refreshType" ? "refresh" : "access"
    }
    if (kind === "algNone") {
      const payload = { ...claims, sub: owner.id, iss: "cuebx", aud: "cuebx", exp: now + 900, jti: crypto.randomUUID() }
      return `${base64(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64(JSON.stringify(payload))}.`
    }
    return yield* Effect.promise(() =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(kind === "unknownUser" ? crypto.randomUUID() : owner.id)
        .setJti(crypto.randomUUID())
        .setIssuedAt(now - 3600)
        .setExpirationTime(kind === "expired" ? now - 60 : now + 900)
        .setIssuer("cuebx")
        .setAudience("cuebx")
        .sign(kind === "otherKey" ? new TextEncoder().encode("another-key-another-key-another-key") : key)
    )
  }).pipe(Effect.orDie)

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`

/** The headers a scheme asks for, with the fixtures' real credential. */
const properHeaders = (scheme: SecurityScheme, as: "owner" | "member", fixtures: FixtureValues) => {
  switch (scheme._tag) {
    case "Bearer":
      return { authorization: `Bearer ${fixtures.identities[as].accessToken}` }
    case "Basic":
      return { authorization: basic(fixtures.admin.username, fixtures.admin.password) }
    case "ApiKeyHeader":
      return {
        [scheme.header]: scheme.header === "x-internal-api-key"
          ? fixtures.internalKey
          : fixtures.workspaceApiKey ?? "no-workspace-api-key"
      }
    case "Unknown":
      return {}
  }
}

const credentialHeaders = (
  operation: Operation,
  credential: CredentialCase,
  fixtures: FixtureValues
): Effect.Effect<Record<string, string>> => {
  switch (credential._tag) {
    case "Proper": {
      const alternative = operation.security[credential.as === "member" ? operation.security.length - 1 : 0] ?? []
      return Effect.succeed(
        Object.assign({}, ...alternative.map((scheme) => properHeaders(scheme, credential.as, fixtures)))
      )
    }
    case "None":
      return Effect.succeed({})
    case "Bearer": {
      const who = fixtures.identities[credential.of]
      return Effect.succeed({ authorization: `Bearer ${credential.refresh ? who.refreshToken : who.accessToken}` })
    }
    case "Forged":
      return Effect.map(forge(credential.kind, fixtures), (token) => ({ authorization: `Bearer ${token}` }))
    case "BasicAdmin":
      return Effect.succeed({
        authorization: basic(
          credential.username ?? fixtures.admin.username,
          credential.password ?? fixtures.admin.password
        )
      })
    case "ApiKey":
      return Effect.succeed({
        [credential.header]: credential.value === "workspace"
          ? fixtures.workspaceApiKey ?? "no-workspace-api-key"
          : credential.value === "internal"
          ? fixtures.internalKey
          : credential.value
      })
    case "Header":
      return Effect.succeed({ [credential.name]: credential.value })
  }
}

const encoder = new TextEncoder()

/** The body as the client sends it, and its text for echoes and messages. */
const bodyOf = (
  body: BodyCase
): { readonly http: HttpBody.HttpBody; readonly text: string; readonly echoes: Array<string> } => {
  switch (body._tag) {
    case "None":
      return { http: HttpBody.empty, text: "", echoes: [] }
    case "Json": {
      const text = renderJson(body.value)
      return {
        http: HttpBody.raw(encoder.encode(text), { contentType: "application/json" }),
        text,
        echoes: stringsIn(body.value)
      }
    }
    case "Text": {
      const text = typeof body.text === "string" ? body.text : body.text.text()
      return { http: HttpBody.raw(encoder.encode(text), { contentType: body.contentType }), text, echoes: [text] }
    }
    case "Bytes": {
      const bytes = Uint8Array.from(body.bytes)
      return {
        http: HttpBody.raw(bytes, { contentType: body.contentType }),
        text: new TextDecoder().decode(bytes),
        echoes: []
      }
    }
    case "Chunked":
      return {
        http: HttpBody.stream(
          Stream.fromIterable(body.chunks.map((chunk) => encoder.encode(chunk))),
          "application/json"
        ),
        text: body.chunks.join(""),
        echoes: [body.chunks.join("")]
      }
  }
}

/** Every string in a JSON value, keys included. */
const stringsIn = (value: unknown): Array<string> => {
  if (typeof value === "string") return [value]
  if (value === null || typeof value !== "object") return []
  if (Array.isArray(value)) return value.flatMap(stringsIn)
  return Object.entries(value).flatMap(([key, inner]) => [key, ...stringsIn(inner)])
}

export const sendCase = (operation: Operation, fuzzCase: FuzzCase, fixtures: FixtureValues) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const pathValues = Object.fromEntries(
      Object.entries(fuzzCase.path).map(([name, value]) => [name, valueOf(name, value, fixtures)])
    )
    const path = operation.path.replace(/\{([^}]+)\}/g, (_match, name: string) =>
      encoded(pathValues[name] ?? { _tag: "Text", text: "" }))
    const queryValues = fuzzCase.query.map(([name, value]) =>
      [name, valueOf(name, value, fixtures)] as const
    )
    const query = queryValues.map(([name, value]) => `${encode(name)}=${encoded(value)}`).join("&")
    const url = query === "" ? path : `${path}?${query}`
    const credentials = yield* credentialHeaders(operation, fuzzCase.credential, fixtures)
    const headers = { "x-forwarded-for": randomIp(), ...credentials }
    const body = bodyOf(fuzzCase.body)
    const request = HttpClientRequest.make(operation.method as "GET")(url).pipe(
      HttpClientRequest.setHeaders(headers),
      HttpClientRequest.setBody(body.http)
    )
    const response = yield* client.execute(request).pipe(
      Effect.provideService(FetchHttpClient.RequestInit, { redirect: "manual", keepalive: false }),
      Effect.timeout("30 seconds")
    )
    const text = yield* response.text
    const sent: SentRequest = {
      method: operation.method,
      url,
      headers,
      bodyPreview: body.text.length > 300 ? `${body.text.slice(0, 300)}… (${body.text.length} characters)` : body.text,
      echoes: [
        ...body.echoes,
        ...Object.values(pathValues).map((value) => value.text),
        ...queryValues.flatMap(([name, value]) => [name, value.text]),
        ...Object.values(headers)
      ],
      authenticated: ["Proper", "Bearer"].includes(fuzzCase.credential._tag)
    }
    let json: unknown = undefined
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { sent, response: { status: response.status, headers: response.headers, text, json } satisfies RawResponse }
  }).pipe(Effect.orDie)
