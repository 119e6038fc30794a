/**
 * What one fuzzed request is, before it meets the fixtures: parameters, body and credential as
 * data (a real id or token is a reference resolved when the request is sent, so a case stays
 * printable and replayable), and the classes of cases generated for each operation.
 */
import * as fc from "fast-check"
import { allowedCallbackUrl, type Who } from "./FuzzFixtures.ts"
import {
  anyJson,
  type Hints,
  hostileString,
  mutatedJson,
  nestedArrays,
  nestedObjects,
  RawJson,
  repeated,
  validJson
} from "./JsonArbitraries.ts"
import type { JsonSchema, Operation, Parameter } from "./OpenApiOperations.ts"

/** A path or query value: a real one from the fixtures, text to percent-encode, or text sent as written. */
export type ParamValue =
  | { readonly _tag: "Known"; readonly pick: number; readonly fallback: string }
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Raw"; readonly text: string }

export type BodyCase =
  | { readonly _tag: "None" }
  | { readonly _tag: "Json"; readonly value: unknown; readonly note?: string }
  | { readonly _tag: "Text"; readonly text: string | RawJson; readonly contentType: string | undefined }
  | { readonly _tag: "Bytes"; readonly bytes: ReadonlyArray<number>; readonly contentType: string | undefined }
  /** Chunked, without Content-Length. */
  | { readonly _tag: "Chunked"; readonly chunks: ReadonlyArray<string> }

export type CredentialCase =
  /** What the operation's security asks for, with a real credential (`as` picks the Bearer user). */
  | { readonly _tag: "Proper"; readonly as: "owner" | "member" }
  | { readonly _tag: "None" }
  /** A real token of someone, whatever the operation asks for. */
  | { readonly _tag: "Bearer"; readonly of: Who; readonly refresh: boolean }
  | { readonly _tag: "Forged"; readonly kind: ForgedKind }
  | { readonly _tag: "BasicAdmin"; readonly username?: string | undefined; readonly password?: string | undefined }
  | { readonly _tag: "ApiKey"; readonly header: string; readonly value: "workspace" | "internal" | string }
  | { readonly _tag: "Header"; readonly name: string; readonly value: string }

export type ForgedKind = "expired" | "otherKey" | "algNone" | "refreshType" | "unknownUser" | "tampered"

export interface FuzzCase {
  readonly path: Readonly<Record<string, ParamValue>>
  readonly query: ReadonlyArray<readonly [string, ParamValue]>
  readonly body: BodyCase
  readonly credential: CredentialCase
}

/** Valid-looking values where the schema alone would not get past business rules. */
export const hints: Hints = (name) => {
  if (/(^|_)email$/.test(name)) return fc.emailAddress().map((email) => email.toLowerCase())
  if (/(^|_)url$/.test(name)) return fc.constant(allowedCallbackUrl)
  // UUIDs in bodies (the schema says `format: uuid`, which the generators do not follow).
  if (/^(usage|user)_id$/.test(name)) return fc.uuid()
  return undefined
}

const asText = (value: unknown) => typeof value === "string" ? value : JSON.stringify(value)

/** A value following the parameter's schema, as the text it is sent as. */
const validParameterText = (parameter: Parameter): fc.Arbitrary<string> => {
  const valid = validJson(parameter.schema, hints, parameter.name).map(asText)
  const { schema } = parameter
  // The document shows query numbers and booleans as plain strings: try those too.
  const plain = schema.type === "string" && schema.enum === undefined && schema.pattern === undefined &&
    schema.format === undefined
  return plain ? fc.oneof(valid, fc.integer({ min: 0, max: 100 }).map(String), fc.constantFrom("true", "false")) : valid
}

const knownOr = (parameter: Parameter): fc.Arbitrary<ParamValue> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.tuple(fc.nat(), validParameterText(parameter)).map(([pick, fallback]) => ({
        _tag: "Known" as const,
        pick,
        fallback
      }))
    },
    { weight: 1, arbitrary: validParameterText(parameter).map((text) => ({ _tag: "Text" as const, text })) }
  )

/** Path segments and query values that break parsers, routers and queries. */
const oddParameter: fc.Arbitrary<ParamValue> = fc.oneof(
  hostileString.filter((text) => text !== "").map((text) => ({ _tag: "Text" as const, text })),
  fc.constantFrom("..", ".", "%", "%00", "%zz", "%2e%2e", "%2F", "a%2Fb", "%ff%fe", ";x=1", "~", "*", "%20")
    .map((text) => ({ _tag: "Raw" as const, text })),
  fc.constantFrom(
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "not-a-uuid",
    "0",
    "-1",
    "9".repeat(40),
    "1e999",
    "x".repeat(4096)
  ).map((text) => ({ _tag: "Text" as const, text })),
  fc.uuid().map((text) => ({ _tag: "Text" as const, text })),
  fc.string({ minLength: 1, maxLength: 30 }).map((text) => ({ _tag: "Text" as const, text }))
)

const pathOf = (operation: Operation, value: (parameter: Parameter) => fc.Arbitrary<ParamValue>) =>
  fc.record(Object.fromEntries(operation.pathParameters.map((parameter) => [parameter.name, value(parameter)])))

