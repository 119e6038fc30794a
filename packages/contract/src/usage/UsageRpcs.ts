/**
 * The typed RPC of metered usage, served by the API at `/rpc` (HTTP, NDJSON) for internal
 * services: the same requests and answers as the REST endpoints, with each refusal a typed error.
 * Every call carries `X-Internal-API-Key`; `CareerValidate` also the user's
 * `Authorization: Bearer <access token>`.
 */
import { Schema } from "effect"
import { Rpc, RpcGroup, RpcMiddleware } from "effect/rpc"
import { CurrentUser } from "../auth/AuthApi.ts"
import { ApiValidationErrors, CareerValidationErrors, UsageForbidden, UsageUnauthorized } from "./UsageErrors.ts"
import {
  CareerUsageCommitRequest,
  CareerUsageValidateRequest,
  CareerUsageValidateResult,
  UsageCommitRequest,
  UsageCommitResponse,
  UsageValidateRequest,
  UsageValidateResult
} from "./UsageModels.ts"

/** Where the RPC is served, on the API's port. */
export const usageRpcPath = "/rpc"

/** `X-Internal-API-Key`, as for the REST endpoints. */
export class InternalRpcAuthentication extends RpcMiddleware.Service<InternalRpcAuthentication>()(
  "@cuebx/contract/InternalRpcAuthentication",
  { error: UsageUnauthorized }
) {}

/** The Career user, from the `Authorization: Bearer` header of the call. */
export class CareerUserRpcAuthentication
  extends RpcMiddleware.Service<CareerUserRpcAuthentication, { provides: CurrentUser }>()(
    "@cuebx/contract/CareerUserRpcAuthentication",
    { error: Schema.Union([UsageUnauthorized, UsageForbidden]) }
  )
{}

export class UsageRpcs extends RpcGroup.make(
  Rpc.make("Validate", {
    payload: UsageValidateRequest,
    success: UsageValidateResult,
    error: Schema.Union(ApiValidationErrors)
  }),
  Rpc.make("Commit", { payload: UsageCommitRequest, success: UsageCommitResponse }),
  Rpc.make("CareerValidate", {
    payload: CareerUsageValidateRequest,
    success: CareerUsageValidateResult,
    error: Schema.Union(CareerValidationErrors)
  }).middleware(CareerUserRpcAuthentication),
  Rpc.make("CareerCommit", { payload: CareerUsageCommitRequest, success: UsageCommitResponse })
).middleware(InternalRpcAuthentication) {}
