import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeFakeHttpServer } from "../src/FakeHttpServer.ts"

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body)
    })
    return { status: response.status, json: await response.json() as unknown }
  })

describe("FakeHttpServer", () => {
  it.live("records requests and answers from routes, queued answers first", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeHttpServer("brevo", {
        "POST /v3/smtp/email": { status: 201, body: { messageId: "<m1@brevo>" } },
        "GET /users/:id": (request) => ({ body: { id: request.path.split("/")[2] } })
      })
      fake.enqueue("POST /v3/smtp/email", { status: 503, body: { message: "try later" } })

      const first = yield* post(`${fake.url}/v3/smtp/email`, { to: [{ email: "a@example.com" }] }, { "api-key": "k" })
      const second = yield* post(`${fake.url}/v3/smtp/email`, { to: [{ email: "b@example.com" }] })
      assert.deepStrictEqual(first, { status: 503, json: { message: "try later" } })
      assert.deepStrictEqual(second, { status: 201, json: { messageId: "<m1@brevo>" } })

      const user = yield* Effect.promise(() => fetch(`${fake.url}/users/42?full=1`).then((r) => r.json()))
      assert.deepStrictEqual(user, { id: "42" })

      const emails = fake.requestsTo("POST /v3/smtp/email")
      assert.strictEqual(emails.length, 2)
      assert.deepStrictEqual(emails[0]!.parsedBody, { to: [{ email: "a@example.com" }] })
      assert.strictEqual(emails[0]!.headers["api-key"], "k")
      assert.strictEqual(fake.requests()[2]!.query.get("full"), "1")
    }))

  it.live("answers 404 to unknown routes and still records them", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeHttpServer("github", {})
      const answer = yield* post(`${fake.url}/login/oauth/access_token`, {})
      assert.strictEqual(answer.status, 404)
      assert.strictEqual(fake.requests().length, 1)
      fake.reset()
      assert.strictEqual(fake.requests().length, 0)
    }))
})
