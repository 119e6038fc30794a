/**
 * Members: listing, enabling and disabling against the seats, roles, removal, leaving and
 * ownership transfer, with every error of the reference and the owner rules under concurrency.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call } from "../auth/support.ts"
import {
  addMember,
  createTeam,
  expectError,
  memberRows,
  newUser,
  personalWorkspaceOf,
  type Role,
  subscribe,
  type TestUser,
  uuid
} from "./support.ts"

const path = (workspaceId: string, suffix = "") => `/api/workspaces/${workspaceId}${suffix}`

/** A team with a paid subscription of `seats` and an enabled member. */
const team = (seats = 5) =>
  Effect.gen(function*() {
    const owner = yield* newUser("owner")
    const member = yield* newUser("member")
    const workspaceId = yield* createTeam(owner)
    yield* subscribe(workspaceId, seats)
    yield* addMember(workspaceId, member)
    return { owner, member, workspaceId }
  })

/** A workspace body's enabled members, all members and free seats. */
const counts = (body: unknown) => {
  const workspace = body as Record<string, unknown>
  return [workspace["enabled_member_count"], workspace["total_member_count"], workspace["available_seats"]]
}

const setStatus = (caller: TestUser, workspaceId: string, target: string, status: string) =>
  call("PATCH", path(workspaceId, `/members/${target}/status`), { token: caller.token, body: { status } })

type Racer = "owner" | "member" | "admin"
type RaceRoles = ReadonlyMap<Racer, Role>

/** Leaving, or being removed by the admin: refused for the owner, 404 for someone already gone. */
const goes = (who: Racer) => (roles: RaceRoles): readonly [number, RaceRoles] => {
  const role = roles.get(who)
  if (role === undefined) return [404, roles]
  if (role === "OWNER") return [403, roles]
  const left = new Map(roles)
  left.delete(who)
  return [200, left]
}

/** The five racing requests of the ownership race, as the workspace lock serialises them. */
const raceRequests: ReadonlyArray<(roles: RaceRoles) => readonly [number, RaceRoles]> = [
  // The owner transfers to the member: 404 once the member is gone.
  (roles) =>
    roles.has("member")
      ? [200, new Map([...roles, ["owner", "ADMIN"], ["member", "OWNER"]])]
      : [404, roles],
  goes("owner"), // the owner leaves
  goes("owner"), // the admin removes the owner
  goes("member"), // the admin removes the member
  goes("member") // the member leaves
]

const permutations = <A>(items: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> =>
  items.length <= 1
    ? [items]
    : items.flatMap((item, index) =>
      permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest])
    )

/**
 * Every outcome the race may have: for each order of the five requests, their statuses (in
 * request order) and the roles left (as sorted JSON), grouped by statuses.
 */
const raceOutcomes = () => {
  const outcomes = new Map<string, Array<string>>()
  for (const order of permutations(raceRequests.map((_, index) => index))) {
    let roles: RaceRoles = new Map([["owner", "OWNER"], ["member", "MEMBER"], ["admin", "ADMIN"]])
    const statuses = Array<number>(raceRequests.length)
    for (const index of order) {
      const [status, next] = raceRequests[index]!(roles)
      statuses[index] = status
      roles = next
    }
    const final = Object.fromEntries(roles)
    const key = statuses.join(",")
    outcomes.set(key, [...(outcomes.get(key) ?? []), JSON.stringify(final, Object.keys(final).toSorted())])
  }
  return outcomes
}

