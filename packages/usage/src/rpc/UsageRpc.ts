/**
 * The typed RPC of metered usage (`UsageRpcs`), served at `/rpc` on the API's port over HTTP with
 * NDJSON: the same services as the REST endpoints, with this transport's own table from domain
 * refusals to the contract's typed errors. Every call needs `X-Internal-API-Key`;
 * `CareerValidate` also the user's Bearer access token, checked as the REST Bearer check does.
 */
import { bearerCheck, bearerErrors } from "@cuebx/auth"
import {
  CareerUserRpcAuthentication,
  CurrentUser,
  errorTranslation,
  InternalRpcAuthentication,
  type RateLimitInfo,
  UsageApiKeyMalformed,
  UsageApiKeyOfOtherWorkspace,
  UsageApiKeyRejected,
  UsageForbidden,
  UsageNotConfigured,
  UsageQuotaExceeded,
  UsageRateLimited,
  UsageRequestConflict,
  usageRpcPath,
  UsageRpcs,
  UsageSubscriptionRequired,
  UsageUnauthorized,
  UsageWorkspaceInactive
} from "@cuebx/contract"
import { Effect, Layer } from "effect"
import { RpcSerialization, RpcServer } from "effect/rpc"
import { internalKeyCheck } from "../InternalKey.ts"
import { commitAnswer, UsageCommits } from "../UsageCommits.ts"
import type {
  DeniedReplay,
  NoCurrentSubscription,
  QuotaExceeded,
  RateLimited,
  RateLimitStanding,
  RequestIdReused,
  WorkspaceInactive
} from "../UsageErrors.ts"
import { usageMessages } from "../UsageMessages.ts"
import { type Grant, UsageValidation } from "../UsageValidation.ts"

const infoOf = (limits: RateLimitStanding): RateLimitInfo => ({
  limit_minute: limits.minute?.limit ?? null,
  remaining_minute: limits.minute?.remaining ?? null,
  reset_minute: limits.minute?.resetAt ?? null,
  limit_day: limits.day?.limit ?? null,
  remaining_day: limits.day?.remaining ?? null,
  reset_day: limits.day?.resetAt ?? null
})

const rateLimitInfo = (limits: RateLimitStanding | null): RateLimitInfo | null =>
  limits === null ? null : infoOf(limits)

const grantMessage = (grant: Grant) =>
  grant.replayed
    ? usageMessages.replayed("granted")
    : grant.remaining === null
    ? usageMessages.grantedTestKey
    : usageMessages.granted(grant.remaining)

const sharedErrors = {
  NoCurrentSubscription: (error: NoCurrentSubscription) =>
    new UsageSubscriptionRequired({
      message: error.product === "API" ? usageMessages.noApiSubscription : usageMessages.noCareerSubscription
    }),
  NotPriced: () => new UsageNotConfigured({ message: usageMessages.notPriced }),
  RateLimited: (error: RateLimited) =>
    new UsageRateLimited({
      message: usageMessages.rateLimited(error.limit, error.window, error.retryAfterSeconds),
      window: error.window,
      limit: error.limit,
      retry_after_seconds: error.retryAfterSeconds,
      rate_limit: infoOf(error.limits)
    }),
  QuotaExceeded: (error: QuotaExceeded) =>
    new UsageQuotaExceeded({
      message: usageMessages.quotaExceeded(error.used, error.allowance, error.cost),
      usage_id: error.usageId,
      credits_reserved: error.cost,
      rate_limit: rateLimitInfo(error.limits)
    }),
  DeniedReplay: (error: DeniedReplay) =>
    new UsageQuotaExceeded({
      message: usageMessages.replayed("denied"),
      usage_id: error.usageId,
      credits_reserved: error.cost,
      rate_limit: null
    }),
  RequestIdReused: (error: RequestIdReused) =>
    new UsageRequestConflict({ message: usageMessages.requestIdReused, request_id: error.requestId })
}

