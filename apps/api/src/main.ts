/**
 * The API program: serves HTTP until SIGTERM or SIGINT, when it stops accepting, finishes
 * in-flight requests and closes its pools.
 */
import { runProgram } from "@cuebx/observability"
import { Layer } from "effect"
import { ApiInfrastructure, ApiServer } from "./ApiServer.ts"

runProgram("cuebx-api", ApiServer.pipe(Layer.provide(ApiInfrastructure)))
