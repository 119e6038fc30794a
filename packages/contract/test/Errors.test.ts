import { assert, describe, it } from "@effect/vitest"
import { Data, Schema, SchemaAST } from "effect"
import * as Contract from "../src/index.ts"

/** SPEC.md's status table, by meaning: every wire error class must be listed here. */
const specStatus: Record<string, number> = {
  BadRequest: 400, // bad request, invalid or expired OTP, OAuth failure, bad webhook signature
  Unauthorized: 401, // missing/invalid/expired token, wrong credentials
  PaymentRequired: 402, // subscription required, seat limit
  CardDeclined: 402, // card declined
  Forbidden: 403, // authenticated but not allowed
  NotFound: 404, // not found, or not a member of the workspace
  MethodNotAllowed: 405, // wrong method
  Conflict: 409, // conflict
  IdempotencyConflict: 409, // idempotency key reused with other parameters
  PayloadTooLarge: 413, // body over the limit
  ValidationFailed: 422, // request validation
  TooManyRequests: 429, // rate limit, too many OTP attempts
  InternalServerError: 500, // a defect
  NotImplemented: 501, // not implemented
  UpstreamFailed: 502, // Stripe (or another upstream) failed
  ServiceUnavailable: 503, // a dependency is not configured or down
  DependenciesUnavailable: 503, // readiness
  // Refusals of a usage validation, typed for the RPC (REST answers them in its response model).
  UsageApiKeyMalformed: 400, // bad request
  UsageApiKeyRejected: 401, // invalid or expired credentials
  UsageUnauthorized: 401, // missing or invalid internal key or access token
  UsageSubscriptionRequired: 402, // subscription required
  UsageApiKeyOfOtherWorkspace: 403, // authenticated but not allowed
  UsageWorkspaceInactive: 403, // frozen workspace
  UsageForbidden: 403, // deactivated account
  UsageRequestConflict: 409, // idempotency key reused with other parameters
  UsageRateLimited: 429, // rate limit
  UsageQuotaExceeded: 429, // the reference's quota refusal
  UsageNotConfigured: 500 // the reference's configuration error (a start-up check prevents it)
}

const statusOf = (schema: Schema.Top) => SchemaAST.resolveAt<number>("httpApiStatus")(schema.ast)

const exportedErrorClasses = Object.entries(Contract as Record<string, unknown>).flatMap(([name, value]) =>
  typeof value === "function" && value.prototype instanceof Error && Schema.isSchema(value)
    ? [[name, value] as const]
    : []
)

describe("wire errors", () => {
  it("exports the error classes", () => {
    assert.isAtLeast(exportedErrorClasses.length, Object.keys(specStatus).length)
  })

  for (const [name, errorClass] of exportedErrorClasses) {
    it(`${name} carries the status of SPEC.md's table`, () => {
      assert.property(specStatus, name, `${name} is not in the status table of this test`)
      assert.strictEqual(statusOf(errorClass), specStatus[name])
    })
  }

  it("declares the header-carrying responses with their status", () => {
    assert.strictEqual(statusOf(Contract.UnauthorizedResponse), 401)
    assert.strictEqual(statusOf(Contract.TooManyRequestsResponse), 429)
  })

  it("omits the tag on the wire", () => {
    const encoded = Schema.encodeUnknownSync(Contract.NotFound)(
      new Contract.NotFound({ detail: "Workspace not found" })
    )
    assert.deepStrictEqual(encoded, { detail: "Workspace not found" })
    const upstream = Schema.encodeUnknownSync(Contract.UpstreamFailed)(
      new Contract.UpstreamFailed({
        detail: "Stripe failed",
        error_type: "api_error",
        stripe_code: null,
        request_id: "req_1"
      })
    )
    assert.deepStrictEqual(upstream, {
      detail: "Stripe failed",
      error_type: "api_error",
      stripe_code: null,
      request_id: "req_1"
    })
  })

  it("words rate limits as the reference does, rounding the wait up", () => {
    const error = Contract.TooManyRequests.rateLimited(41.2)
    assert.strictEqual(error.detail, "Rate limit exceeded. Try again in 42 seconds.")
    assert.strictEqual(error.retryAfterSeconds, 42)
    assert.strictEqual(Contract.TooManyRequests.rateLimited(0).retryAfterSeconds, 1)
  })
})

describe("errorTranslation", () => {
  class SeatsExhausted extends Data.TaggedError("SeatsExhausted")<{ readonly seats: number }> {}
  class WorkspaceGone extends Data.TaggedError("WorkspaceGone")<{}> {}
  const toWire = Contract.errorTranslation({
    SeatsExhausted: (error: SeatsExhausted) => new Contract.PaymentRequired({ detail: `${error.seats} seats` }),
    WorkspaceGone: () => new Contract.NotFound({ detail: "gone" })
  })

  it("maps each domain error through its own row", () => {
    const seats = toWire(new SeatsExhausted({ seats: 3 }))
    assert.instanceOf(seats, Contract.PaymentRequired)
    assert.strictEqual(seats.detail, "3 seats")
    assert.instanceOf(toWire(new WorkspaceGone()), Contract.NotFound)
  })
})
