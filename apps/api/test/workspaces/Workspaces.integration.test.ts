/**
 * Workspaces: the personal workspace and free plans of a verified user (exactly once), listing,
 * creating, reading and updating, bad input, and the authentication of every workspace endpoint.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { expectAuthenticationRequired } from "../auth/authCases.ts"
import { authTestLayer, call } from "../auth/support.ts"
import { endpoints } from "./endpoints.ts"
import { addMember, createTeam, newUser, personalWorkspaceOf, subscribe, uuid } from "./support.ts"

interface WorkspaceBody {
  readonly id: string
  readonly display_name: string
  readonly slug: string
  readonly is_personal: boolean
  readonly description: string | null
  readonly owner_id: string
  readonly members?: ReadonlyArray<{ readonly user_id: string; readonly role: string; readonly status: string }>
  readonly [key: string]: unknown
}

const body = (response: { readonly json: unknown }) => response.json as WorkspaceBody

const ids = (response: { readonly json: unknown }) =>
  (response.json as { workspaces: Array<{ id: string }> }).workspaces.map((workspace) => workspace.id)

layer(authTestLayer(), { excludeTestServices: true })("workspaces", (it) => {
  describe("provisioning", () => {
    it.effect("a verified user gets a personal workspace on the API Free plan and a Career Free subscription", () =>
      Effect.gen(function*() {
        const user = yield* newUser("grace", "Grace Hopper")
        const list = yield* call("GET", "/api/workspaces", { token: user.token })
        assert.strictEqual(list.status, 200)
        const [personal] = (list.json as { workspaces: Array<WorkspaceBody> }).workspaces
        assert.deepStrictEqual({ ...personal!, id: "", created_at: "", client_id: "" }, {
          id: "",
          display_name: "Grace Hopper's Workspace",
          slug: "ws-grace-hoppers-workspace",
          status: "active",
          is_personal: true,
          description: null,
          created_at: "",
          owner_id: user.id,
          enabled_member_count: 1,
          total_member_count: 1,
          seat_count: 1,
          available_seats: 0,
          credits_used: "0.00",
          credits_limit: "500.00",
          credits_remaining: "500.00",
          client_id: ""
        })
        assert.strictEqual(personal!.client_id, `ws_${personal!.id.replaceAll("-", "")}`)

        const career = yield* call("GET", "/career/subscriptions", { token: user.token })
        assert.strictEqual(career.status, 200)
        const subscription = career.json as { user_id: string; status: string; plan: { name: string; type: string } }
        assert.strictEqual(subscription.user_id, user.id)
        assert.strictEqual(subscription.status, "active")
        assert.deepStrictEqual([subscription.plan.name, subscription.plan.type], ["Free", "free"])
      }))

    it.effect("without a name, the workspace is named after the email's local part", () =>
      Effect.gen(function*() {
        const user = yield* newUser("Nameless", null)
        const detail = yield* call("GET", `/api/workspaces/${yield* personalWorkspaceOf(user)}`, { token: user.token })
        assert.strictEqual(body(detail).display_name, `${user.email.split("@")[0]}'s Workspace`)
      }))

    it.effect("activate returns the personal workspace, and recreates it exactly once under concurrent calls", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const user = yield* newUser("activate")
        const personalId = yield* personalWorkspaceOf(user)
        const again = yield* call("POST", "/api/workspaces/activate", { token: user.token })
        assert.strictEqual(again.status, 200)
        assert.strictEqual(body(again).id, personalId)

        yield* sql`DELETE FROM workspaces WHERE id = ${personalId}`
        const responses = yield* Effect.all(
          Array.from({ length: 6 }, () => call("POST", "/api/workspaces/activate", { token: user.token })),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(responses.map((response) => response.status), Array(6).fill(200))
        assert.strictEqual(new Set(responses.map((response) => body(response).id)).size, 1)
        const rows = yield* sql`SELECT id FROM workspaces WHERE owner_id = ${user.id} AND is_personal`
        assert.strictEqual(rows.length, 1)
        const contexts = yield* sql`SELECT 1 FROM api_subscription_contexts WHERE workspace_id = ${rows[0]!.id}`
        assert.strictEqual(contexts.length, 1)
      }))

    it.effect("Career activate is idempotent and creates one subscription under concurrent calls", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const user = yield* newUser("career")
        const first = yield* call("POST", "/career/subscriptions/activate", { token: user.token })
        assert.strictEqual(first.status, 200)
        const existingId = (first.json as { id: string }).id

        yield* sql`DELETE FROM career_subscription_contexts WHERE user_id = ${user.id}`
        const responses = yield* Effect.all(
          Array.from({ length: 5 }, () => call("POST", "/career/subscriptions/activate", { token: user.token })),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(responses.map((response) => response.status), Array(5).fill(200))
        const ids = new Set(responses.map((response) => (response.json as { id: string }).id))
        assert.strictEqual(ids.size, 1)
        assert.isFalse(ids.has(existingId))
        const contexts = yield* sql`SELECT 1 FROM career_subscription_contexts WHERE user_id = ${user.id}`
        assert.strictEqual(contexts.length, 1)
      }))
  })

  describe("GET /api/workspaces", () => {
    it.effect("lists the workspaces where my membership is enabled, optionally by role", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("lister")
        const admin = yield* newUser("lister-admin")
        const team = yield* createTeam(owner, "Listed Team")
        const other = yield* createTeam(owner, "Disabled Team")
        yield* addMember(team, admin, "ADMIN")
        yield* addMember(other, admin, "MEMBER", "DISABLED")

        const mine = ids(yield* call("GET", "/api/workspaces", { token: admin.token }))
        assert.include(mine, team)
        assert.notInclude(mine, other)
        assert.include(ids(yield* call("GET", "/api/workspaces?member_role=admin", { token: admin.token })), team)
        assert.notInclude(ids(yield* call("GET", "/api/workspaces?member_role=member", { token: admin.token })), team)
        assert.include(ids(yield* call("GET", "/api/workspaces?member_role=owner", { token: owner.token })), team)

        const invalid = yield* call("GET", "/api/workspaces?member_role=invalid_role", { token: owner.token })
        assert.strictEqual(invalid.status, 422)
        assert.deepStrictEqual((invalid.json as { detail: Array<{ loc: unknown }> }).detail[0]!.loc, [
          "query",
          "member_role"
        ])
      }))
  })

  describe("POST /api/workspaces", () => {
    it.effect("creates a team workspace I own, with its real members and counts", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("creator")
        const response = yield* call("POST", "/api/workspaces", {
          token: owner.token,
          body: { display_name: "  New Test Workspace  ", description: "Test workspace description" }
        })
        assert.strictEqual(response.status, 201, response.text)
        const created = body(response)
        assert.strictEqual(created.display_name, "New Test Workspace")
        assert.strictEqual(created.description, "Test workspace description")
        assert.strictEqual(created.slug, "ws-new-test-workspace")
        assert.isFalse(created.is_personal)
        assert.strictEqual(created["status"], "active")
        assert.strictEqual(created.owner_id, owner.id)
        assert.deepStrictEqual(created.members!.map((member) => [member.user_id, member.role, member.status]), [
          [owner.id, "owner", "enabled"]
        ])
        assert.strictEqual(created["enabled_member_count"], 1)
        assert.strictEqual(created["seat_count"], 0)
        assert.strictEqual(created["available_seats"], 0)
        assert.strictEqual(created["credits_limit"], "0.00")

        const second = yield* call("POST", "/api/workspaces", {
          token: owner.token,
          body: { display_name: "New Test Workspace" }
        })
        assert.strictEqual(body(second).slug, "ws-new-test-workspace-1")
        assert.isNull(body(second).description)
      }))

    it.effect("names are trimmed and limited; SQL-looking text is stored as it is", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("validator")
        const create = (payload: unknown) => call("POST", "/api/workspaces", { token: owner.token, body: payload })
        for (
          const bad of [{}, { display_name: "" }, { display_name: "   " }, { display_name: "A".repeat(129) }, {
            display_name: "Ok",
            description: "d".repeat(501)
          }, { display_name: 42 }]
        ) {
          const response = yield* create(bad)
          assert.strictEqual(response.status, 422, JSON.stringify(bad))
        }
        const sqlish = "Robert'); DROP TABLE workspaces; --"
        const stored = yield* create({ display_name: sqlish })
        assert.strictEqual(stored.status, 201)
        assert.strictEqual(body(stored).display_name, sqlish)
        assert.strictEqual(body(stored).slug, "ws-robert-drop-table-workspaces")
        const symbols = yield* create({ display_name: "日本語" })
        assert.strictEqual(body(symbols).slug, "ws-workspace")
      }))

    it.effect("is limited to 10 an hour per user", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("busy")
        for (let i = 0; i < 10; i++) {
          const response = yield* call("POST", "/api/workspaces", {
            token: owner.token,
            body: { display_name: `T${i}` }
          })
          assert.strictEqual(response.status, 201)
        }
        const limited = yield* call("POST", "/api/workspaces", { token: owner.token, body: { display_name: "T10" } })
        assert.strictEqual(limited.status, 429)
        assert.match((limited.json as { detail: string }).detail, /^Rate limit exceeded\. Try again in \d+ seconds\.$/)
        assert.isDefined(limited.headers["retry-after"])
        const invalid = yield* call("POST", "/api/workspaces", { token: owner.token, body: { display_name: "" } })
        assert.strictEqual(invalid.status, 422, "a validation failure is answered before the limit")
      }))
  })

  describe("GET /api/workspaces/{id}", () => {
    it.effect("shows the workspace with all its members, disabled ones included", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("reader")
        const member = yield* newUser("reader-member")
        const team = yield* createTeam(owner)
        yield* subscribe(team, 5)
        yield* addMember(team, member, "MEMBER", "DISABLED")
        const response = yield* call("GET", `/api/workspaces/${team}`, { token: owner.token })
        assert.strictEqual(response.status, 200)
        const detail = body(response)
        assert.strictEqual(detail.members!.length, 2)
        assert.deepStrictEqual(
          [
            detail["enabled_member_count"],
            detail["total_member_count"],
            detail["seat_count"],
            detail["available_seats"]
          ],
          [1, 2, 5, 4]
        )
        assert.deepStrictEqual([detail["credits_limit"], detail["credits_remaining"]], ["10000.00", "10000.00"])
      }))

    it.effect("an unknown id and someone else's workspace answer the same 404; a malformed id is 422", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("hider")
        const outsider = yield* newUser("outsider")
        const team = yield* createTeam(owner)
        for (
          const [path, token] of [[`/api/workspaces/${uuid()}`, owner.token], [
            `/api/workspaces/${team}`,
            outsider.token
          ]]
        ) {
          const response = yield* call("GET", path!, { token: token! })
          assert.strictEqual(response.status, 404)
          assert.deepStrictEqual(response.json, { detail: "Workspace not found or access denied." })
        }
        const malformed = yield* call("GET", "/api/workspaces/not-a-uuid", { token: owner.token })
        assert.strictEqual(malformed.status, 422)
        assert.deepStrictEqual((malformed.json as { detail: Array<{ loc: unknown }> }).detail[0]!.loc, [
          "path",
          "workspace_id"
        ])
      }))
  })

  describe("PATCH /api/workspaces/{id}", () => {
    it.effect("changes the name, the description and the slug; absent or null fields stay", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("updater")
        const team = yield* createTeam(owner)
        const patch = (payload: unknown) =>
          call("PATCH", `/api/workspaces/${team}`, { token: owner.token, body: payload })
        assert.strictEqual(body(yield* patch({ display_name: "Updated Name" })).display_name, "Updated Name")
        assert.strictEqual(body(yield* patch({ description: "New description" })).description, "New description")
        assert.strictEqual(body(yield* patch({ slug: "new-workspace-slug" })).slug, "new-workspace-slug")
        const unchanged = body(yield* patch({ display_name: null, description: null }))
        assert.deepStrictEqual([unchanged.display_name, unchanged.description, unchanged.slug], [
          "Updated Name",
          "New description",
          "new-workspace-slug"
        ])
        assert.strictEqual(body(yield* patch({})).display_name, "Updated Name")
        assert.isNull(body(yield* patch({ description: "" })).description)
        assert.strictEqual((yield* patch({ slug: "Invalid Slug With Spaces!" })).status, 422)
        assert.strictEqual((yield* patch({ display_name: " " })).status, 422)
      }))

    it.effect("a slug in use, even by a deleted workspace, is 409", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const owner = yield* newUser("slugger")
        const first = yield* createTeam(owner, "Slug One")
        const second = yield* createTeam(owner, "Slug Two")
        const taken = yield* call("PATCH", `/api/workspaces/${second}`, {
          token: owner.token,
          body: { slug: "ws-slug-one" }
        })
        assert.strictEqual(taken.status, 409)
        assert.deepStrictEqual(taken.json, { detail: "Slug already in use." })
        yield* sql`UPDATE workspaces SET is_deleted = true, deleted_at = now() WHERE id = ${first}`
        const stillTaken = yield* call("PATCH", `/api/workspaces/${second}`, {
          token: owner.token,
          body: { slug: "ws-slug-one" }
        })
        assert.strictEqual(stillTaken.status, 409)
      }))

    it.effect("a member may not change settings", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("settings-owner")
        const member = yield* newUser("settings-member")
        const team = yield* createTeam(owner)
        yield* addMember(team, member)
        const response = yield* call("PATCH", `/api/workspaces/${team}`, {
          token: member.token,
          body: { display_name: "Mine now" }
        })
        assert.strictEqual(response.status, 403)
        assert.deepStrictEqual(response.json, { detail: "Only admins can update workspace settings." })
      }))
  })

  describe("authentication", () => {
    it.effect("every workspace endpoint requires a valid access token", () =>
      Effect.gen(function*() {
        const fixture = {
          workspaceId: uuid(),
          target: { id: uuid(), email: "", token: "" },
          invitationId: uuid(),
          apiKeyId: uuid(),
          planId: uuid(),
          otherPlanId: uuid()
        }
        const unscoped = [
          { method: "GET", path: "/api/workspaces" },
          { method: "POST", path: "/api/workspaces", body: { display_name: "x" } },
          { method: "POST", path: "/api/workspaces/activate" },
          { method: "POST", path: "/api/workspaces/invitations/accept", body: { token: "x" } },
          { method: "GET", path: "/career/subscriptions" },
          { method: "POST", path: "/career/subscriptions/activate" }
        ]
        const scoped = endpoints.map((endpoint) => ({
          method: endpoint.method,
          path: endpoint.path(fixture),
          ...(endpoint.body === undefined ? {} : { body: endpoint.body(fixture) })
        }))
        for (const endpoint of [...unscoped, ...scoped]) yield* expectAuthenticationRequired(endpoint)
      }))
  })
})
