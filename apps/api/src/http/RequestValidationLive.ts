/**
 * Request decoding failures → 422 with FastAPI's body: one `{type, loc, msg, input}` per failing
 * field, `loc` starting with `path`, `query`, `header` or `body`. A missing body (none, empty,
 * whitespace or `null`) is FastAPI's one `missing` issue at `["body"]`. Response encoding
 * failures are our bugs, not the client's, so they stay defects (500).
 */
import { RequestValidation, ValidationFailed, type ValidationIssue } from "@cuebx/contract"
import { Effect, SchemaIssue } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiMiddleware } from "effect/http-api"

const locationOf = {
  Params: "path",
  Query: "query",
  Headers: "header",
  Payload: "body"
} as const

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** What HttpApi reports when `JSON.parse` refuses the body. */
const malformedJson = "Expected a valid JSON body"

const isMalformedJson = (issue: SchemaIssue.Issue) =>
  issue._tag === "InvalidValue" && issue.annotations?.message === malformedJson

const typeOf = (issue: SchemaIssue.Issue): string => {
  switch (issue._tag) {
    case "MissingKey":
      return "missing"
    case "UnexpectedKey":
      return "extra_forbidden"
    case "InvalidType":
      return "type_error"
    default:
      return isMalformedJson(issue) ? "json_invalid" : "value_error"
  }
}

const messageOf = (issue: SchemaIssue.Issue, message: string): string => {
  if (issue._tag === "MissingKey") return "Field required"
  if (issue._tag === "UnexpectedKey") return "Extra inputs are not permitted"
  if (isMalformedJson(issue)) return "JSON decode error"
  return message
}

const pathSegment = (segment: PropertyKey | { readonly key: PropertyKey }): string | number => {
  const key = typeof segment === "object" ? segment.key : segment
  return typeof key === "number" ? key : String(key)
}

/**
 * The offending input as a JSON value, so the 422 itself always encodes: a query value that
 * decoded to `NaN` or a missing body (`undefined`) would otherwise make it a 500.
 */
const asJson = (value: unknown): unknown => {
  if (value === undefined) return null
  if (value === null || typeof value === "string" || typeof value === "boolean") return value
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value)
  if (Array.isArray(value)) return value.map(asJson)
  if (typeof value === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, asJson(inner)]))
  }
  return String(value)
}

export const toValidationIssues = (
  issue: SchemaIssue.Issue,
  location: ReadonlyArray<string | number>
): Array<ValidationIssue> => {
  switch (issue._tag) {
    case "Pointer":
      return toValidationIssues(issue.issue, [...location, ...issue.path.map(pathSegment)])
    case "Encoding":
      return toValidationIssues(issue.issue, location)
    case "Composite":
      return issue.issues.flatMap((inner) => toValidationIssues(inner, location))
    case "AnyOf":
      if (issue.issues.length === 1) return toValidationIssues(issue.issues[0]!, location)
  }
  return formatter(issue).issues.map((formatted) => ({
    type: typeOf(issue),
    loc: [...location, ...(formatted.path ?? []).map(pathSegment)],
    msg: messageOf(issue, formatted.message),
    ...(SchemaIssue.hasInput(issue) ? { input: asJson(issue.input) } : {})
  }))
}

/** FastAPI's answer when the body is absent: the body is a required field. */
const missingBody: ValidationIssue = { type: "missing", loc: ["body"], msg: "Field required", input: null }

/**
 * Whether the whole body is absent: HttpApi decodes an empty body as `undefined` (or `null`),
 * and leaves whitespace to `JSON.parse`, which refuses it.
 */
const isAbsentBody = (issue: SchemaIssue.Issue) =>
  Effect.gen(function*() {
    if (SchemaIssue.hasInput(issue)) return issue.input === undefined || issue.input === null
    if (!isMalformedJson(issue)) return false
    const request = yield* HttpServerRequest.HttpServerRequest
    // The body was read (and cached) by the decoder that reported the issue.
    const text = yield* request.text.pipe(Effect.orElseSucceed(() => ""))
    return text.trim() === ""
  })

/**
 * The 422 for a body sent with a content type other than JSON to an operation that takes a JSON
 * body (HttpApi answers it with a bare 415; the edge turns that into this). Like the 422 for
 * malformed JSON, it does not echo the body.
 */
export const jsonBodyExpected = () =>
  HttpServerResponse.jsonUnsafe({
    detail: [{ type: "json_invalid", loc: ["body"], msg: "Expected a JSON body (Content-Type: application/json)" }]
  }, { status: 422 })

export const RequestValidationLive = HttpApiMiddleware.layerSchemaErrorTransform(
  RequestValidation,
  (error) =>
    Effect.gen(function*() {
      if (error.kind === "Body" || error.kind === "ResponseHeaders") return yield* Effect.die(error)
      const issue = error.cause.issue
      const detail = error.kind === "Payload" && (yield* isAbsentBody(issue))
        ? [missingBody]
        : toValidationIssues(issue, [locationOf[error.kind]])
      return yield* new ValidationFailed({ detail })
    })
)
