/**
 * The real API application served in-process on isolated infrastructure, for HTTP tests.
 */
import { allQueueNames } from "@cuebx/broker"
import { serveInProcess, TestInfra, type TestInfraOptions } from "@cuebx/testing"
import { Layer } from "effect"
import { ApiInfrastructure, ApiRoutes, serveApi } from "../src/ApiServer.ts"
import { HealthChecks } from "../src/HealthChecks.ts"

/** The API declares the whole topology (suffixed per test file): all of it is deleted afterwards. */
export const apiTestLayer = (options: TestInfraOptions = {}) =>
  serveInProcess(serveApi(ApiRoutes).pipe(Layer.provide(HealthChecks.layer))).pipe(
    Layer.provideMerge(ApiInfrastructure),
    Layer.provideMerge(TestInfra.layer({ ...options, queues: [...allQueueNames(), ...(options.queues ?? [])] }))
  )
