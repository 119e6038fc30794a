/**
 * Helpers for the workspace tests: signed-up users with their ids, team workspaces made through
 * the API, and fixtures the billing issue's endpoints will later make through the API (a paid
 * subscription with seats, a member with a role and status, a frozen workspace) written
 * directly into the database.
 */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { call, signedUpUser, uniqueEmail } from "../auth/support.ts"

export interface TestUser {
  readonly id: string
  readonly email: string
  readonly token: string
}

/** A verified, provisioned user (personal workspace, free plans). */
export const newUser = (label = "user", fullName: string | null = "Ada Lovelace") =>
  Effect.gen(function*() {
    const signedIn = yield* signedUpUser(uniqueEmail(label), fullName)
    const me = yield* call("GET", "/auth/me", { token: signedIn.accessToken })
    assert.strictEqual(me.status, 200, me.text)
    return { id: (me.json as { id: string }).id, email: signedIn.email, token: signedIn.accessToken }
  })

export const createTeam = (owner: TestUser, displayName = "Test Workspace") =>
  Effect.gen(function*() {
    const response = yield* call("POST", "/api/workspaces", {
      token: owner.token,
      body: { display_name: displayName }
    })
    assert.strictEqual(response.status, 201, response.text)
    return (response.json as { id: string }).id
  })

/**
 * Puts the workspace on a paid plan with `seats` seats, directly in the database (a fixture; the
 * billing tests go through checkout), on `stripeSubscriptionId` when a fake Stripe has it.
 */
export const subscribe = (
  workspaceId: string,
  seats: number,
  plan = "Basic",
  status = "ACTIVE",
  stripeSubscriptionId = `sub_${crypto.randomUUID()}`
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(Effect.gen(function*() {
      const [subscription] = yield* sql<{ readonly id: string }>`
        INSERT INTO subscriptions (plan_id, product_type, owner_id, status, seat_count, stripe_subscription_id,
          current_period_start, current_period_end)
        SELECT id, 'API', ${workspaceId}, ${status}, ${seats}, ${stripeSubscriptionId}, now(), now() + interval '30 days'
        FROM plans WHERE product_type = 'API' AND name = ${plan}
        RETURNING id`
      assert.isDefined(subscription, `no API plan named ${plan}`)
      yield* sql`
        INSERT INTO api_subscription_contexts (subscription_id, workspace_id) VALUES (${
        subscription!.id
      }, ${workspaceId})
        ON CONFLICT (workspace_id) DO UPDATE SET subscription_id = EXCLUDED.subscription_id`
    }))
  })

export type Role = "OWNER" | "ADMIN" | "MEMBER"

/** Adds `user` to the workspace directly (invitations are tested on their own). */
export const addMember = (workspaceId: string, user: TestUser, role: Role = "MEMBER", status = "ENABLED") =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      INSERT INTO workspace_members (workspace_id, user_id, role, status)
      VALUES (${workspaceId}, ${user.id}, ${role}, ${status})`
  })

export const setWorkspaceStatus = (workspaceId: string, status: "ACTIVE" | "FROZEN" | "SUSPENDED") =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE workspaces SET status = ${status} WHERE id = ${workspaceId}`
  })

export const memberRows = (workspaceId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ readonly userId: string; readonly role: Role; readonly status: string }>`
      SELECT user_id, role, status FROM workspace_members WHERE workspace_id = ${workspaceId} ORDER BY joined_at`
  })

export const personalWorkspaceOf = (user: TestUser) =>
  Effect.gen(function*() {
    const response = yield* call("GET", "/api/workspaces", { token: user.token })
    assert.strictEqual(response.status, 200, response.text)
    const personal = (response.json as { workspaces: Array<{ id: string; is_personal: boolean }> }).workspaces
      .filter((workspace) => workspace.is_personal)
    assert.strictEqual(personal.length, 1)
    return personal[0]!.id
  })

export const uuid = () => crypto.randomUUID()

/** An error answer: exactly `{"detail": detail}` with that status. */
export const expectError = (
  response: { readonly status: number; readonly json: unknown; readonly text: string },
  status: number,
  detail: string
) => {
  assert.strictEqual(response.status, status, response.text)
  assert.deepStrictEqual(response.json, { detail })
}
