import { assert, describe, it } from "@effect/vitest"
import { emailKey, ipKey, rateLimitKey, userKey } from "../src/RateLimitKeys.ts"

describe("RateLimitKeys", () => {
  it("builds the reference's key shapes", () => {
    assert.strictEqual(ipKey("1.2.3.4", "/auth/signup"), "ip:1.2.3.4:/auth/signup")
    assert.strictEqual(
      emailKey("Ada.Lovelace@Example.COM", "/auth/signup/resend"),
      "email:ada.lovelace@example.com:/auth/signup/resend"
    )
    assert.strictEqual(userKey("3f1c", "/jobs"), "user:3f1c:/jobs")
    assert.strictEqual(rateLimitKey("career", "3f1c", "day"), "career:3f1c:day")
  })
})