const apiRpcErrors = errorTranslation({
  ...sharedErrors,
  ApiKeyMalformed: () => new UsageApiKeyMalformed({ message: usageMessages.apiKeyMalformed }),
  ApiKeyRejected: () => new UsageApiKeyRejected({ message: usageMessages.apiKeyRejected }),
  ApiKeyOfOtherWorkspace: () => new UsageApiKeyOfOtherWorkspace({ message: usageMessages.apiKeyOfOtherWorkspace }),
  WorkspaceInactive: (error: WorkspaceInactive) =>
    new UsageWorkspaceInactive({
      message: error.status === "frozen" ? usageMessages.workspaceFrozen : usageMessages.workspaceSuspended,
      status: error.status
    })
})

const careerRpcErrors = errorTranslation(sharedErrors)

const UsageRpcHandlers = UsageRpcs.toLayer(Effect.gen(function*() {
  const validation = yield* UsageValidation
  const commits = yield* UsageCommits
  return UsageRpcs.of({
    Validate: (payload) =>
      validation.validateApi(payload).pipe(
        Effect.map((grant) => ({
          access: "granted" as const,
          usage_id: grant.usageId,
          message: grantMessage(grant),
          credits_reserved: grant.creditsReserved,
          is_test_key: grant.isTestKey,
          rate_limit: rateLimitInfo(grant.limits)
        })),
        Effect.mapError(apiRpcErrors)
      ),
    Commit: (payload) => Effect.map(commits.commitApi(payload), commitAnswer),
    CareerValidate: (payload) =>
      Effect.gen(function*() {
        const user = yield* CurrentUser
        const grant = yield* validation.validateCareer(user.id, payload).pipe(Effect.mapError(careerRpcErrors))
        return {
          access: "granted" as const,
          user_id: user.id,
          usage_id: grant.usageId,
          message: grantMessage(grant),
          credits_reserved: grant.creditsReserved,
          rate_limit: rateLimitInfo(grant.limits)
        }
      }),
    CareerCommit: (payload) => Effect.map(commits.commitCareer(payload), commitAnswer)
  })
}))

const InternalRpcAuthenticationLive = Layer.effect(
  InternalRpcAuthentication,
  Effect.map(internalKeyCheck, (check) =>
    InternalRpcAuthentication.of((effect, { headers }) => {
      switch (check(headers["x-internal-api-key"])) {
        case "missing":
          return Effect.fail(new UsageUnauthorized({ message: usageMessages.missingInternalKey }))
        case "invalid":
          return Effect.fail(new UsageUnauthorized({ message: usageMessages.invalidInternalKey }))
        case "valid":
          return effect
      }
    }))
)

const bearerToken = (authorization: string | undefined) => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")
  return match === null ? undefined : match[1]
}

const unauthorized = (message: string) => Effect.fail(new UsageUnauthorized({ message }))

/** The REST Bearer check (`bearerCheck`) and its messages, for a token sent with an RPC call. */
const CareerUserRpcAuthenticationLive = Layer.effect(
  CareerUserRpcAuthentication,
  Effect.gen(function*() {
    const currentUser = yield* bearerCheck
    return CareerUserRpcAuthentication.of((effect, { headers }) =>
      Effect.gen(function*() {
        const token = bearerToken(headers["authorization"])
        if (token === undefined) return yield* unauthorized("Not authenticated")
        const user = yield* currentUser(token).pipe(
          Effect.mapError(bearerErrors),
          Effect.mapError((error) =>
            error._tag === "Forbidden"
              ? new UsageForbidden({ message: error.detail })
              : new UsageUnauthorized({ message: error.detail })
          )
        )
        return yield* Effect.provideService(effect, CurrentUser, user)
      })
    )
  })
)

/** The `/rpc` route, for the API's router. */
export const UsageRpcRoutes = RpcServer.layerHttp({ group: UsageRpcs, path: usageRpcPath, protocol: "http" }).pipe(
  Layer.provide([UsageRpcHandlers, InternalRpcAuthenticationLive, CareerUserRpcAuthenticationLive]),
  Layer.provide(RpcSerialization.layerNdjson)
)
