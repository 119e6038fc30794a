/**
 * The permission matrix: every workspace-scoped endpoint × {anonymous, non-member, member,
 * admin, owner, disabled member}, each against a fresh workspace (its subscription in a fake
 * Stripe, for the billing endpoints), plus what a frozen or a suspended workspace still allows.
 * A new endpoint joins with one row in `endpoints.ts`.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { call } from "../auth/support.ts"
import { billingTestLayer, planId, Stripe } from "../billing/support.ts"
import { type Caller, callers, type Endpoint, endpoints, expectedStatus, type Fixture } from "./endpoints.ts"
import { newUser, type Role, setWorkspaceStatus, subscribe, type TestUser } from "./support.ts"

interface Cast {
  readonly owner: TestUser
  readonly admin: TestUser
  readonly member: TestUser
  readonly disabled: TestUser
  readonly outsider: TestUser
  readonly target: TestUser
}

/** A fresh team workspace with one member of each kind, ten Professional seats, an invitation and an API key. */
const freshWorkspace = (cast: Cast) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [workspace] = yield* sql<{ readonly id: string }>`
      INSERT INTO workspaces (display_name, slug, owner_id)
      VALUES ('Matrix', ${`matrix-${crypto.randomUUID()}`}, ${cast.owner.id}) RETURNING id`
    const workspaceId = workspace!.id
    const members: ReadonlyArray<readonly [TestUser, Role, string]> = [
      [cast.owner, "OWNER", "ENABLED"],
      [cast.admin, "ADMIN", "ENABLED"],
      [cast.member, "MEMBER", "ENABLED"],
      [cast.disabled, "ADMIN", "DISABLED"],
      [cast.target, "MEMBER", "ENABLED"]
    ]
    for (const [user, role, status] of members) {
      yield* sql`
        INSERT INTO workspace_members (workspace_id, user_id, role, status)
        VALUES (${workspaceId}, ${user.id}, ${role}, ${status})`
    }
    const stripe = yield* Stripe
    const professional = yield* planId("API", "Professional")
    const stripeId = stripe.createSubscription(
      [{ price: "price_1NEXAMPLEPROFESSIONAL", quantity: 1 }, {
        price: "price_1NEXAMPLEPROFESSIONALSEAT",
        quantity: 10
      }],
      { workspace_id: workspaceId, plan_id: professional, seat_count: "10", product_type: "api" }
    )
    yield* subscribe(workspaceId, 10, "Professional", "ACTIVE", stripeId)
    const [invitation] = yield* sql<{ readonly id: string }>`
      INSERT INTO workspace_invitations (workspace_id, inviter_id, email, role, token_hash, expires_at)
      VALUES (${workspaceId}, ${cast.owner.id}, ${`pending-${crypto.randomUUID()}@example.com`}, 'MEMBER',
        ${crypto.randomUUID().replaceAll("-", "")}, now() + interval '7 days')
      RETURNING id`
    const [apiKey] = yield* sql<{ readonly id: string }>`
      INSERT INTO api_keys (workspace_id, name, key_hash, key_prefix)
      VALUES (${workspaceId}, 'Existing', ${crypto.randomUUID().replaceAll("-", "")}, 'cbx_live_abcde')
      RETURNING id`
    return {
      workspaceId,
      target: cast.target,
      invitationId: invitation!.id,
      apiKeyId: apiKey!.id,
      planId: professional,
      otherPlanId: yield* planId("API", "Basic")
    }
  })

const request = (endpoint: Endpoint, fixture: Fixture, token: string | undefined) =>
  call(endpoint.method, endpoint.path(fixture), {
    ...(endpoint.body === undefined ? {} : { body: endpoint.body(fixture) }),
    ...(token === undefined ? {} : { token })
  })

layer(billingTestLayer(), { excludeTestServices: true })("workspace permissions", (it) => {
  const cast = Effect.gen(function*() {
    return {
      owner: yield* newUser("owner"),
      admin: yield* newUser("admin"),
      member: yield* newUser("member"),
      disabled: yield* newUser("disabled"),
      outsider: yield* newUser("outsider"),
      target: yield* newUser("target")
    }
  }).pipe(Effect.cached)

  describe("every endpoint × every kind of caller", () => {
    for (const endpoint of endpoints) {
      it.effect(endpoint.name, () =>
        Effect.gen(function*() {
          const people = yield* yield* cast
          const tokens: Record<Caller, string | undefined> = {
            anonymous: undefined,
            nonMember: people.outsider.token,
            member: people.member.token,
            admin: people.admin.token,
            owner: people.owner.token,
            disabled: people.disabled.token
          }
          for (const caller of callers) {
            const fixture = yield* freshWorkspace(people)
            const response = yield* request(endpoint, fixture, tokens[caller])
            const expected = expectedStatus(endpoint, caller)
            assert.strictEqual(response.status, expected, `${endpoint.name} as ${caller}: ${response.text}`)
            if (expected === 404) {
              // No existence leak: a workspace I am not in answers exactly like one that does not exist.
              const unknown = yield* request(endpoint, { ...fixture, workspaceId: crypto.randomUUID() }, tokens[caller])
              assert.strictEqual(unknown.status, 404)
              assert.deepStrictEqual(response.json, unknown.json)
            }
            if (expected === 403 && caller === "disabled") {
              assert.deepStrictEqual(response.json, { detail: "Your membership in this workspace is disabled." })
            }
          }
        }))
    }
  })

  describe("a frozen or suspended workspace is read-only, except for taking access away", () => {
    const refusals = [
      ["FROZEN", "Workspace is frozen. Please renew subscription."],
      ["SUSPENDED", "Workspace is suspended. Please contact support."]
    ] as const
    for (const [status, detail] of refusals) {
      it.effect(`the owner of a ${status.toLowerCase()} workspace`, () =>
        Effect.gen(function*() {
          const people = yield* yield* cast
          for (const endpoint of endpoints) {
            const fixture = yield* freshWorkspace(people)
            yield* setWorkspaceStatus(fixture.workspaceId, status)
            const response = yield* request(endpoint, fixture, people.owner.token)
            const expected = endpoint.refusedWhenFrozen ? 403 : expectedStatus(endpoint, "owner")
            assert.strictEqual(response.status, expected, `${endpoint.name} when ${status}: ${response.text}`)
            if (endpoint.refusedWhenFrozen) assert.deepStrictEqual(response.json, { detail })
          }
        }))
    }
  })
})
