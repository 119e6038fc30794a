/**
 * fast-check generators of JSON for the fuzz suite: values that follow a JSON Schema, the same
 * values broken one field at a time, and hostile strings. Large or deep fragments are `RawJson`:
 * written into the body as text, and printed short in a counterexample.
 */
import * as fc from "fast-check"
import type { JsonSchema } from "./OpenApiOperations.ts"

/** A JSON fragment kept as text until the body is written (deep nesting, huge strings, odd numbers). */
export class RawJson {
  readonly label: string
  readonly text: () => string
  constructor(label: string, text: () => string) {
    this.label = label
    this.text = text
  }
  [fc.toStringMethod]() {
    return `RawJson(${this.label})`
  }
}

export const repeated = (unit: string, count: number) =>
  new RawJson(`${JSON.stringify(unit)}×${count}`, () => JSON.stringify(unit.repeat(count)))

export const nestedArrays = (depth: number) => new RawJson(`[]×${depth}`, () => "[".repeat(depth) + "]".repeat(depth))

export const nestedObjects = (depth: number) =>
  new RawJson(`{"a":}×${depth}`, () => "{\"a\":".repeat(depth) + "1" + "}".repeat(depth))

const rawNumber = (text: string) => new RawJson(text, () => text)

/** Writes a value holding `RawJson` fragments as JSON text. */
export const renderJson = (value: unknown): string => {
  const fragments: Array<RawJson> = []
  const text = JSON.stringify(value, (_key, inner: unknown) => {
    if (inner instanceof RawJson) {
      fragments.push(inner)
      return `\u0000raw${fragments.length - 1}\u0000`
    }
    return inner
  })
  return (text ?? "").replace(/"\\u0000raw(\d+)\\u0000"/g, (_match, index: string) => fragments[Number(index)]!.text())
}

/** Strings a careless server mishandles: injection, markup, control and odd Unicode, paths. */
const hostileStrings: ReadonlyArray<string> = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\r\n\t",
  "\u202e\u0645\u0631\u062d\u0628\u0627",
  "\ud800",
  "\udfff\ud800",
  "\uffff\ufeff",
  "😀👩‍👩‍👧‍👦🏳️‍🌈",
  "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  "\"; SELECT pg_sleep(5); --",
  "1; SELECT * FROM users WHERE email LIKE '%",
  "<script>alert(1)</script>",
  "{{7*7}}${7*7}<%= 7*7 %>",
  "../../../../etc/passwd",
  "%00%2e%2e%2f",
  "\\x00\\u0000",
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e999",
  "__proto__",
  "constructor",
  "a@b",
  "@example.com",
  "user@[127.0.0.1]",
  "\"quoted\"@example.com",
  "UPPER@EXAMPLE.COM"
]

/** Object keys that reach prototype lookups in careless code, plus injection text. */
const hostileKeys: ReadonlyArray<string> = ["__proto__", "constructor", "prototype", "", " ", "'; --", "$where"]

const oddNumbers: ReadonlyArray<unknown> = [
  0,
  -1,
  1.5,
  -0.000001,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  -1e308,
  5e-324,
  rawNumber("1e999"),
  rawNumber("-1e999"),
  rawNumber("123456789012345678901234567890"),
  rawNumber("-0"),
  rawNumber("1E+2"),
  rawNumber("0.1e-400")
]

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom("\u0000", "\u0001", "\u001f", "\u007f", "\\", "\""), maxLength: 20 })
  }
)

/** Values of every JSON type, hostile ones first. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(...oddNumbers),
  fc.constantFrom(null, true, false, [], {}, [null], { "": null }),
  fc.jsonValue({ maxDepth: 2 })
)

/** Generation hints by property or parameter name, so valid values get past business rules. */
export type Hints = (name: string) => fc.Arbitrary<unknown> | undefined

