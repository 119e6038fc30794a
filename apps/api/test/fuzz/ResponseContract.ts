/**
 * What every answer of the API must satisfy, whatever was sent: no 5xx; SPEC.md's error shapes
 * (`{"detail": "..."}`, FastAPI's 422 items, `WWW-Authenticate` on 401, `Retry-After` on 429,
 * `Allow` on 405); the edge's headers; a success status the document declares; and no stack
 * trace, SQL, source path or internal error name in the body, once echoes of the input are removed.
 */
import type { RawResponse } from "@cuebx/testing"
import type { SentRequest } from "./FuzzRequest.ts"
import type { Operation } from "./OpenApiOperations.ts"

/** Keys an error body may carry besides `detail` (SPEC.md's status table). */
const errorExtras = new Set(["request_id", "stripe_code", "decline_code", "param", "error_type", "checks"])

const validationLocations = new Set(["path", "query", "header", "body"])

const leaks: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bat\s+\S*\s*\(?(?:file:|node:|\/)[^)\s]*:\d+:\d+/, "a stack frame"],
  [/node_modules|file:\/\/|\/work\/|\.ts:\d+/, "a source path"],
  [
    /\b(?:SqlError|SchemaError|RedisError|HttpApiSchemaError|FiberFailure|TypeError|RangeError|ReferenceError|SyntaxError|PostgresError|DatabaseError|NoSuchElementError)\b/,
    "an internal error name"
  ],
  [/\bSELECT\s[^"]*?\sFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b/, "SQL text"],
  [
    /syntax error at or near|violates (?:unique|foreign key|not-null|check) constraint|duplicate key value|invalid byte sequence|invalid input syntax for|relation "\w+" does not exist|column "\w+"/i,
    "a database message"
  ],
  [/ECONNREFUSED|ETIMEDOUT|postgres(?:ql)?:\/\/|redis:\/\/|amqps?:\/\//i, "a connection detail"]
]

/** Strings of a parsed body, without the `input` of 422 items (the client's own values). */
const stringsOf = (value: unknown, parentKey = ""): Array<string> => {
  if (typeof value === "string") return [value]
  if (value === null || typeof value !== "object") return []
  if (Array.isArray(value)) return value.flatMap((item) => stringsOf(item, parentKey))
  return Object.entries(value).flatMap(([key, inner]) =>
    parentKey === "detail" && key === "input" ? [] : [key, ...stringsOf(inner, key)]
  )
}

/** Removes what the request itself carried, quoted or not, longest first. */
const withoutEchoes = (text: string, echoes: ReadonlyArray<string>) =>
  echoes
    .filter((echo) => echo.length >= 2)
    .flatMap((echo) => [JSON.stringify(echo), echo])
    .toSorted((a, b) => b.length - a.length)
    .reduce((remaining, echo) => remaining.split(echo).join(" "), text)

const leaksIn = (response: RawResponse, sent: SentRequest) => {
  const texts = response.json === undefined ? [response.text] : stringsOf(response.json)
  return texts.flatMap((text) => {
    const scrubbed = withoutEchoes(text, sent.echoes)
    return leaks.filter(([pattern]) => pattern.test(scrubbed)).map(([pattern, what]) =>
      `the body shows ${what}: ${JSON.stringify(scrubbed.match(pattern)?.[0])}`
    )
  })
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

const validationIssueProblems = (item: unknown, index: number): Array<string> => {
  if (!isRecord(item)) return [`detail[${index}] is not an object`]
  const problems: Array<string> = []
  if (typeof item["type"] !== "string" || item["type"] === "") problems.push(`detail[${index}].type is not a string`)
  if (typeof item["msg"] !== "string" || item["msg"] === "") problems.push(`detail[${index}].msg is not a string`)
  const loc = item["loc"]
  if (
    !Array.isArray(loc) || loc.length === 0 || !validationLocations.has(loc[0] as string) ||
    !loc.every((segment) => typeof segment === "string" || typeof segment === "number")
  ) {
    problems.push(`detail[${index}].loc is not ["path" | "query" | "header" | "body", ...]`)
  }
  const extra = Object.keys(item).filter((key) => !["type", "loc", "msg", "input"].includes(key))
  if (extra.length > 0) problems.push(`detail[${index}] has other keys: ${extra.join(", ")}`)
  return problems
}

const errorProblems = (response: RawResponse): Array<string> => {
  const problems: Array<string> = []
  if (!(response.headers["content-type"] ?? "").startsWith("application/json")) {
    problems.push(`content-type is ${response.headers["content-type"]}`)
  }
  const body = response.json
  if (!isRecord(body) || !("detail" in body)) return [...problems, "the body is not {\"detail\": ...}"]
  if (response.status === 422) {
    if (!Array.isArray(body["detail"]) || body["detail"].length === 0) {
      problems.push("422 detail is not a non-empty array")
    } else {
      problems.push(...body["detail"].flatMap(validationIssueProblems))
    }
    const extra = Object.keys(body).filter((key) => key !== "detail")
    if (extra.length > 0) problems.push(`422 body has other keys: ${extra.join(", ")}`)
  } else {
    if (typeof body["detail"] !== "string" || body["detail"] === "") problems.push("detail is not a non-empty string")
    const extra = Object.keys(body).filter((key) => key !== "detail" && !errorExtras.has(key))
    if (extra.length > 0) problems.push(`the error body has other keys: ${extra.join(", ")}`)
  }
  if (response.status === 401 && !response.headers["www-authenticate"]) problems.push("401 without WWW-Authenticate")
  if (response.status === 405 && !response.headers["allow"]) problems.push("405 without Allow")
  if (response.status === 429) {
    const retryAfter = response.headers["retry-after"] ?? ""
    if (!/^\d+$/.test(retryAfter) || Number(retryAfter) < 1) {
      problems.push(`429 with Retry-After ${JSON.stringify(retryAfter)}`)
    }
  }
  return problems
}

/**
 * Whether the body is the object the operation documents for this error status instead of
 * `{"detail"}` (the usage validation answers its refusals in its response model, as the
 * reference did): every required key there, no other key.
 */
export const isDocumentedModel = (operation: Operation, response: RawResponse) => {
  const body = response.json
  if (!isRecord(body) || "detail" in body) return false
  return (operation.errorModels.get(String(response.status)) ?? []).some((model) =>
    (model.required ?? []).every((key) => key in body) &&
    Object.keys(body).every((key) => key in (model.properties ?? {}))
  )
}

/** A refusal in the response model: 401 still challenges, a rate limit still says when to retry. */
const modelProblems = (response: RawResponse): Array<string> => {
  const problems: Array<string> = []
  if (response.status === 401 && !response.headers["www-authenticate"]) problems.push("401 without WWW-Authenticate")
  const recordedRefusal = isRecord(response.json) && typeof response.json["usage_id"] === "string"
  if (response.status === 429 && !recordedRefusal && !/^\d+$/.test(response.headers["retry-after"] ?? "")) {
    problems.push("a rate-limit 429 without Retry-After")
  }
  return problems
}

/** Everything wrong with one answer; empty when it is a good one. */
export const violations = (operation: Operation, sent: SentRequest, response: RawResponse): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (response.status >= 500) problems.push(`answered ${response.status}`)
  if (response.headers["x-content-type-options"] !== "nosniff") problems.push("no X-Content-Type-Options: nosniff")
  if (/^\/(?:auth|admin)(?:\/|$)/.test(operation.path) && response.headers["cache-control"] !== "no-store") {
    problems.push("no Cache-Control: no-store on an /auth or /admin answer")
  }
  if (response.status < 400 && !operation.statuses.has(String(response.status))) {
    problems.push(`success status ${response.status} is not in the document (${[...operation.statuses].join(", ")})`)
  }
  if (response.status >= 400) {
    problems.push(...(isDocumentedModel(operation, response) ? modelProblems(response) : errorProblems(response)))
  }
  problems.push(...leaksIn(response, sent))
  return problems
}
