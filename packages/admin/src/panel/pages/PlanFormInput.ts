/**
 * The plan forms' fields read as the admin API's JSON body and decoded with its schemas
 * (`AdminPlanCreate`, `AdminPlanUpdate`), so the panel accepts exactly what `/admin/api/plans`
 * accepts and says what is wrong in the same words. Blank optional fields are left out (their
 * defaults apply), blank nullable ones are `null`, whole numbers become numbers, and anything
 * else is passed on as typed for the schema to refuse.
 */
import { AdminPlanCreate, AdminPlanUpdate } from "@cuebx/contract"
import { Result, Schema, SchemaIssue } from "effect"
import type { UrlParams } from "effect/http"
import { field } from "../PanelRequests.ts"

type Kind =
  | "text" // required: passed as typed
  | "nullable-text" // blank → null
  | "optional-text" // blank → left out
  | "integer" // required
  | "nullable-integer"
  | "optional-integer"
  | "checkbox"
  | "features" // a JSON list; blank → left out

const editableFields = {
  name: "text",
  description: "nullable-text",
  price: "text",
  display_price: "nullable-text",
  seat_price: "optional-text",
  seat_display_price: "nullable-text",
  currency: "optional-text",
  billing_period: "optional-text",
  rank: "integer",
  trial_days: "nullable-integer",
  features: "features",
  max_seats: "nullable-integer",
  min_seats: "optional-integer",
  is_active: "checkbox"
} as const satisfies Readonly<Record<string, Kind>>

const createFields = {
  product_type: "text",
  type: "text",
  ...editableFields,
  credits_allocation: "optional-text",
  rate_limit_per_minute: "nullable-integer",
  rate_limit_per_day: "nullable-integer"
} as const satisfies Readonly<Record<string, Kind>>

const integerPattern = /^-?\d{1,9}$/

/** The JSON value of one field, `undefined` to leave it out; a string for the schema to refuse. */
const valueOf = (kind: Kind, typed: string | undefined): Result.Result<unknown, string> => {
  const text = typed?.trim() ?? ""
  switch (kind) {
    case "checkbox":
      return Result.succeed(text === "true")
    case "text":
      return Result.succeed(text)
    case "nullable-text":
      return Result.succeed(text === "" ? null : text)
    case "optional-text":
      return Result.succeed(text === "" ? undefined : text)
    case "integer":
      return Result.succeed(integerPattern.test(text) ? Number(text) : text)
    case "nullable-integer":
      return Result.succeed(text === "" ? null : integerPattern.test(text) ? Number(text) : text)
    case "optional-integer":
      return Result.succeed(text === "" ? undefined : integerPattern.test(text) ? Number(text) : text)
    case "features":
      if (text === "") return Result.succeed(undefined)
      try {
        return Result.succeed(JSON.parse(text))
      } catch {
        return Result.fail("features: not valid JSON (a list of {\"title\", \"description\", \"value\", \"category\"})")
      }
  }
}

const bodyOf = (form: UrlParams.UrlParams, fields: Readonly<Record<string, Kind>>) => {
  const body: Record<string, unknown> = {}
  for (const [name, kind] of Object.entries(fields)) {
    const value = valueOf(kind, field(form, name))
    if (Result.isFailure(value)) return value
    if (value.success !== undefined) body[name] = value.success
  }
  return Result.succeed(body)
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** Every issue, each `field: message`, in one sentence. */
const describe = (error: Schema.SchemaError) =>
  formatter(error.issue).issues.map((issue) => {
    const path = (issue.path ?? []).map((segment) =>
      typeof segment === "object" && segment !== null && "key" in segment ? String(segment.key) : String(segment)
    )
    return path.length === 0 ? issue.message : `${path.join(".")}: ${issue.message}`
  }).join("; ")

const decodeWith = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  fields: Readonly<Record<string, Kind>>
) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (form: UrlParams.UrlParams): Result.Result<S["Type"], string> =>
    Result.flatMap(
      bodyOf(form, fields),
      (body) => Result.mapError(decode(body, { errors: "all" }), describe)
    )
}

/** The new plan's form as the body of `POST /admin/api/plans`, or what is wrong with it. */
export const planCreateOf = decodeWith(AdminPlanCreate, createFields)

/** The plan's edit form as the body of `PATCH /admin/api/plans/:id`, or what is wrong with it. */
export const planUpdateOf = decodeWith(AdminPlanUpdate, editableFields)
