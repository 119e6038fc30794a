/**
 * `X-Internal-API-Key` on the internal REST endpoints, with the reference's two 401 answers
 * (`WWW-Authenticate: Bearer` included).
 */
import { InternalAuthentication, Unauthorized } from "@cuebx/contract"
import { Effect, Layer, Redacted } from "effect"
import { internalKeyCheck } from "../InternalKey.ts"
import { usageMessages } from "../UsageMessages.ts"

export const InternalAuthenticationLive = Layer.effect(
  InternalAuthentication,
  Effect.gen(function*() {
    const check = yield* internalKeyCheck
    return InternalAuthentication.of({
      internalApiKey: (httpEffect, { credential }) => {
        switch (check(Redacted.value(credential))) {
          case "missing":
            return Effect.fail(new Unauthorized({ detail: usageMessages.missingInternalKey }))
          case "invalid":
            return Effect.fail(new Unauthorized({ detail: usageMessages.invalidInternalKey }))
          case "valid":
            return httpEffect
        }
      }
    })
  })
)