const validQuery = (operation: Operation) =>
  fc.tuple(...operation.queryParameters.map((parameter) =>
    parameter.required
      ? knownOr(parameter).map((value) => [[parameter.name, value] as const])
      : fc.oneof(
        { weight: 2, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: knownOr(parameter).map((value) => [[parameter.name, value] as const]) }
      )
  )).map((entries) => entries.flat())

const oddQuery = (operation: Operation) =>
  fc.tuple(
    fc.tuple(...operation.queryParameters.map((parameter) =>
      fc.oneof(
        fc.constant([]),
        oddParameter.map((value) => [[parameter.name, value] as const]),
        fc.tuple(knownOr(parameter), oddParameter).map(([first, second]) => [
          [parameter.name, first] as const,
          [parameter.name, second] as const
        ])
      )
    )),
    fc.array(fc.tuple(fc.oneof(hostileString, fc.constantFrom("__proto__", "a[b]", "a[]")), oddParameter), {
      maxLength: 2
    })
  ).map(([declared, unknown]) => [...declared.flat(), ...unknown])

const validBody = (operation: Operation): fc.Arbitrary<BodyCase> =>
  operation.jsonBody === undefined
    ? fc.constant({ _tag: "None" })
    : validJson(operation.jsonBody, hints).map((value) => ({ _tag: "Json", value }))

const brokenBody = (schema: JsonSchema): fc.Arbitrary<BodyCase> =>
  mutatedJson(schema, hints).map(({ body, description }) => ({ _tag: "Json", value: body, note: description }))

const utf8 = (text: string) => [...new TextEncoder().encode(text)]

const wrongContentTypes = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=fuzz",
  "application/xml",
  "application/merge-patch+json",
  "application/json; charset=utf-16",
  "APPLICATION/JSON",
  "*/*",
  "garbage"
]

const text = (value: string | RawJson, contentType: string | undefined = "application/json"): BodyCase => ({
  _tag: "Text",
  text: value,
  contentType
})

/** Bodies that are empty, not JSON, JSON of the wrong shape, or built to cost the server. */
const rawBody = (operation: Operation): fc.Arbitrary<BodyCase> => {
  const valid = validBody(operation).map((body) => body._tag === "Json" ? JSON.stringify(body.value) : "{}")
  return fc.oneof(
    fc.constantFrom<BodyCase>(
      { _tag: "None" },
      text(""),
      text("  \r\n\t "),
      text("null"),
      { _tag: "Chunked", chunks: [] },
      { _tag: "Chunked", chunks: ["{\"a\"", ": 1}"] },
      text("{"),
      text("{\"email\": "),
      text("{'email': 'a'}"),
      text("{\"a\": 1,}"),
      text("[]"),
      text("[{}]"),
      text("42"),
      text("\"text\""),
      text("true"),
      text("NaN"),
      text("undefined"),
      text("{\"email\": \"a@b.c\", \"email\": \"d@e.f\"}"),
      text("{\"__proto__\": {\"admin\": true}, \"constructor\": {\"prototype\": {\"admin\": true}}}"),
      text(nestedArrays(100_000)),
      text(nestedObjects(50)),
      text(new RawJson("{\"x\": \"a\"×900000}", () => JSON.stringify({ x: "a".repeat(900_000) }))),
      text(new RawJson("{\"x\": \"a\"×2000000}", () => JSON.stringify({ x: "a".repeat(2_000_000) }))),
      text(
        new RawJson(
          "20000 keys",
          () => JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])))
        )
      ),
      text(new RawJson("[0]×100000", () => JSON.stringify(Array.from({ length: 100_000 }, () => 0)))),
      text(repeated("\u0000", 10)),
      { _tag: "Bytes", bytes: [0xff, 0xfe, 0x7b, 0x7d], contentType: "application/json" },
      { _tag: "Bytes", bytes: [0xc3, 0x28, 0x22], contentType: "application/json" },
      { _tag: "Bytes", bytes: [0xef, 0xbb, 0xbf, ...utf8("{}")], contentType: "application/json" }
    ),
    fc.tuple(valid, fc.constantFrom(...wrongContentTypes)).map(([body, contentType]) => text(body, contentType)),
    valid.map((body): BodyCase => ({ _tag: "Bytes", bytes: utf8(body), contentType: undefined })),
    valid.map((body): BodyCase => ({ _tag: "Chunked", chunks: [body.slice(0, 3), body.slice(3)] })),
    fc.json({ maxDepth: 3 }).map((json) => text(json)),
    fc.string({ unit: "binary", maxLength: 60 }).map((garbage) => text(garbage)),
    anyJson.map((value): BodyCase => ({ _tag: "Json", value }))
  )
}

const printable = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: 60
})

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