const typesOf = (schema: JsonSchema): ReadonlyArray<string> =>
  schema.type === undefined ? [] : typeof schema.type === "string" ? [schema.type] : schema.type

const validString = (schema: JsonSchema): fc.Arbitrary<string> => {
  const minLength = schema.minLength ?? 0
  const maxLength = Math.min(schema.maxLength ?? 40, Math.max(minLength, 40))
  if (schema.format === "date-time") return fc.date({ noInvalidDate: true }).map((date) => date.toISOString())
  if (schema.pattern !== undefined) {
    return fc.stringMatching(new RegExp(schema.pattern)).filter((text) =>
      text.length >= minLength && text.length <= (schema.maxLength ?? Infinity)
    )
  }
  return fc.string({ minLength, maxLength })
}

const validNumber = (schema: JsonSchema, integer: boolean): fc.Arbitrary<number> => {
  const min = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : schema.minimum
  const max = schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : schema.maximum
  const low = Math.max(min ?? -1000, -(2 ** 31))
  const high = Math.min(max ?? 1000, 2 ** 31)
  return integer
    ? fc.integer({ min: Math.ceil(low), max: Math.floor(high) })
    : fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true })
}

/** Values that follow `schema`, as far as JSON Schema can say (formats and business rules aside). */
export const validJson = (schema: JsonSchema, hints: Hints, name = ""): fc.Arbitrary<unknown> => {
  const hinted = hints(name)
  if (hinted !== undefined) return hinted
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives !== undefined && alternatives.length > 0) {
    return fc.oneof(...alternatives.map((alternative) => validJson(alternative, hints, name)))
  }
  if (schema.allOf !== undefined && schema.allOf.length > 0) return validJson(schema.allOf[0]!, hints, name)
  const types = typesOf(schema)
  if (types.length > 1) return fc.oneof(...types.map((type) => validJson({ ...schema, type }, hints, name)))
  switch (types[0]) {
    case "string":
      return validString(schema)
    case "integer":
      return validNumber(schema, true)
    case "number":
      return validNumber(schema, false)
    case "boolean":
      return fc.boolean()
    case "null":
      return fc.constant(null)
    case "array":
      return fc.array(validJson(schema.items ?? {}, hints), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 3, Math.max(schema.minItems ?? 0, 3))
      })
    case "object": {
      const properties = schema.properties ?? {}
      const shape = Object.fromEntries(
        Object.entries(properties).map(([key, inner]) => [key, validJson(inner, hints, key)])
      )
      return fc.record(shape, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** A value of another JSON type than the schema allows (or any value when it allows every type). */
const wrongType = (schema: JsonSchema): fc.Arbitrary<unknown> => {
  const allowed = new Set(
    [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap((inner) => typesOf(inner))
  )
  const candidates: ReadonlyArray<readonly [string, unknown]> = [
    ["string", "a string"],
    ["integer", 42],
    ["number", 4.2],
    ["boolean", true],
    ["null", null],
    ["array", ["x", 1]],
    ["object", { nested: "value" }]
  ]
  const wrong = candidates.filter(([type]) => !allowed.has(type) && !(type === "integer" && allowed.has("number")))
  return wrong.length === 0 ? anyJson : fc.constantFrom(...wrong.map(([, value]) => value))
}

type Path = ReadonlyArray<string | number>

/** Every field of `value` that `schema` describes, with its schema, depth first. */
const fieldsOf = (value: unknown, schema: JsonSchema, path: Path = []): Array<readonly [Path, JsonSchema]> => {
  if (value === null || typeof value !== "object" || value instanceof RawJson) return []
  const properties = schema.properties ?? schema.anyOf?.find((inner) => inner.properties)?.properties ?? {}
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => [
      [[...path, index], schema.items ?? {}] as const,
      ...fieldsOf(item, schema.items ?? {}, [...path, index])
    ])
  }
  return Object.entries(properties).flatMap(([key, inner]) => [
    [[...path, key], inner] as const,
    ...(key in value ? fieldsOf((value as Record<string, unknown>)[key], inner, [...path, key]) : [])
  ])
}

const clone = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(clone)
    : value !== null && typeof value === "object" && !(value instanceof RawJson)
    ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, clone(inner)]))
    : value

