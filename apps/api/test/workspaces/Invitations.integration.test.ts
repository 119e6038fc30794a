/**
 * Invitations: creating (seats, plan, duplicates, callback origins, the email in the outbox with
 * a sealed link), listing, revoking, accepting (bound to the invited email, single use, expiry),
 * expiry no longer blocking a new invitation, and a seat race decided by the workspace lock.
 */
import { MessageSecrets } from "@cuebx/broker"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { createHmac } from "node:crypto"
import { authTestLayer, call, uniqueEmail } from "../auth/support.ts"
import {
  addMember,
  createTeam,
  expectError,
  newUser,
  personalWorkspaceOf,
  setWorkspaceStatus,
  subscribe,
  type TestUser,
  uuid
} from "./support.ts"

const callbackUrl = "http://localhost:3000/invitation"

const invite = (caller: TestUser, workspaceId: string, body: Record<string, unknown>) =>
  call("POST", `/api/workspaces/${workspaceId}/invitations`, {
    token: caller.token,
    body: { callback_url: callbackUrl, ...body }
  })

interface Created {
  readonly invitation: { readonly id: string; readonly email: string; readonly role: string; readonly status: string }
  readonly invitation_url: string
}

const tokenOf = (response: { readonly json: unknown }) =>
  new URL((response.json as Created).invitation_url).searchParams.get("token")!

const accept = (caller: TestUser, token: string) =>
  call("POST", "/api/workspaces/invitations/accept", { token: caller.token, body: { token } })

/** An owner's team with `seats` seats and the user who will be invited. */
const teamWithSeats = (seats: number) =>
  Effect.gen(function*() {
    const owner = yield* newUser("inviter", "Ina Viter")
    const invitee = yield* newUser("invitee")
    const workspaceId = yield* createTeam(owner, "Invite Team")
    yield* subscribe(workspaceId, seats)
    return { owner, invitee, workspaceId }
  })

