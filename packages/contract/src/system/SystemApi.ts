/**
 * Liveness and readiness: `GET /health` as the reference answers it (with the per-dependency map
 * also in its 503 body), `GET /health/ready` for orchestrators, and the unlisted welcome at `/`.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"

export const DependencyStatus = Schema.Literals(["ok", "unavailable"])
export type DependencyStatus = typeof DependencyStatus.Type

export const DependencyChecks = Schema.Struct({
  database: DependencyStatus,
  redis: DependencyStatus,
  rabbitmq: Schema.optionalKey(DependencyStatus)
}).annotate({ description: "One entry per dependency; `rabbitmq` only when messaging is enabled" })
export type DependencyChecks = typeof DependencyChecks.Type

export const HealthStatus = Schema.Struct({
  status: Schema.Literal("ok"),
  message: Schema.String,
  checks: DependencyChecks
}).annotate({ identifier: "HealthStatus" })

export const ReadyStatus = Schema.Struct({
  status: Schema.Literal("ready"),
  checks: DependencyChecks
}).annotate({ identifier: "ReadyStatus" })

export class DependenciesUnavailable extends Schema.Error<DependenciesUnavailable>("DependenciesUnavailable")(
  {
    _tag: Schema.tagDefaultOmit("DependenciesUnavailable"),
    detail: Schema.String,
    checks: DependencyChecks
  },
  { httpApiStatus: 503, description: "A dependency is down; `checks` says which" }
) {}

export const Welcome = Schema.Struct({
  message: Schema.String,
  documentations: Schema.Struct({ swagger: Schema.String, redoc: Schema.String }),
  version: Schema.String
}).annotate({ identifier: "Welcome" })

export class SystemApi extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", {
      success: HealthStatus,
      error: DependenciesUnavailable
    }).annotateMerge(OpenApi.annotations({
      summary: "Health check",
      description: "Checks PostgreSQL, Redis and (when messaging is on) RabbitMQ. HEAD answers with no body."
    })),
    HttpApiEndpoint.get("ready", "/health/ready", {
      success: ReadyStatus,
      error: DependenciesUnavailable
    }).annotateMerge(OpenApi.annotations({
      summary: "Readiness check",
      description: "200 when every dependency answers; 503 naming the ones that do not."
    })),
    HttpApiEndpoint.get("welcome", "/", { success: Welcome }).annotateMerge(OpenApi.annotations({ exclude: true }))
  )
  .annotateMerge(OpenApi.annotations({ description: "Liveness and readiness, for load balancers and orchestrators." }))
{}
