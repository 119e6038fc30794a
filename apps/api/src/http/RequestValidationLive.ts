/**
 * Request decoding failures → 422 with FastAPI's body: one `{type, loc, msg, input}` per failing
 * field, `loc` starting with `path`, `query`, `header` or `body`. Response encoding failures are
 * our bugs, not the client's, so they stay defects (500).
 */
import { RequestValidation, ValidationFailed, type ValidationIssue } from "@cuebx/contract"
import { Effect, SchemaIssue } from "effect"
import { HttpApiMiddleware } from "effect/http-api"

const locationOf = {
  Params: "path",
  Query: "query",
  Headers: "header",
  Payload: "body"
} as const

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const typeOf = (issue: SchemaIssue.Issue, message: string): string => {
  switch (issue._tag) {
    case "MissingKey":
      return "missing"
    case "UnexpectedKey":
      return "extra_forbidden"
    case "InvalidType":
      return "type_error"
    default:
      return message === malformedJson ? "json_invalid" : "value_error"
  }
}

const malformedJson = "Expected a valid JSON body"

const messageOf = (issue: SchemaIssue.Issue, message: string): string => {
  if (issue._tag === "MissingKey") return "Field required"
  if (issue._tag === "UnexpectedKey") return "Extra inputs are not permitted"
  if (message === malformedJson) return "JSON decode error"
  return message
}

const pathSegment = (segment: PropertyKey | { readonly key: PropertyKey }): string | number => {
  const key = typeof segment === "object" ? segment.key : segment
  return typeof key === "number" ? key : String(key)
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
    type: typeOf(issue, formatted.message),
    loc: [...location, ...(formatted.path ?? []).map(pathSegment)],
    msg: messageOf(issue, formatted.message),
    ...(SchemaIssue.hasInput(issue) ? { input: issue.input } : {})
  }))
}

export const RequestValidationLive = HttpApiMiddleware.layerSchemaErrorTransform(RequestValidation, (error) => {
  if (error.kind === "Body" || error.kind === "ResponseHeaders") return Effect.die(error)
  return Effect.fail(new ValidationFailed({ detail: toValidationIssues(error.cause.issue, [locationOf[error.kind]]) }))
})
