/**
 * The API program: serves HTTP until SIGTERM or SIGINT, when it stops accepting, finishes
 * in-flight requests and closes its pools. On embedded infrastructure it is the whole system
 * (consumers and scheduler too), and it stops its embedded PostgreSQL last.
 */
import { ResolvedInfrastructure } from "@cuebx/config"
import { runProgram } from "@cuebx/observability"
import { Layer } from "effect"
import { ApiInfrastructure, ApiServer } from "./ApiServer.ts"

runProgram(
  "cuebx-api",
  ApiServer.pipe(Layer.provide(ApiInfrastructure), Layer.provide(ResolvedInfrastructure))
)
