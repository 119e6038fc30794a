/**
 * Wiring of the API program: the HttpApi routes with their handlers, `/docs`, the HTTP edge,
 * request context and logging, the infrastructure they need, and the Node HTTP server.
 * `ApiRoutes` is what tests serve in-process; `ApiServer` is what `main.ts` launches.
 */
import {
  AdminAuthenticationLive,
  AdminPanelLive,
  AdminPanelRoutes,
  adminPanelRoutes,
  DeadLettersHttp,
  PlansAdminHttp
} from "@cuebx/admin"
import { AccountHttp, AuthenticationLive, AuthHttp, AuthLive } from "@cuebx/auth"
import { QueueWorkers, scheduledJobs, ScheduledJobServices } from "@cuebx/background"
import { CareerBillingHttp, CareerSubscriptionsHttp, PlanCatalogue, PlansHttp, WebhooksHttp } from "@cuebx/billing"
import { Broker, DeadLetters, MessageSecrets, Outbox, OutboxDirectory, OutboxRelayLive } from "@cuebx/broker"
import { CorsSettings, hasEmbeddedParts, Infrastructure, isProduction } from "@cuebx/config"
import { CuebxApi, usageRpcPath } from "@cuebx/contract"
import { ChangeFeed, ProgramDatabase } from "@cuebx/db"
import { JobRunner } from "@cuebx/jobs"
import { ProgramPlatform, RequestId, requestIdFrom } from "@cuebx/observability"
import { ClientIp, RateLimiter, RequestLimits } from "@cuebx/ratelimit"
import { KeyValueStore, Redis } from "@cuebx/redis"
import { UsageHttpLive, UsageLive, UsageRpcRoutes } from "@cuebx/usage"
import {
  SupportHttp,
  WorkspaceAccountDeletion,
  WorkspaceBillingHttp,
  WorkspaceProvisioning,
  WorkspacesHttp,
  WorkspacesLive,
  WorkspaceSubscriptionsHttp
} from "@cuebx/workspaces"
import { NodeHttpServer } from "@effect/platform-node"
import { type Config, Effect, Layer } from "effect"
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
    { method: "GET", path: openapiPath },
    { method: "POST", path: usageRpcPath },
    ...adminPanelRoutes.map(({ method, path }) => ({ method, path }))
  ])
  const handlers = HttpApiBuilder.layer(CuebxApi, { openapiPath }).pipe(
    Layer.provide([
      SystemHttp,
      DeadLettersHttp,
      AuthHttp,
      AccountHttp,
      WorkspacesHttp,
      WorkspaceSubscriptionsHttp,
      WorkspaceBillingHttp,
      PlansHttp,
      CareerSubscriptionsHttp,
      CareerBillingHttp,
      WebhooksHttp,
      PlansAdminHttp,
      SupportHttp,
      UsageHttpLive
    ]),
    Layer.provide([RequestValidationLive, AdminAuthenticationLive, AuthenticationLive])
  )
  return Layer.mergeAll(
    handlers,
    UsageRpcRoutes,
    AdminPanelRoutes,
    HttpApiScalar.layer(CuebxApi, { path: docsPath }),
    httpEdge({ cors, maxRequestBodyBytes: settings.maxRequestBodyBytes, routes, production })
  )
}))

/**
 * The stores, in Redis or in this process's memory when the cache is embedded. Redis itself stays
 * inside: whatever needs a store uses `KeyValueStore` or `RateLimiter`, so it works in both.
 */
const cacheLayer = (placement: "external" | "embedded"): Layer.Layer<KeyValueStore | RateLimiter, Config.ConfigError> =>
  placement === "embedded"
    ? Layer.mergeAll(KeyValueStore.layerMemory, RateLimiter.layerMemory)
    : Layer.mergeAll(KeyValueStore.layerRedis, RateLimiter.layer).pipe(Layer.provide(Redis.layer))

/**
 * What the API talks to, on the infrastructure the program chose (`Infrastructure`): PostgreSQL,
 * Redis (or in-process stores) and, when `ENABLE_MESSAGING` is on, RabbitMQ (or database-backed
 * queues), with the outbox relay publishing what requests enqueue. With messaging off, messages
 * still enter the outbox and another program (the worker) relays them. With any part embedded,
 * this process also runs the consumers and the scheduler: it is the whole system.
 */
export const ApiInfrastructure = Layer.unwrap(Effect.gen(function*() {
  const settings = yield* ApiSettings
  const infrastructure = yield* Infrastructure
  const wholeSystem = hasEmbeddedParts(infrastructure)
  if (settings.enableConsumers && !settings.enableMessaging) {
    yield* Effect.logWarning("ENABLE_CONSUMERS needs ENABLE_MESSAGING; consumers are not started")
  }
  const broker = !settings.enableMessaging
    ? Broker.layerUnavailable
    : infrastructure.broker === "embedded"
    ? Broker.layerDatabase
    : Broker.layerConnected
  const relay = settings.enableMessaging ? OutboxRelayLive : Layer.empty
  const consumers = settings.enableMessaging && (settings.enableConsumers || wholeSystem) ? QueueWorkers : Layer.empty
  const scheduler = wholeSystem
    ? Layer.effectDiscard(Effect.logInfo("Scheduler enabled in this process")).pipe(
      Layer.provide(JobRunner.layer(scheduledJobs))
    )
    : JobRunner.layerWhenEnabled(scheduledJobs)
  return Layer.mergeAll(
    relay,
    consumers,
    scheduler.pipe(Layer.provide(ScheduledJobServices)),
    DeadLetters.layer,
    OutboxDirectory.layer,
    PlanCatalogue.layerEnsureLoaded,
    AdminPanelLive
  ).pipe(
    Layer.provideMerge(AuthLive),
    // Usage checks at start-up that the catalogue prices every plan and feature: load it first.
    Layer.provideMerge(UsageLive.pipe(Layer.provide(PlanCatalogue.layerEnsureLoaded))),
    Layer.provideMerge(Layer.mergeAll(WorkspaceProvisioning, WorkspaceAccountDeletion)),
    Layer.provideMerge(WorkspacesLive),
    Layer.provideMerge(Layer.mergeAll(Outbox.layer, MessageSecrets.layer, RequestLimits.layer)),
    Layer.provideMerge(broker),
    Layer.provideMerge(cacheLayer(infrastructure.cache)),
    Layer.provideMerge(ClientIp.layer),
    Layer.provideMerge(ChangeFeed.layer),
    Layer.provideMerge(ProgramDatabase),
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
