/**
 * An invitation end to end: the real API (in-process), the real worker (a child process) and a
 * fake Brevo. The invitee follows the link from the email Brevo received, as a person would.
 */
import { spawnProgram, TestEnvironment } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { authTestLayerWithBrevo, call, FakeBrevo } from "../auth/support.ts"
import { createTeam, newUser, subscribe } from "./support.ts"

interface SentEmail {
  readonly to: ReadonlyArray<{ readonly email: string }>
  readonly subject: string
  readonly textContent: string
}

layer(authTestLayerWithBrevo, { excludeTestServices: true })("invitation end to end", (it) => {
  it.effect("invite → email with the link (through the worker and Brevo) → accept → member", () =>
    Effect.gen(function*() {
      const { env } = yield* TestEnvironment
      const brevo = yield* FakeBrevo
      const worker = yield* spawnProgram("apps/worker/src/main.ts", env)
      yield* worker.waitForOutput("CueBX worker started")

      const owner = yield* newUser("e2e-owner", "Olive Owner")
      const invitee = yield* newUser("e2e-invitee")
      const workspaceId = yield* createTeam(owner, "Launch Crew")
      yield* subscribe(workspaceId, 3)
      const invited = yield* call("POST", `/api/workspaces/${workspaceId}/invitations`, {
        token: owner.token,
        body: { email: invitee.email, role: "admin", callback_url: "http://localhost:3000/join?source=email" }
      })
      assert.strictEqual(invited.status, 201, invited.text)

      const isInvitation = (request: { readonly parsedBody: unknown }) => {
        const sentEmail = request.parsedBody as SentEmail
        return sentEmail.to[0]?.email === invitee.email && sentEmail.textContent.includes("/join")
      }
      const sent = yield* Effect.sync(() => brevo.requestsTo("POST /v3/smtp/email").filter(isInvitation)).pipe(
        Effect.repeat({ until: (requests) => requests.length > 0, schedule: Schedule.spaced("100 millis") }),
        Effect.timeout("30 seconds")
      )
      const email = sent[0]!.parsedBody as SentEmail
      assert.include(email.subject, "Launch Crew")
      assert.include(email.textContent, "Olive Owner")
      const link = /http:\/\/localhost:3000\/join\?source=email&token=[\w-]+/.exec(email.textContent)?.[0]
      assert.isDefined(link, email.textContent)

      const token = new URL(link!).searchParams.get("token")!
      const accepted = yield* call("POST", "/api/workspaces/invitations/accept", {
        token: invitee.token,
        body: { token }
      })
      assert.strictEqual(accepted.status, 200, accepted.text)
      assert.deepInclude(accepted.json as object, { user_id: invitee.id, role: "admin", status: "enabled" })
      const workspaces = yield* call("GET", "/api/workspaces?member_role=admin", { token: invitee.token })
      assert.deepStrictEqual(
        (workspaces.json as { workspaces: Array<{ id: string }> }).workspaces.map((workspace) => workspace.id),
        [workspaceId]
      )
    }))
})
