/**
 * The operations the fuzz suite exercises, read from the API's own OpenAPI document: method, path,
 * parameters, JSON body schema, security alternatives and declared statuses, with every `$ref`
 * resolved against the document. An operation added to the contract appears here by itself.
 */
import { CuebxApi } from "@cuebx/contract"
import { OpenApi } from "effect/http-api"

/** A JSON Schema as OpenAPI 3.1 writes it (only the keywords the generators read are typed). */
export interface JsonSchema {
  readonly $ref?: string
  readonly type?: string | ReadonlyArray<string>
  readonly enum?: ReadonlyArray<unknown>
  readonly const?: unknown
  readonly anyOf?: ReadonlyArray<JsonSchema>
  readonly oneOf?: ReadonlyArray<JsonSchema>
  readonly allOf?: ReadonlyArray<JsonSchema>
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: ReadonlyArray<string>
  readonly additionalProperties?: boolean | JsonSchema
  readonly items?: JsonSchema
  readonly minItems?: number
  readonly maxItems?: number
  readonly minLength?: number
  readonly maxLength?: number
  readonly pattern?: string
  readonly format?: string
  readonly minimum?: number
  readonly maximum?: number
  readonly exclusiveMinimum?: number
  readonly exclusiveMaximum?: number
}

export interface Parameter {
  readonly name: string
  readonly required: boolean
  readonly schema: JsonSchema
}

/** How a request proves who it is, as the document declares it. */
export type SecurityScheme =
  | { readonly _tag: "Bearer"; readonly name: string }
  | { readonly _tag: "Basic"; readonly name: string }
  | { readonly _tag: "ApiKeyHeader"; readonly name: string; readonly header: string }
  | { readonly _tag: "Unknown"; readonly name: string; readonly description: string }

export interface Operation {
  /** `METHOD /path/{param}`, as the test names it. */
  readonly id: string
  readonly method: string
  readonly path: string
  readonly pathParameters: ReadonlyArray<Parameter>
  readonly queryParameters: ReadonlyArray<Parameter>
  /** The JSON body's schema, when the operation takes one. */
  readonly jsonBody: JsonSchema | undefined
  /** Content types of the body other than JSON, which the generators do not produce. */
  readonly otherBodyTypes: ReadonlyArray<string>
  /** Alternatives: one of them must be satisfied. Empty for a public operation. */
  readonly security: ReadonlyArray<ReadonlyArray<SecurityScheme>>
  /** The statuses the document declares, e.g. `"200"`. */
  readonly statuses: ReadonlySet<string>
  /**
   * Error statuses answered with a documented object other than `{"detail"}` (the usage
   * validation's response model), with that object's schema.
   */
  readonly errorModels: ReadonlyMap<string, ReadonlyArray<JsonSchema>>
}

interface Document {
  readonly paths: Record<string, Record<string, RawOperation>>
  readonly components?: {
    readonly schemas?: Record<string, JsonSchema>
    readonly securitySchemes?: Record<string, RawScheme>
  }
  readonly security?: ReadonlyArray<Record<string, ReadonlyArray<string>>>
}

interface RawOperation {
  readonly parameters?: ReadonlyArray<
    { readonly name: string; readonly in: string; readonly required?: boolean; readonly schema?: JsonSchema }
  >
  readonly requestBody?: { readonly content: Record<string, { readonly schema?: JsonSchema }> }
  readonly security?: ReadonlyArray<Record<string, ReadonlyArray<string>>>
  readonly responses?: Record<string, unknown>
}

interface RawScheme {
  readonly type: string
  readonly scheme?: string
  readonly in?: string
  readonly name?: string
}

const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

/** Replaces every `$ref` by a copy of its target (cycles stop at the repeated reference). */
const resolve = (document: Document) => {
  const schemas = document.components?.schemas ?? {}
  const go = (value: unknown, seen: ReadonlySet<string>): unknown => {
    if (Array.isArray(value)) return value.map((item) => go(item, seen))
    if (value === null || typeof value !== "object") return value
    const record = value as Record<string, unknown>
    const reference = record["$ref"]
    if (typeof reference === "string" && reference.startsWith("#/components/schemas/")) {
      const name = reference.slice("#/components/schemas/".length)
      if (seen.has(name)) return {}
      return go(schemas[name] ?? {}, new Set([...seen, name]))
    }
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, go(inner, seen)]))
  }
  return (schema: JsonSchema | undefined): JsonSchema => go(schema ?? {}, new Set()) as JsonSchema
}

const schemeOf = (name: string, raw: RawScheme | undefined): SecurityScheme => {
  if (raw?.type === "http" && raw.scheme?.toLowerCase() === "bearer") return { _tag: "Bearer", name }
  if (raw?.type === "http" && raw.scheme?.toLowerCase() === "basic") return { _tag: "Basic", name }
  if (raw?.type === "apiKey" && raw.in === "header" && raw.name !== undefined) {
    return { _tag: "ApiKeyHeader", name, header: raw.name.toLowerCase() }
  }
  return { _tag: "Unknown", name, description: JSON.stringify(raw ?? "undeclared") }
}

const isDetailBody = (schema: JsonSchema) => schema.properties !== undefined && "detail" in schema.properties

const errorModelsOf = (raw: RawOperation, resolved: (schema: JsonSchema | undefined) => JsonSchema) =>
  new Map(
    Object.entries(raw.responses ?? {}).flatMap(([status, response]) => {
      if (Number(status) < 400) return []
      const content = (response as { readonly content?: Record<string, { readonly schema?: JsonSchema }> }).content
      const schema = resolved(content?.["application/json"]?.schema)
      const models = (schema.anyOf ?? [schema]).filter((alternative) =>
        alternative.type === "object" && alternative.properties !== undefined && !isDetailBody(alternative)
      )
      return models.length === 0 ? [] : [[status, models] as const]
    })
  )

const operationsOf = (document: Document): ReadonlyArray<Operation> => {
  const resolved = resolve(document)
  const schemes = document.components?.securitySchemes ?? {}
  return Object.entries(document.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const raw = item[method]
      if (raw === undefined) return []
      const parameters = (where: string) =>
        (raw.parameters ?? []).filter((parameter) => parameter.in === where).map((parameter) => ({
          name: parameter.name,
          required: parameter.required === true,
          schema: resolved(parameter.schema)
        }))
      const content = raw.requestBody?.content ?? {}
      const requirements = raw.security ?? document.security ?? []
      const operation: Operation = {
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParameters: parameters("path"),
        queryParameters: parameters("query"),
        jsonBody: content["application/json"] === undefined ? undefined : resolved(content["application/json"].schema),
        otherBodyTypes: Object.keys(content).filter((type) => type !== "application/json"),
        security: requirements
          .map((requirement) => Object.keys(requirement).map((name) => schemeOf(name, schemes[name])))
          .filter((alternative) => alternative.length > 0),
        statuses: new Set(Object.keys(raw.responses ?? {})),
        errorModels: errorModelsOf(raw, resolved)
      }
      return [operation]
    })
  )
}

/** The document `GET /openapi.json` serves. */
const apiDocument = OpenApi.fromApi(CuebxApi) as unknown as Document

export const apiOperations = operationsOf(apiDocument)
