/**
 * Sign-up end to end: the real API (in-process), the real worker (a child process) and a fake
 * Brevo. The code is read from the email Brevo received, as a user would.
 */
import { spawnProgram, TestEnvironment } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { authTestLayerWithBrevo, call, FakeBrevo, password, uniqueEmail } from "./support.ts"

layer(authTestLayerWithBrevo, { excludeTestServices: true })("sign-up end to end", (it) => {
  it.effect("signup → email with a code (through the worker and Brevo) → verify → signed in", () =>
    Effect.gen(function*() {
      const { env } = yield* TestEnvironment
      const brevo = yield* FakeBrevo
      const worker = yield* spawnProgram("apps/worker/src/main.ts", env)
      yield* worker.waitForOutput("CueBX worker started")

      const email = uniqueEmail("e2e")
      const signup = yield* call("POST", "/auth/signup", { body: { email, password, full_name: "End To End" } })
      assert.strictEqual(signup.status, 201)

      const [sent] = yield* Effect.sync(() => brevo.requestsTo("POST /v3/smtp/email")).pipe(
        Effect.repeat({ until: (requests) => requests.length > 0, schedule: Schedule.spaced("100 millis") }),
        Effect.timeout("30 seconds")
      )
      const body = sent!.parsedBody as { to: ReadonlyArray<{ email: string }>; subject: string; textContent: string }
      assert.strictEqual(body.to[0]!.email, email)
      assert.strictEqual(body.subject, "Verify Your Email - CueBX")
      const code = /\b(\d{6})\b/.exec(body.textContent)?.[1]
      assert.isDefined(code, body.textContent)

      const verified = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: code! } })
      assert.strictEqual(verified.status, 200)
      const me = yield* call("GET", "/auth/me", { token: (verified.json as { access_token: string }).access_token })
      assert.deepInclude(me.json as object, { email, email_verified: true, full_name: "End To End" })
    }))
})
