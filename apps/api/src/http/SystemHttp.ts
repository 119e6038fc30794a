/**
 * Handlers of the system group: the reference's `/health`, `/health/ready` and the welcome page.
 */
import { AppInfo } from "@cuebx/config"
import { CuebxApi, DependenciesUnavailable } from "@cuebx/contract"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { HealthChecks, unavailableDependencies } from "../HealthChecks.ts"

export const SystemHttp = HttpApiBuilder.group(
  CuebxApi,
  "system",
  Effect.fn(function*(handlers) {
    const health = yield* HealthChecks
    const app = yield* AppInfo
    const checked = Effect.fn("System.checkDependencies")(
      function*(failureDetail: (down: ReadonlyArray<string>) => string) {
        const checks = yield* health.run
        const down = unavailableDependencies(checks)
        if (down.length > 0) return yield* new DependenciesUnavailable({ detail: failureDetail(down), checks })
        return checks
      }
    )
    return handlers
      .handle("health", () =>
        checked(() => "One or more health checks failed.").pipe(
          Effect.map((checks) => ({ status: "ok" as const, message: `${app.name} API is running.`, checks }))
        ))
      .handle("ready", () =>
        checked((down) => `Not ready: ${down.join(", ")} unavailable.`).pipe(
          Effect.map((checks) => ({ status: "ready" as const, checks }))
        ))
      .handle("welcome", () =>
        Effect.succeed({
          message: `Welcome to ${app.name} API`,
          documentations: { swagger: `${app.apiDomain}/docs`, redoc: `${app.apiDomain}/docs` },
          version: app.version
        }))
  })
)
