import { assert, describe, it } from "@effect/vitest"
import { appendToUrl, isAllowedCallbackUrl } from "../src/CallbackUrls.ts"

const development = (allowedOrigins: ReadonlyArray<string>) => ({ allowedOrigins, production: false })
const production = (allowedOrigins: ReadonlyArray<string>) => ({ allowedOrigins, production: true })

describe("isAllowedCallbackUrl", () => {
  it("an empty URL or one without a scheme is refused", () => {
    const policy = development(["https://example.com", "http://localhost:3000"])
    assert.isFalse(isAllowedCallbackUrl("", policy))
    assert.isFalse(isAllowedCallbackUrl("example.com/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("localhost:3000/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("//example.com/callback", policy))
  })

  it("the origin must be in the allow-list; path and query are free", () => {
    const policy = development(["https://myapp.com"])
    assert.isTrue(isAllowedCallbackUrl("https://myapp.com/auth/callback", policy))
    assert.isTrue(isAllowedCallbackUrl("https://myapp.com/auth/callback?next=/billing#top", policy))
    assert.isTrue(isAllowedCallbackUrl("https://myapp.com", policy))
    assert.isFalse(isAllowedCallbackUrl("https://evil-site.com/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("https://myapp.com.evil-site.com/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("https://sub.myapp.com/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("https://myapp.com:8443/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("http://myapp.com/callback", policy))
  })

  it("userinfo tricks are refused", () => {
    const policy = development(["https://myapp.com"])
    assert.isFalse(isAllowedCallbackUrl("https://myapp.com@evil-site.com/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("https://user:pass@myapp.com/callback", policy))
  })

  it("* does not allow everything (no open redirect)", () => {
    assert.isFalse(isAllowedCallbackUrl("https://anything.example/callback", development(["*"])))
    assert.isFalse(isAllowedCallbackUrl("http://localhost:3000/callback", development(["*"])))
    assert.isTrue(isAllowedCallbackUrl("https://myapp.com/callback", development(["*", "https://myapp.com"])))
  })

  it("production requires https even for a listed http origin", () => {
    const policy = production(["http://myapp.com", "https://myapp.com"])
    assert.isFalse(isAllowedCallbackUrl("http://myapp.com/callback", policy))
    assert.isTrue(isAllowedCallbackUrl("https://myapp.com/callback", policy))
  })

  it("development accepts a listed http origin with a port", () => {
    const policy = development(["http://localhost:3000"])
    assert.isTrue(isAllowedCallbackUrl("http://localhost:3000/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("http://localhost:3001/callback", policy))
    assert.isFalse(isAllowedCallbackUrl("http://localhost/callback", policy))
  })

  it("a trailing slash on the allowed origin still matches", () => {
    assert.isTrue(isAllowedCallbackUrl("https://myapp.com/callback", development(["https://myapp.com/"])))
  })

  it("an allow-list entry that is not a bare origin matches nothing", () => {
    assert.isFalse(isAllowedCallbackUrl("https://myapp.com/callback", development(["https://myapp.com/app"])))
    assert.isFalse(isAllowedCallbackUrl("https://myapp.com/callback", development(["myapp.com"])))
    assert.isFalse(isAllowedCallbackUrl("https://myapp.com/callback", development([])))
  })

  it("hosts compare case-insensitively, as URLs do", () => {
    assert.isTrue(isAllowedCallbackUrl("https://MyApp.com/callback", development(["https://myapp.com"])))
    assert.isTrue(isAllowedCallbackUrl("https://myapp.com/callback", development(["https://MYAPP.com"])))
  })
})

describe("appendToUrl", () => {
  it.each(
    [
      ["https://app.example/cb", "query", "https://app.example/cb?error=access_denied"],
      ["https://app.example/cb?lang=en", "query", "https://app.example/cb?lang=en&error=access_denied"],
      ["https://app.example/cb?", "query", "https://app.example/cb?error=access_denied"],
      ["https://app.example/cb#/done", "query", "https://app.example/cb?error=access_denied#/done"],
      ["https://app.example/cb?lang=en#/done", "query", "https://app.example/cb?lang=en&error=access_denied#/done"],
      ["https://app.example/cb", "fragment", "https://app.example/cb#error=access_denied"],
      ["https://app.example/cb?lang=en", "fragment", "https://app.example/cb?lang=en#error=access_denied"],
      ["https://app.example/cb#", "fragment", "https://app.example/cb#error=access_denied"],
      ["https://app.example/cb#tab=1", "fragment", "https://app.example/cb#tab=1&error=access_denied"]
    ] as const
  )("%s (%s)", (url, position, expected) => {
    assert.strictEqual(appendToUrl(url, { error: "access_denied" }, position), expected)
  })

  it("encodes like a form (spaces as +) and keeps the parameters' order", () => {
    assert.strictEqual(
      appendToUrl("https://app.example/cb?x=1", {
        error: "oauth_error",
        error_description: "OAuth authentication failed"
      }, "query"),
      "https://app.example/cb?x=1&error=oauth_error&error_description=OAuth+authentication+failed"
    )
  })

  it("puts tokens in the fragment the reference's way, keeping an existing query", () => {
    const url = appendToUrl("https://app.example/auth/done?from=google", {
      access_token: "eyJ.a.b",
      refresh_token: "r/+=",
      token_type: "bearer",
      expires_in: 900
    }, "fragment")
    assert.strictEqual(
      url,
      "https://app.example/auth/done?from=google#access_token=eyJ.a.b&refresh_token=r%2F%2B%3D&token_type=bearer&expires_in=900"
    )
    const parsed = new URL(url)
    assert.strictEqual(parsed.searchParams.get("from"), "google")
    const fragment = new URLSearchParams(parsed.hash.slice(1))
    assert.strictEqual(fragment.get("refresh_token"), "r/+=")
    assert.strictEqual(fragment.get("expires_in"), "900")
  })

  it("leaves out null and undefined values, and the URL alone when nothing is left", () => {
    assert.strictEqual(
      appendToUrl("https://app.example/cb", { error: "access_denied", error_description: undefined }, "query"),
      "https://app.example/cb?error=access_denied"
    )
    assert.strictEqual(
      appendToUrl("https://app.example/cb?x=1", { error_description: null }, "query"),
      "https://app.example/cb?x=1"
    )
  })
})
