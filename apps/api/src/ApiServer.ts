/**
 * Wiring of the API program: the HttpApi routes with their handlers, `/docs`, the HTTP edge,
 * request context and logging, the infrastructure they need, and the Node HTTP server.
 * `ApiRoutes` is what tests serve in-process; `ApiServer` is what `main.ts` launches.
 */
import { AdminAuthenticationLive, DeadLettersHttp } from "@cuebx/admin"
import { AccountHttp, AuthenticationLive, AuthHttp, AuthLive } from "@cuebx/auth"
import { QueueWorkers, scheduledJobs, ScheduledJobServices } from "@cuebx/background"
import { CareerSubscriptionsHttp, PlanCatalogue, PlansHttp } from "@cuebx/billing"
import { Broker, DeadLetters, MessageSecrets, Outbox, OutboxRelayLive } from "@cuebx/broker"
import { CorsSettings, isProduction } from "@cuebx/config"
import { CuebxApi } from "@cuebx/contract"
import { DatabaseLive } from "@cuebx/db"
import { JobRunner } from "@cuebx/jobs"
import { ProgramPlatform, RequestId, requestIdFrom } from "@cuebx/observability"
import { RequestLimits } from "@cuebx/ratelimit"
import { Redis } from "@cuebx/redis"
import {
  SupportHttp,
  WorkspaceAccountDeletion,
  WorkspaceProvisioning,
  WorkspacesHttp,
  WorkspacesLive,
  WorkspaceSubscriptionsHttp
} from "@cuebx/workspaces"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpMiddleware, HttpRouter, HttpServerRequest, type HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { createServer } from "node:http"
import { ApiSettings } from "./ApiSettings.ts"
import { HealthChecks } from "./HealthChecks.ts"
import { httpEdge } from "./http/HttpEdge.ts"
import { RequestValidationLive } from "./http/RequestValidationLive.ts"
import { makeRouteTable } from "./http/RouteTable.ts"
import { SystemHttp } from "./http/SystemHttp.ts"

const docsPath = "/docs"
const openapiPath = "/openapi.json"

/** The HTTP application: every route and the edge middleware, without a server. */
export const ApiRoutes = Layer.unwrap(Effect.gen(function*() {
  const settings = yield* ApiSettings
  const cors = yield* CorsSettings
  const production = yield* isProduction
  const routes = makeRouteTable(CuebxApi, [
    { method: "GET", path: docsPath },
    { method: "GET", path: openapiPath }
  ])
  const handlers = HttpApiBuilder.layer(CuebxApi, { openapiPath }).pipe(
    Layer.provide([
      SystemHttp,
      DeadLettersHttp,
      AuthHttp,
      AccountHttp,
      WorkspacesHttp,
      WorkspaceSubscriptionsHttp,
      PlansHttp,
      CareerSubscriptionsHttp,
      SupportHttp
    ]),
    Layer.provide([RequestValidationLive, AdminAuthenticationLive, AuthenticationLive])
  )
  return Layer.mergeAll(
    handlers,
    HttpApiScalar.layer(CuebxApi, { path: docsPath }),
    httpEdge({ cors, maxRequestBodyBytes: settings.maxRequestBodyBytes, routes, production })
  )
}))

/**
 * What the API talks to: PostgreSQL, Redis and, when `ENABLE_MESSAGING` is on, RabbitMQ, with
 * the outbox relay publishing what requests enqueue. With messaging off, messages still enter
 * the outbox and another program (the worker) relays them.
 */
export const ApiInfrastructure = Layer.unwrap(Effect.gen(function*() {
  const settings = yield* ApiSettings
  if (settings.enableConsumers && !settings.enableMessaging) {
    yield* Effect.logWarning("ENABLE_CONSUMERS needs ENABLE_MESSAGING; consumers are not started")
  }
  const broker = settings.enableMessaging ? Broker.layerConnected : Broker.layerUnavailable
  const relay = settings.enableMessaging ? OutboxRelayLive : Layer.empty
  const consumers = settings.enableMessaging && settings.enableConsumers ? QueueWorkers : Layer.empty
  return Layer.mergeAll(
    relay,
    consumers,
    JobRunner.layerWhenEnabled(scheduledJobs).pipe(Layer.provide(ScheduledJobServices)),
    DeadLetters.layer,
    PlanCatalogue.layerEnsureLoaded
  ).pipe(
    Layer.provideMerge(AuthLive),
    Layer.provideMerge(Layer.mergeAll(WorkspaceProvisioning, WorkspaceAccountDeletion)),
    Layer.provideMerge(WorkspacesLive),
    Layer.provideMerge(Layer.mergeAll(Outbox.layer, MessageSecrets.layer, RequestLimits.layerConfigured)),
    Layer.provideMerge(broker),
    Layer.provideMerge(Layer.mergeAll(DatabaseLive, Redis.layer)),
    // Provided, not merged: the HTTP client of integrations is not the one tests call the API with.
    Layer.provide(ProgramPlatform)
  )
}))

/** Per request: a request id in every log line and in `RequestId`, then one access log line. */
export const withRequestContext = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>
) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = requestIdFrom(request.headers["x-request-id"])
    yield* Effect.annotateCurrentSpan("http.request_id", requestId)
    return yield* HttpMiddleware.logger(app).pipe(
      Effect.provideService(RequestId, requestId),
      Effect.annotateLogs({ request_id: requestId })
    )
  })

export const serveApi = <E, R>(routes: Layer.Layer<never, E, R>) =>
  HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true, middleware: withRequestContext })

/** The routes served by Node's HTTP server on `HOST:PORT`. */
export const ApiServer = Layer.unwrap(Effect.gen(function*() {
  const settings = yield* ApiSettings
  return serveApi(ApiRoutes).pipe(
    Layer.provide(HealthChecks.layer),
    Layer.provide(NodeHttpServer.layer(createServer, {
      port: settings.port,
      host: settings.host,
      gracefulShutdownTimeout: `${settings.shutdownGraceSeconds} seconds`
    })),
    Layer.tap(() => Effect.logInfo(`CueBX API listening on http://${settings.host}:${settings.port}`)),
    Layer.provide(Layer.effectDiscard(Effect.addFinalizer(() => Effect.logInfo("CueBX API stopped"))))
  )
}))
