/**
 * What an internal service installs to meter its work with CueBX: the typed RPC of metered usage
 * (`UsageRpcs`, served at `/rpc` on the API) with the internal key, and `metered`, which
 * validates, runs the work and commits its outcome, the commit guaranteed on failure and on
 * interruption. It depends on `effect` and the contract only; the program provides the HTTP
 * client (`UsageClient.layerFetch` brings `fetch`'s).
 */
import {
  type CareerUsageCommitRequest,
  type CareerUsageValidateRequest,
  type CareerUsageValidateResult,
  type FailureType,
  type UsageCommitRequest,
  type UsageCommitResponse,
  type UsageMetrics,
  usageRpcPath,
  UsageRpcs,
  type UsageValidateRequest,
  type UsageValidateResult
} from "@cuebx/contract"
import { Cause, Config, Context, Effect, Exit, Layer, Option, Redacted, Schedule } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { RpcClient, type RpcClientError, RpcSerialization } from "effect/rpc"

/**
 * Where CueBX's API is (`CUEBX_API_URL`, e.g. `http://cuebx-api:8000`), the shared internal key,
 * and, for busy services, how long calls wait to travel together in one HTTP request
 * (`CUEBX_USAGE_RPC_BATCH_WINDOW`, e.g. `2 millis`; unset, every call is its own request).
 */
export const UsageClientConfig = Config.all({
  baseUrl: Config.String("CUEBX_API_URL").pipe(Config.withDefault("http://localhost:8000")),
  internalKey: Config.Redacted("INTERNAL_API_SECRET"),
  batchWindow: Config.option(Config.Duration("CUEBX_USAGE_RPC_BATCH_WINDOW"))
})

type Rpc = RpcClient.FromGroup<typeof UsageRpcs, RpcClientError.RpcClientError>

/** Everything a validation can fail with: a typed refusal, or the transport. */
export type ValidateError = Effect.Error<ReturnType<Rpc["Validate"]>>
export type CareerValidateError = Effect.Error<ReturnType<Rpc["CareerValidate"]>>
export type CommitError = Effect.Error<ReturnType<Rpc["Commit"]>>

export interface MeteredOptions<A> {
  /** What the successful work reports with its commit (model, tokens, latency). */
  readonly metrics?: (value: A) => UsageMetrics
  /** The category a failure of the work is committed with; `internal_error` by default. */
  readonly failureType?: FailureType
}

/** Commits are idempotent: a lost answer is simply sent again. */
const commitRetries = { schedule: Schedule.exponential("100 millis"), times: 4 }

const failureReason = (cause: Cause.Cause<unknown>) =>
  Cause.hasInterruptsOnly(cause) ? "interrupted" : (Cause.pretty(cause).split("\n")[0] ?? "failed").slice(0, 1000)

export class UsageClient extends Context.Service<UsageClient, {
  validate(request: UsageValidateRequest): Effect.Effect<UsageValidateResult, ValidateError>
  commit(request: UsageCommitRequest): Effect.Effect<UsageCommitResponse, CommitError>
  /** Validates a Career request for the user whose access token this is. */
  validateCareer(
    request: CareerUsageValidateRequest,
    accessToken: Redacted.Redacted<string>
  ): Effect.Effect<CareerUsageValidateResult, CareerValidateError>
  commitCareer(request: CareerUsageCommitRequest): Effect.Effect<UsageCommitResponse, CommitError>
  /**
   * Validates `request`, runs `effect` if it is granted, then commits: success with the metrics
   * of `options.metrics`, or failure (with the error's first line, or `interrupted`). The commit
   * runs even when the work fails or is interrupted, and is retried; if it still cannot be made,
   * the usage expires on CueBX's side uncharged, and a warning is logged.
   */
  metered<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    request: UsageValidateRequest,
    options?: MeteredOptions<A>
  ): Effect.Effect<A, E | ValidateError, R>
}>()("@cuebx/usage-client/UsageClient") {
  /** On the program's HTTP client, configured from `CUEBX_API_URL` and `INTERNAL_API_SECRET`. */
  static readonly layer = Layer.effect(
    UsageClient,
    Effect.gen(function*() {
      const { baseUrl, batchWindow, internalKey } = yield* UsageClientConfig
      const rpc: Rpc = yield* RpcClient.make(UsageRpcs).pipe(
        Effect.provide(
          RpcClient.layerProtocolHttp({
            url: `${baseUrl.replace(/\/$/, "")}${usageRpcPath}`,
            transformClient: HttpClient.mapRequest(
              HttpClientRequest.setHeader("x-internal-api-key", Redacted.value(internalKey))
            ),
            ...(Option.isSome(batchWindow) ? { batch: { window: batchWindow.value } } : {})
          }).pipe(Layer.provide(RpcSerialization.layerNdjson))
        )
      )

      const commitSurely = (request: UsageCommitRequest) =>
        rpc.Commit(request).pipe(
          Effect.retry(commitRetries),
          Effect.catch((error) =>
            Effect.logWarning("Could not commit a metered usage; it will expire uncharged", {
              usage_id: request.usage_id,
              error: String(error)
            })
          ),
          Effect.asVoid
        )

      return UsageClient.of({
        validate: (request) => rpc.Validate(request),
        commit: (request) => rpc.Commit(request),
        validateCareer: (request, accessToken) =>
          rpc.CareerValidate(request).pipe(
            RpcClient.withHeaders({ authorization: `Bearer ${Redacted.value(accessToken)}` })
          ),
        commitCareer: (request) => rpc.CareerCommit(request),
        metered: (effect, request, options) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.gen(function*() {
              const grant = yield* restore(rpc.Validate(request))
              const usageId = grant.usage_id!
              const exit = yield* Effect.exit(restore(effect))
              yield* commitSurely(
                Exit.isSuccess(exit)
                  ? {
                    api_key: request.api_key,
                    usage_id: usageId,
                    success: true,
                    ...(options?.metrics === undefined ? {} : { metrics: options.metrics(exit.value) })
                  }
                  : {
                    api_key: request.api_key,
                    usage_id: usageId,
                    success: false,
                    failure: {
                      failure_type: Cause.hasInterruptsOnly(exit.cause)
                        ? "client_error"
                        : options?.failureType ?? "internal_error",
                      reason: failureReason(exit.cause)
                    }
                  }
              )
              return yield* exit
            })
          )
      })
    })
  )

  /** `layer` on `fetch`. */
  static readonly layerFetch = UsageClient.layer.pipe(Layer.provide(FetchHttpClient.layer))
}
