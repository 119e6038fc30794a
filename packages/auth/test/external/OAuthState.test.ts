import { assert, describe, it } from "@effect/vitest"
import { newOAuthState } from "../../src/external/OAuthState.ts"

describe("newOAuthState", () => {
  it("is 32 random bytes in base64url", () => {
    const state = newOAuthState()
    assert.match(state, /^[A-Za-z0-9_-]+$/)
    assert.strictEqual(Buffer.from(state, "base64url").length, 32)
  })

  it("is different every time", () => {
    const states = new Set(Array.from({ length: 200 }, newOAuthState))
    assert.strictEqual(states.size, 200)
  })
})