/** Missing, malformed, forged and foreign credentials, and credentials of the wrong kind. */
const oddCredential: fc.Arbitrary<CredentialCase> = fc.oneof(
  fc.constant({ _tag: "None" as const }),
  fc.record({
    _tag: fc.constant("Bearer" as const),
    of: fc.constantFrom<Who>("owner", "member", "outsider"),
    refresh: fc.boolean()
  }),
  fc.constantFrom<ForgedKind>("expired", "otherKey", "algNone", "refreshType", "unknownUser", "tampered")
    .map((kind) => ({ _tag: "Forged" as const, kind })),
  fc.record({
    _tag: fc.constant("BasicAdmin" as const),
    username: fc.option(fc.oneof(printable, fc.constant("admin")), { nil: undefined }),
    password: fc.option(fc.oneof(printable, fc.constant("")), { nil: undefined })
  }, { requiredKeys: ["_tag"] }),
  fc.record({
    _tag: fc.constant("ApiKey" as const),
    header: fc.constantFrom("x-api-key", "x-internal-api-key"),
    value: fc.oneof(fc.constantFrom("workspace", "internal"), printable)
  }),
  fc.oneof(
    fc.constantFrom(
      "Bearer",
      "Bearer ",
      "Bearer  ",
      "bearer x",
      "Token abc",
      "Basic",
      "Basic !!!",
      `Basic ${base64("no-colon")}`,
      `Basic ${base64(":")}`,
      `Basic ${base64("admin:")}`,
      `Basic ${base64("admin:a:b")}`,
      "Digest username=\"admin\"",
      `Bearer ${"a".repeat(8_000)}`,
      "Bearer a.b.c",
      "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
      "Bearer x, Bearer y"
    ),
    printable.map((token) => `Bearer ${token}`),
    printable.map((token) => `Basic ${token}`),
    printable
  ).map((value) => ({ _tag: "Header" as const, name: "authorization", value }))
)

const proper = fc.constantFrom<CredentialCase>(
  { _tag: "Proper", as: "owner" },
  { _tag: "Proper", as: "owner" },
  { _tag: "Proper", as: "member" }
)

interface CaseClass {
  readonly name: string
  readonly cases: fc.Arbitrary<FuzzCase>
  /** Sent on every run, whatever the seed: the cases a regression most likely hides in. */
  readonly examples: ReadonlyArray<FuzzCase>
}

const everyRunBodies: ReadonlyArray<BodyCase> = [
  { _tag: "None" },
  text(""),
  text("  \r\n\t "),
  text("null"),
  { _tag: "Chunked", chunks: [] },
  text("{"),
  text("{}", "text/plain"),
  text(nestedArrays(100_000)),
  text(new RawJson("{\"x\": \"a\"×900000}", () => JSON.stringify({ x: "a".repeat(900_000) })))
]

const everyRunCredentials: ReadonlyArray<CredentialCase> = [
  { _tag: "None" },
  { _tag: "Header", name: "authorization", value: "Bearer garbage" },
  { _tag: "Bearer", of: "outsider", refresh: false },
  { _tag: "Forged", kind: "expired" },
  { _tag: "BasicAdmin", password: "wrong-password" }
]

/** The classes of requests each operation gets; a class that does not apply to it is left out. */
export const caseClasses = (operation: Operation): ReadonlyArray<CaseClass> => {
  const knownPath = pathOf(operation, knownOr)
  const firstKnown = Object.fromEntries(
    operation.pathParameters.map((parameter) => [parameter.name, { _tag: "Known" as const, pick: 0, fallback: "x" }])
  )
  const example = (parts: Partial<FuzzCase>): FuzzCase => ({
    path: firstKnown,
    query: [],
    body: operation.jsonBody === undefined ? { _tag: "None" } : { _tag: "Json", value: {} },
    credential: { _tag: "Proper", as: "owner" },
    ...parts
  })
  const make = (
    name: string,
    parts: {
      readonly path?: fc.Arbitrary<Readonly<Record<string, ParamValue>>>
      readonly query?: fc.Arbitrary<ReadonlyArray<readonly [string, ParamValue]>>
      readonly body?: fc.Arbitrary<BodyCase>
      readonly credential?: fc.Arbitrary<CredentialCase>
    },
    examples: ReadonlyArray<FuzzCase> = []
  ): CaseClass => ({
    name,
    cases: fc.record({
      path: parts.path ?? knownPath,
      query: parts.query ?? validQuery(operation),
      body: parts.body ?? validBody(operation),
      credential: parts.credential ?? proper
    }),
    examples
  })
  return [
    make("valid", {}),
    ...(operation.jsonBody === undefined ? [] : [make("broken body fields", { body: brokenBody(operation.jsonBody) })]),
    // fetch sends no body with GET or HEAD (and the edge reads none).
    ...(["GET", "HEAD"].includes(operation.method)
      ? []
      : [make("raw bodies", { body: rawBody(operation) }, everyRunBodies.map((body) => example({ body })))]),
    make("odd path and query", {
      path: pathOf(
        operation,
        (parameter) => fc.oneof({ weight: 2, arbitrary: oddParameter }, { weight: 1, arbitrary: knownOr(parameter) })
      ),
      query: oddQuery(operation)
    }),
    make(
      "odd credentials",
      { credential: oddCredential },
      everyRunCredentials.map((credential) => example({ credential }))
    )
  ]
}
