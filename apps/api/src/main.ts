/**
 * The API program: refuses an insecure production configuration, then serves HTTP until SIGTERM
 * or SIGINT, when it stops accepting, finishes in-flight requests and closes its pools.
 */
import { ConfigSource, ProductionGuard } from "@cuebx/config"
import { LoggingLive, runProgram, tracingLive } from "@cuebx/observability"
import { Layer } from "effect"
import { ApiInfrastructure, ApiServer } from "./ApiServer.ts"

const Program = ApiServer.pipe(
  Layer.provide(ApiInfrastructure),
  Layer.provide(ProductionGuard),
  Layer.provide(tracingLive("cuebx-api")),
  Layer.provide(LoggingLive),
  Layer.provide(ConfigSource)
)

runProgram("cuebx-api", Program)