/** Sets (or, with `remove`, deletes) the field at `path`, creating missing parents as objects. */
const setAt = (root: unknown, path: Path, replacement: unknown, remove: boolean): unknown => {
  if (path.length === 0) return remove ? undefined : replacement
  const copy = clone(root)
  const container = (copy !== null && typeof copy === "object" ? copy : {}) as Record<string | number, unknown>
  let cursor = container
  for (const segment of path.slice(0, -1)) {
    const next = cursor[segment]
    if (next === null || typeof next !== "object" || next instanceof RawJson) cursor[segment] = {}
    cursor = cursor[segment] as Record<string | number, unknown>
  }
  const last = path[path.length - 1]!
  if (remove) delete cursor[last]
  else cursor[last] = replacement
  return container
}

interface Mutation {
  readonly description: string
  readonly body: unknown
}

/** What replaces one field: the ways a body breaks its schema. */
const brokenValue = (schema: JsonSchema): fc.Arbitrary<readonly [string, unknown]> =>
  fc.oneof(
    wrongType(schema).map((value) => ["wrong type", value] as const),
    fc.constant(["null", null] as const),
    hostileString.map((value) => ["odd string", value] as const),
    fc.constantFrom(...oddNumbers).map((value) => ["odd number", value] as const),
    fc.constantFrom(70_000, 20_000, 1_000).map((count) => ["huge string", repeated("x", count)] as const),
    fc.constantFrom(20, 40, 5_000).map((depth) => ["deep nesting", nestedArrays(depth)] as const),
    fc.constantFrom(20, 40).map((depth) => ["deep object", nestedObjects(depth)] as const)
  )

/** A valid body broken at one to three of its fields: replaced, removed, or with an unknown key added. */
export const mutatedJson = (schema: JsonSchema, hints: Hints): fc.Arbitrary<Mutation> =>
  validJson(schema, hints).chain((valid) => {
    const fields = fieldsOf(valid, schema)
    const one = (body: unknown): fc.Arbitrary<Mutation> => {
      const current = fieldsOf(body, schema)
      const replace = current.length === 0 ? [] : [
        fc.constantFrom(...current).chain(([path, fieldSchema]) =>
          brokenValue(fieldSchema).map(([what, value]): Mutation => ({
            description: `${what} at ${path.join(".")}`,
            body: setAt(body, path, value, false)
          }))
        ),
        fc.constantFrom(...current).map(([path]): Mutation => ({
          description: `removed ${path.join(".")}`,
          body: setAt(body, path, undefined, true)
        }))
      ]
      const extra = fc.tuple(fc.oneof(fc.constantFrom(...hostileKeys), fc.string({ maxLength: 12 })), anyJson)
        .map(([key, value]): Mutation => ({
          description: `extra key ${JSON.stringify(key)}`,
          // `Object.fromEntries` makes even `__proto__` an own key, so it is sent.
          body: body !== null && typeof body === "object" && !Array.isArray(body)
            ? { ...body, ...Object.fromEntries([[key, value]]) }
            : body
        }))
      return fc.oneof(...replace, extra)
    }
    const start = fc.constant<Mutation>({ description: "", body: valid })
    const times = fields.length === 0 ? 1 : 3
    return fc.integer({ min: 1, max: times }).chain((count) => {
      let chained: fc.Arbitrary<Mutation> = start
      for (let step = 0; step < count; step++) {
        chained = chained.chain((previous) =>
          one(previous.body).map((next) => ({
            description: [previous.description, next.description].filter((part) => part !== "").join("; "),
            body: next.body
          }))
        )
      }
      return chained
    })
  })