layer(authTestLayer(), { excludeTestServices: true })("workspace members", (it) => {
  describe("GET /members", () => {
    it.effect("lists members with their user details, filtered by status", () =>
      Effect.gen(function*() {
        const { owner, member, workspaceId } = yield* team()
        const disabled = yield* newUser("disabled")
        yield* addMember(workspaceId, disabled, "MEMBER", "DISABLED")
        const all = yield* call("GET", path(workspaceId, "/members"), { token: member.token })
        assert.strictEqual(all.status, 200)
        const rows = all.json as Array<Record<string, unknown>>
        assert.deepStrictEqual(rows.map((row) => row["user_id"]), [owner.id, member.id, disabled.id])
        assert.deepStrictEqual(Object.keys(rows[0]!).toSorted(), [
          "id",
          "joined_at",
          "role",
          "status",
          "user_avatar_url",
          "user_email",
          "user_id",
          "user_name"
        ])
        assert.strictEqual(rows[0]!["user_email"], owner.email)
        assert.strictEqual(rows[0]!["user_name"], "Ada Lovelace")
        const enabled = yield* call("GET", path(workspaceId, "/members?status=enabled"), { token: owner.token })
        assert.deepStrictEqual((enabled.json as Array<{ status: string }>).map((row) => row.status), [
          "enabled",
          "enabled"
        ])
        assert.strictEqual(
          (yield* call("GET", path(workspaceId, "/members?status=gone"), { token: owner.token })).status,
          422
        )
      }))
    it.effect("a deleted account's membership no longer shows, counts or holds a seat", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const { owner, member, workspaceId } = yield* team(2)
        assert.deepStrictEqual(counts((yield* call("GET", path(workspaceId), { token: owner.token })).json), [2, 2, 0])

        const deleted = yield* call("DELETE", "/auth/me", { token: member.token })
        assert.strictEqual(deleted.status, 200, deleted.text)
        const members = yield* call("GET", path(workspaceId, "/members"), { token: owner.token })
        assert.deepStrictEqual((members.json as Array<{ user_id: string }>).map((row) => row.user_id), [owner.id])
        const detail = yield* call("GET", path(workspaceId), { token: owner.token })
        assert.deepStrictEqual(counts(detail.json), [1, 1, 1])
        assert.deepStrictEqual(
          (detail.json as { members: Array<{ user_id: string }> }).members.map((row) => row.user_id),
          [owner.id]
        )
        expectError(yield* setStatus(owner, workspaceId, member.id, "disabled"), 404, "Member not found.")
        const invited = yield* call("POST", path(workspaceId, "/invitations"), {
          token: owner.token,
          body: { email: "freed-seat@example.com", callback_url: "http://localhost:3000/join" }
        })
        assert.strictEqual(invited.status, 201, "the seat is free again")
        const [row] = yield* sql<{ readonly accountDeleted: boolean }>`
          SELECT account_deleted FROM workspace_members WHERE workspace_id = ${workspaceId} AND user_id = ${member.id}`
        assert.isTrue(row!.accountDeleted, "the membership is kept, flagged, until the account is purged")
      }))
  })

  describe("PATCH /members/{user}/status", () => {
    it.effect("disabling frees a seat; enabling needs one, and a pending invitation holds one", () =>
      Effect.gen(function*() {
        const { owner, member, workspaceId } = yield* team(2)
        const disabled = yield* setStatus(owner, workspaceId, member.id, "disabled")
        assert.strictEqual(disabled.status, 200)
        assert.strictEqual((disabled.json as { status: string }).status, "disabled")
        const seats = yield* call("GET", path(workspaceId), { token: owner.token })
        assert.strictEqual((seats.json as { available_seats: number }).available_seats, 1)

        const invite = yield* call("POST", path(workspaceId, "/invitations"), {
          token: owner.token,
          body: { email: "seat-holder@example.com", callback_url: "http://localhost:3000/join" }
        })
        assert.strictEqual(invite.status, 201, invite.text)
        expectError(yield* setStatus(owner, workspaceId, member.id, "enabled"), 402, "Not enough seats available.")

        const invitationId = (invite.json as { invitation: { id: string } }).invitation.id
        yield* call("DELETE", path(workspaceId, `/invitations/${invitationId}`), { token: owner.token })
        const enabled = yield* setStatus(owner, workspaceId, member.id, "enabled")
        assert.strictEqual(enabled.status, 200)
        assert.strictEqual((enabled.json as { status: string }).status, "enabled")
      }))

    it.effect("without a subscription nobody can be enabled", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("nosub")
        const member = yield* newUser("nosub-member")
        const workspaceId = yield* createTeam(owner)
        yield* addMember(workspaceId, member, "MEMBER", "DISABLED")
        expectError(yield* setStatus(owner, workspaceId, member.id, "enabled"), 402, "Not enough seats available.")
      }))

    it.effect("the owner cannot be disabled; an unknown member is 404; a member may not manage members", () =>
      Effect.gen(function*() {
        const { owner, member, workspaceId } = yield* team()
        const admin = yield* newUser("admin")
        yield* addMember(workspaceId, admin, "ADMIN")
        expectError(yield* setStatus(admin, workspaceId, owner.id, "disabled"), 403, "Cannot disable workspace owner.")
        expectError(yield* setStatus(owner, workspaceId, uuid(), "disabled"), 404, "Member not found.")
        expectError(yield* setStatus(member, workspaceId, owner.id, "disabled"), 403, "Only admins can manage members.")
        assert.strictEqual((yield* setStatus(owner, workspaceId, member.id, "paused")).status, 422)
        const selfDisabled = yield* setStatus(admin, workspaceId, admin.id, "disabled")
        assert.strictEqual(selfDisabled.status, 200)
        expectError(
          yield* call("GET", path(workspaceId), { token: admin.token }),
          403,
          "Your membership in this workspace is disabled."
        )
      }))
  })

  describe("PATCH /members/{user}/role", () => {
    it.effect("the owner changes roles; ownership only moves by transfer", () =>
      Effect.gen(function*() {
        const { owner, member, workspaceId } = yield* team()
        const role = (caller: TestUser, target: string, value: string) =>
          call("PATCH", path(workspaceId, `/members/${target}/role`), { token: caller.token, body: { role: value } })
        const promoted = yield* role(owner, member.id, "admin")
        assert.strictEqual(promoted.status, 200)
        assert.strictEqual((promoted.json as { role: string }).role, "admin")
        expectError(yield* role(member, owner.id, "member"), 403, "Only owner can change member roles.")
        const demoted = yield* role(owner, member.id, "member")
        assert.strictEqual((demoted.json as { role: string }).role, "member")
        expectError(yield* role(owner, owner.id, "admin"), 403, "Cannot change owner's role.")
        expectError(yield* role(owner, member.id, "owner"), 403, "Use transfer_ownership to change owner.")
        expectError(yield* role(owner, uuid(), "admin"), 404, "Member not found.")
        assert.strictEqual((yield* role(owner, member.id, "superuser")).status, 422)
      }))
  })

  describe("DELETE /members/{user} and POST /leave", () => {
    it.effect("admins remove members but never the owner; members leave, the owner may not", () =>
      Effect.gen(function*() {
        const { owner, member, workspaceId } = yield* team()
        const admin = yield* newUser("remover")
        yield* addMember(workspaceId, admin, "ADMIN")
        const remove = (caller: TestUser, target: string) =>
          call("DELETE", path(workspaceId, `/members/${target}`), { token: caller.token })
        expectError(yield* remove(member, owner.id), 403, "Only admins can remove members.")
        expectError(yield* remove(admin, owner.id), 403, "Cannot remove workspace owner.")
        expectError(yield* remove(admin, uuid()), 404, "Member not found.")
        const removed = yield* remove(admin, member.id)
        assert.strictEqual(removed.status, 200)
        assert.deepStrictEqual(removed.json, { message: "Member removed successfully.", success: true })
        expectError(
          yield* call("GET", path(workspaceId), { token: member.token }),
          404,
          "Workspace not found or access denied."
        )

        const left = yield* call("POST", path(workspaceId, "/leave"), { token: admin.token })
        assert.deepStrictEqual(left.json, { message: "Successfully left workspace.", success: true })
        expectError(
          yield* call("POST", path(workspaceId, "/leave"), { token: owner.token }),
          403,
          "Owner cannot leave. Transfer ownership first."
        )
        expectError(yield* call("POST", path(workspaceId, "/leave"), { token: member.token }), 404, "Member not found.")
        assert.deepStrictEqual((yield* memberRows(workspaceId)).map((row) => row.userId), [owner.id])
      }))
  })

  describe("POST /transfer-ownership", () => {
    it.effect("moves ownership to a member; the old owner becomes an admin", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const { owner, member, workspaceId } = yield* team()
        const transfer = (caller: TestUser, to: string) =>
          call("POST", path(workspaceId, `/transfer-ownership?new_owner_id=${to}`), { token: caller.token })
        expectError(yield* transfer(member, member.id), 403, "Only owner can transfer ownership.")
        expectError(yield* transfer(owner, uuid()), 404, "New owner must be a workspace member.")
        assert.strictEqual(
          (yield* call("POST", path(workspaceId, "/transfer-ownership"), { token: owner.token })).status,
          422
        )
        const self = yield* transfer(owner, owner.id)
        assert.strictEqual((self.json as { owner_id: string }).owner_id, owner.id)

        const moved = yield* transfer(owner, member.id)
        assert.strictEqual(moved.status, 200, moved.text)
        assert.strictEqual((moved.json as { owner_id: string }).owner_id, member.id)
        const roles = Object.fromEntries((yield* memberRows(workspaceId)).map((row) => [row.userId, row.role]))
        assert.deepStrictEqual(roles, { [owner.id]: "ADMIN", [member.id]: "OWNER" })
        const [row] = yield* sql<
          { readonly ownerId: string }
        >`SELECT owner_id FROM workspaces WHERE id = ${workspaceId}`
        assert.strictEqual(row!.ownerId, member.id)
      }))

    it.effect("a disabled new owner is enabled only if a seat is free; a personal workspace stays with its owner", () =>
      Effect.gen(function*() {
        const { owner, member, workspaceId } = yield* team(2)
        const disabled = yield* newUser("disabled-heir")
        yield* addMember(workspaceId, disabled, "MEMBER", "DISABLED")
        const transfer = (to: string) =>
          call("POST", path(workspaceId, `/transfer-ownership?new_owner_id=${to}`), { token: owner.token })
        expectError(yield* transfer(disabled.id), 402, "Not enough seats available.")
        yield* setStatus(owner, workspaceId, member.id, "disabled")
        const moved = yield* transfer(disabled.id)
        assert.strictEqual(moved.status, 200, moved.text)
        const rows = Object.fromEntries((yield* memberRows(workspaceId)).map((row) => [row.userId, row.status]))
        assert.strictEqual(rows[disabled.id], "ENABLED")

        const personal = yield* personalWorkspaceOf(owner)
        expectError(
          yield* call("POST", path(personal, `/transfer-ownership?new_owner_id=${member.id}`), { token: owner.token }),
          403,
          "A personal workspace cannot be transferred."
        )
      }))

    it.effect("concurrent transfers leave exactly one owner, the one that won", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const { owner, member, workspaceId } = yield* team(10)
        const heirs = [member, yield* newUser("heir-1"), yield* newUser("heir-2"), yield* newUser("heir-3")]
        for (const heir of heirs.slice(1)) yield* addMember(workspaceId, heir)
        const responses = yield* Effect.all(
          heirs.map((heir) =>
            call("POST", path(workspaceId, `/transfer-ownership?new_owner_id=${heir.id}`), { token: owner.token })
          ),
          { concurrency: "unbounded" }
        )
        const statuses = responses.map((response) => response.status).toSorted()
        assert.deepStrictEqual(statuses, [200, 403, 403, 403])
        const winner = heirs[responses.findIndex((response) => response.status === 200)]!
        const owners = (yield* memberRows(workspaceId)).filter((row) => row.role === "OWNER")
        assert.deepStrictEqual(owners.map((row) => row.userId), [winner.id])
        const [row] = yield* sql<
          { readonly ownerId: string }
        >`SELECT owner_id FROM workspaces WHERE id = ${workspaceId}`
        assert.strictEqual(row!.ownerId, winner.id)
      }))

    it.effect("the owner leaving, being removed and transferring at once never leaves the workspace ownerless", () =>
      Effect.gen(function*() {
        const { owner, member, workspaceId } = yield* team(10)
        const admin = yield* newUser("racer")
        yield* addMember(workspaceId, admin, "ADMIN")
        const responses = yield* Effect.all([
          call("POST", path(workspaceId, `/transfer-ownership?new_owner_id=${member.id}`), { token: owner.token }),
          call("POST", path(workspaceId, "/leave"), { token: owner.token }),
          call("DELETE", path(workspaceId, `/members/${owner.id}`), { token: admin.token }),
          call("DELETE", path(workspaceId, `/members/${member.id}`), { token: admin.token }),
          call("POST", path(workspaceId, "/leave"), { token: member.token })
        ], { concurrency: "unbounded" })
        const statuses = responses.map((response) => response.status)
        const allowed = raceOutcomes().get(statuses.join(","))
        assert.isDefined(allowed, `statuses ${statuses.join(",")} fit no order of the five requests`)
        const racers = { [owner.id]: "owner", [member.id]: "member", [admin.id]: "admin" } as const
        const roles = Object.fromEntries((yield* memberRows(workspaceId)).map((row) => [racers[row.userId], row.role]))
        assert.include(allowed!, JSON.stringify(roles, Object.keys(roles).toSorted()))
        const owners = (yield* memberRows(workspaceId)).filter((row) => row.role === "OWNER")
        assert.strictEqual(owners.length, 1)
      }))
  })
})