layer(authTestLayer(), { excludeTestServices: true })("workspace invitations", (it) => {
  describe("POST /invitations", () => {
    it.effect("creates a pending invitation and queues the email with the link sealed", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const secrets = yield* MessageSecrets
        const { owner, invitee, workspaceId } = yield* teamWithSeats(5)
        const response = yield* invite(owner, workspaceId, { email: invitee.email.toUpperCase(), role: "admin" })
        assert.strictEqual(response.status, 201, response.text)
        const created = response.json as Created
        assert.strictEqual(created.invitation.email, invitee.email)
        assert.strictEqual(created.invitation.role, "admin")
        assert.strictEqual(created.invitation.status, "pending")
        assert.strictEqual((created.invitation as unknown as { inviter_email: string }).inviter_email, owner.email)
        assert.match(created.invitation_url, /^http:\/\/localhost:3000\/invitation\?token=[\w-]{43}$/)

        const [stored] = yield* sql<{ readonly tokenHash: string; readonly expiresAt: Date }>`
          SELECT token_hash, expires_at FROM workspace_invitations WHERE id = ${created.invitation.id}`
        const expected = createHmac("sha256", "otp_hmac_secret_key_change_in_production").update(tokenOf(response))
          .digest("hex")
        assert.strictEqual(stored!.tokenHash, expected)
        const days = (stored!.expiresAt.getTime() - Date.now()) / 86_400_000
        assert.isTrue(days > 6.99 && days <= 7)

        const [message] = yield* sql<{ readonly payload: Record<string, unknown> }>`
          SELECT payload FROM outbox_messages WHERE queue = 'workspace_invitation_emails' AND payload->>'email' = ${invitee.email}`
        const payload = message!.payload
        assert.notInclude(JSON.stringify(payload), tokenOf(response), "the token never sits in the outbox in clear")
        assert.deepStrictEqual({ ...payload, invitation_link: "" }, {
          email: invitee.email,
          inviter_name: "Ina Viter",
          workspace_name: "Invite Team",
          role: "Admin",
          invitation_link: "",
          expiry_hours: 168
        })
        assert.strictEqual(yield* secrets.open(payload["invitation_link"] as string), created.invitation_url)
      }))

    it.effect("refuses bad callbacks, the owner role and email, members and duplicates", () =>
      Effect.gen(function*() {
        const { owner, invitee, workspaceId } = yield* teamWithSeats(5)
        const member = yield* newUser("existing")
        yield* addMember(workspaceId, member)
        expectError(
          yield* invite(owner, workspaceId, { email: invitee.email, callback_url: "https://evil.example/steal" }),
          400,
          "Invalid callback URL. Must be in allowed origins and use HTTPS in production."
        )
        expectError(
          yield* invite(owner, workspaceId, { email: invitee.email, role: "owner" }),
          400,
          "Cannot invite with owner role."
        )
        expectError(
          yield* invite(owner, workspaceId, { email: owner.email }),
          400,
          "Cannot invite the workspace owner."
        )
        expectError(
          yield* invite(owner, workspaceId, { email: member.email }),
          409,
          "User is already a member of this workspace."
        )
        assert.strictEqual((yield* invite(owner, workspaceId, { email: invitee.email })).status, 201)
        expectError(
          yield* invite(owner, workspaceId, { email: invitee.email }),
          409,
          "Invitation already pending for this email."
        )
        for (
          const bad of [{ email: "not-an-email" }, { email: invitee.email, role: "king" }, { callback_url: undefined }]
        ) {
          assert.strictEqual((yield* invite(owner, workspaceId, { email: invitee.email, ...bad })).status, 422)
        }
        expectError(
          yield* invite(member, workspaceId, { email: uniqueEmail() }),
          403,
          "Only admins can invite members."
        )
      }))

    it.effect("needs a paid subscription with a seat not taken or reserved", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("planless")
        const team = yield* createTeam(owner)
        expectError(yield* invite(owner, team, { email: uniqueEmail() }), 402, "No active subscription.")
        expectError(
          yield* invite(owner, yield* personalWorkspaceOf(owner), { email: uniqueEmail() }),
          402,
          "Free workspaces cannot have additional members."
        )
        yield* subscribe(team, 2)
        assert.strictEqual((yield* invite(owner, team, { email: uniqueEmail() })).status, 201)
        expectError(yield* invite(owner, team, { email: uniqueEmail() }), 402, "No seats available. Current: 2 seats.")
        yield* subscribe(team, 3, "Basic", "PAST_DUE")
        assert.strictEqual(
          (yield* invite(owner, team, { email: uniqueEmail() })).status,
          201,
          "payment grace keeps the seats"
        )
        yield* subscribe(team, 3, "Basic", "CANCELED")
        expectError(yield* invite(owner, team, { email: uniqueEmail() }), 402, "No active subscription.")
      }))

    it.effect("an expired invitation frees its seat and no longer blocks inviting the address again", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const { owner, invitee, workspaceId } = yield* teamWithSeats(2)
        const first = yield* invite(owner, workspaceId, { email: invitee.email })
        const firstId = (first.json as Created).invitation.id
        yield* sql`UPDATE workspace_invitations SET expires_at = now() - interval '1 minute' WHERE id = ${firstId}`
        const listed = yield* call("GET", `/api/workspaces/${workspaceId}/invitations`, { token: owner.token })
        assert.strictEqual(
          (listed.json as { invitations: Array<{ status: string }> }).invitations[0]!.status,
          "expired"
        )

        const again = yield* invite(owner, workspaceId, { email: invitee.email })
        assert.strictEqual(again.status, 201, again.text)
        expectError(yield* accept(invitee, tokenOf(first)), 404, "Invitation not found or expired.")
        const [old] = yield* sql<
          { readonly status: string }
        >`SELECT status FROM workspace_invitations WHERE id = ${firstId}`
        assert.strictEqual(old!.status, "EXPIRED")
        assert.strictEqual((yield* accept(invitee, tokenOf(again))).status, 200)
      }))

    it.effect("parallel invitations for the last seat: exactly one wins", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const { owner, workspaceId } = yield* teamWithSeats(2)
        const responses = yield* Effect.all(
          Array.from({ length: 6 }, () => invite(owner, workspaceId, { email: uniqueEmail("racer") })),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(responses.map((response) => response.status).toSorted(), [201, 402, 402, 402, 402, 402])
        const pending =
          yield* sql`SELECT 1 FROM workspace_invitations WHERE workspace_id = ${workspaceId} AND status = 'PENDING'`
        assert.strictEqual(pending.length, 1)
      }))
  })

  describe("GET and DELETE /invitations", () => {
    it.effect("lists every invitation newest first; revoking ends a pending one", () =>
      Effect.gen(function*() {
        const { owner, invitee, workspaceId } = yield* teamWithSeats(5)
        const first = yield* invite(owner, workspaceId, { email: invitee.email })
        const second = yield* invite(owner, workspaceId, { email: uniqueEmail("second") })
        const list = yield* call("GET", `/api/workspaces/${workspaceId}/invitations`, { token: owner.token })
        const ids = (list.json as { invitations: Array<{ id: string }> }).invitations.map((row) => row.id)
        assert.deepStrictEqual(ids, [(second.json as Created).invitation.id, (first.json as Created).invitation.id])

        const firstId = (first.json as Created).invitation.id
        const revoke = (id: string) =>
          call("DELETE", `/api/workspaces/${workspaceId}/invitations/${id}`, { token: owner.token })
        const revoked = yield* revoke(firstId)
        assert.deepStrictEqual(revoked.json, { message: "Invitation revoked.", success: true })
        expectError(yield* revoke(firstId), 404, "Invitation not found or expired.")
        expectError(yield* revoke(uuid()), 404, "Invitation not found or expired.")
        expectError(yield* accept(invitee, tokenOf(first)), 404, "Invitation not found or expired.")

        const other = yield* createTeam(owner, "Other")
        expectError(
          yield* call("DELETE", `/api/workspaces/${other}/invitations/${(second.json as Created).invitation.id}`, {
            token: owner.token
          }),
          404,
          "Invitation not found or expired."
        )
      }))
  })

  describe("POST /invitations/accept", () => {
    it.effect("makes the invited user a member with the role, once", () =>
      Effect.gen(function*() {
        const { owner, invitee, workspaceId } = yield* teamWithSeats(3)
        const response = yield* invite(owner, workspaceId, { email: invitee.email })
        const accepted = yield* accept(invitee, tokenOf(response))
        assert.strictEqual(accepted.status, 200, accepted.text)
        const member = accepted.json as { user_id: string; role: string; status: string; user_email: string }
        assert.deepStrictEqual([member.user_id, member.role, member.status, member.user_email], [
          invitee.id,
          "member",
          "enabled",
          invitee.email
        ])
        expectError(yield* accept(invitee, tokenOf(response)), 404, "Invitation not found or expired.")
        const detail = yield* call("GET", `/api/workspaces/${workspaceId}`, { token: invitee.token })
        assert.strictEqual(detail.status, 200)
        assert.strictEqual((detail.json as { available_seats: number }).available_seats, 1)
      }))

    it.effect("is bound to the invited email; unknown, empty and wrong tokens are refused", () =>
      Effect.gen(function*() {
        const { owner, invitee, workspaceId } = yield* teamWithSeats(3)
        const stranger = yield* newUser("stranger")
        const response = yield* invite(owner, workspaceId, { email: invitee.email })
        expectError(yield* accept(stranger, tokenOf(response)), 404, "Invitation not found or expired.")
        expectError(yield* accept(invitee, "invalid_token_12345"), 404, "Invitation not found or expired.")
        assert.strictEqual((yield* accept(invitee, "")).status, 422)
        assert.strictEqual((yield* accept(invitee, tokenOf(response))).status, 200)
      }))

    it.effect("an existing member gets 409; a frozen workspace 403; a full one 402", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const { owner, invitee, workspaceId } = yield* teamWithSeats(3)
        const response = yield* invite(owner, workspaceId, { email: invitee.email })
        yield* setWorkspaceStatus(workspaceId, "FROZEN")
        expectError(yield* accept(invitee, tokenOf(response)), 403, "Workspace is frozen. Please renew subscription.")
        yield* setWorkspaceStatus(workspaceId, "ACTIVE")

        yield* sql`UPDATE subscriptions SET seat_count = 1 WHERE id = (
          SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${workspaceId})`
        expectError(yield* accept(invitee, tokenOf(response)), 402, "No seats available. Current: 1 seats.")
        yield* sql`UPDATE subscriptions SET seat_count = 3 WHERE id = (
          SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${workspaceId})`

        yield* addMember(workspaceId, invitee)
        expectError(yield* accept(invitee, tokenOf(response)), 409, "User is already a member of this workspace.")
      }))
  })
})
