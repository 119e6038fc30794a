/**
 * API keys: the secret shown once and stored as the reference's HMAC (so its keys keep
 * validating), expiry (default, chosen, none), the listing with revoked and expired keys, revocation
 * taking effect at once, and `last_used_at` written in coalesced batches.
 */
import { ApiKeys, ApiKeyUsage } from "@cuebx/workspaces"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { createHmac } from "node:crypto"
import { authTestLayer, call } from "../auth/support.ts"
import { addMember, createTeam, newUser, type TestUser, uuid } from "./support.ts"

const hmac = (secret: string) =>
  createHmac("sha256", "otp_hmac_secret_key_change_in_production").update(secret).digest("hex")

interface KeyBody {
  readonly id: string
  readonly name: string
  readonly key_prefix: string
  readonly is_active: boolean
  readonly is_test_key: boolean
  readonly created_at: string
  readonly expires_at: string | null
  readonly last_used_at: string | null
  readonly revoked_at: string | null
}

const createKey = (caller: TestUser, workspaceId: string, body: Record<string, unknown>) =>
  call("POST", `/api/workspaces/${workspaceId}/api-keys`, { token: caller.token, body })

const listKeys = (caller: TestUser, workspaceId: string) =>
  call("GET", `/api/workspaces/${workspaceId}/api-keys`, { token: caller.token }).pipe(
    Effect.map((response) => (response.json as { api_keys: ReadonlyArray<KeyBody> }).api_keys)
  )

const created = (response: { readonly json: unknown }) =>
  response.json as { api_key: string; key: KeyBody; message: string }

layer(authTestLayer(), { excludeTestServices: true })("API keys", (it) => {
  describe("POST /api-keys", () => {
    it.effect("returns the key once and stores only its HMAC, with a 90-day default expiry", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const owner = yield* newUser("keys")
        const workspaceId = yield* createTeam(owner)
        const response = yield* createKey(owner, workspaceId, { name: "  Production API Key  " })
        assert.strictEqual(response.status, 201, response.text)
        const { api_key, key, message } = created(response)
        assert.match(api_key, /^cbx_live_[\w-]{43}$/)
        assert.strictEqual(message, "Store this API key securely. It will not be shown again.")
        assert.strictEqual(key.name, "Production API Key")
        assert.strictEqual(key.key_prefix, api_key.slice(0, 14))
        assert.deepStrictEqual([key.is_active, key.is_test_key, key.last_used_at, key.revoked_at], [
          true,
          false,
          null,
          null
        ])
        const days = (Date.parse(key.expires_at!) - Date.parse(key.created_at)) / 86_400_000
        assert.strictEqual(days, 90)

        const rows = yield* sql<{ readonly keyHash: string }>`SELECT key_hash FROM api_keys WHERE id = ${key.id}`
        assert.strictEqual(rows[0]!.keyHash, hmac(api_key))
        const everywhere = yield* sql`SELECT 1 FROM api_keys WHERE row_to_json(api_keys)::text LIKE ${`%${api_key}%`}`
        assert.strictEqual(everywhere.length, 0, "the secret is stored nowhere")
      }))

    it.effect("test keys, chosen expiries, keys that never expire, and bad input", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("keys-options")
        const workspaceId = yield* createTeam(owner)
        const test = created(yield* createKey(owner, workspaceId, { name: "Sandbox", is_test_key: true }))
        assert.match(test.api_key, /^cbx_test_[\w-]{43}$/)
        assert.isTrue(test.key.is_test_key)
        const month = created(yield* createKey(owner, workspaceId, { name: "Month", expires_in_days: 30 }))
        assert.strictEqual((Date.parse(month.key.expires_at!) - Date.parse(month.key.created_at)) / 86_400_000, 30)
        const forever = created(yield* createKey(owner, workspaceId, { name: "Forever", expires_in_days: null }))
        assert.isNull(forever.key.expires_at)
        for (
          const bad of [
            {},
            { name: "" },
            { name: "   " },
            { name: "k".repeat(129) },
            { name: "x", expires_in_days: 0 },
            {
              name: "x",
              expires_in_days: 366
            },
            { name: "x", is_test_key: "yes" }
          ]
        ) {
          assert.strictEqual((yield* createKey(owner, workspaceId, bad)).status, 422, JSON.stringify(bad))
        }
      }))

    it.effect("members may list but not create; 10 an hour per user", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("keys-limit")
        const member = yield* newUser("keys-member")
        const workspaceId = yield* createTeam(owner)
        yield* addMember(workspaceId, member)
        const refused = yield* createKey(member, workspaceId, { name: "Mine" })
        assert.strictEqual(refused.status, 403)
        assert.deepStrictEqual(refused.json, { detail: "Admin permission required." })
        for (let i = 0; i < 10; i++) {
          assert.strictEqual((yield* createKey(owner, workspaceId, { name: `K${i}` })).status, 201)
        }
        const limited = yield* createKey(owner, workspaceId, { name: "K10" })
        assert.strictEqual(limited.status, 429)
        assert.isDefined(limited.headers["retry-after"])
        assert.strictEqual((yield* listKeys(member, workspaceId)).length, 10)
      }))
  })

  describe("listing and revoking", () => {
    it.effect("lists revoked and expired keys as inactive; revoking is immediate and repeatable", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const apiKeys = yield* ApiKeys
        const owner = yield* newUser("revoker")
        const workspaceId = yield* createTeam(owner)
        const live = created(yield* createKey(owner, workspaceId, { name: "Live" }))
        const old = created(yield* createKey(owner, workspaceId, { name: "Old" }))
        yield* sql`UPDATE api_keys SET expires_at = now() - interval '1 day' WHERE id = ${old.key.id}`
        assert.strictEqual(Option.getOrUndefined(yield* apiKeys.verify(live.api_key))?.id, live.key.id)
        assert.isTrue(Option.isNone(yield* apiKeys.verify(old.api_key)), "an expired key does not authenticate")

        const revoke = (id: string) =>
          call("DELETE", `/api/workspaces/${workspaceId}/api-keys/${id}`, { token: owner.token })
        const revoked = yield* revoke(live.key.id)
        assert.deepStrictEqual(revoked.json, { message: "API key revoked.", success: true })
        assert.isTrue(
          Option.isNone(yield* apiKeys.verify(live.api_key)),
          "a revoked key stops authenticating at once"
        )
        const [first] = yield* sql<
          { readonly revokedAt: Date }
        >`SELECT revoked_at FROM api_keys WHERE id = ${live.key.id}`
        assert.deepStrictEqual((yield* revoke(live.key.id)).json, { message: "API key revoked.", success: true })
        const [second] = yield* sql<
          { readonly revokedAt: Date }
        >`SELECT revoked_at FROM api_keys WHERE id = ${live.key.id}`
        assert.strictEqual(second!.revokedAt.getTime(), first!.revokedAt.getTime(), "revoking again changes nothing")

        const listed = yield* listKeys(owner, workspaceId)
        assert.deepStrictEqual(listed.map((key) => [key.name, key.is_active, key.revoked_at !== null]), [
          ["Old", false, false],
          ["Live", false, true]
        ])

        const unknown = yield* revoke(uuid())
        assert.strictEqual(unknown.status, 404)
        assert.deepStrictEqual(unknown.json, { detail: "API key not found." })
        const elsewhere = yield* createTeam(owner, "Elsewhere")
        const foreign = yield* call("DELETE", `/api/workspaces/${elsewhere}/api-keys/${old.key.id}`, {
          token: owner.token
        })
        assert.strictEqual(foreign.status, 404, "a key of another workspace is not found here")
      }))

    it.effect("a key made the reference's way (HMAC of the raw key) validates", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const apiKeys = yield* ApiKeys
        const owner = yield* newUser("legacy")
        const workspaceId = yield* createTeam(owner)
        const legacy = "cbx_live_Zq3x9-legacyKeyFromThePythonService_0123456"
        yield* sql`
          INSERT INTO api_keys (workspace_id, name, key_hash, key_prefix, expires_at)
          VALUES (${workspaceId}, 'Migrated', ${hmac(legacy)}, 'cbx_live_Zq3x9', now() + interval '1 day')`
        assert.strictEqual(Option.getOrUndefined(yield* apiKeys.verify(legacy))?.name, "Migrated")
        assert.isTrue(Option.isNone(yield* apiKeys.verify("cbx_live_not-a-key")))
        assert.isTrue(Option.isNone(yield* apiKeys.verify("sk_live_wrong-prefix")))
      }))

    it.effect("a key of a deleted workspace, or a deleted key, no longer authenticates", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const apiKeys = yield* ApiKeys
        const owner = yield* newUser("deleted-workspace")
        const workspaceId = yield* createTeam(owner)
        const kept = yield* createTeam(owner, "Kept")
        const gone = created(yield* createKey(owner, workspaceId, { name: "Of a deleted workspace" }))
        const deleted = created(yield* createKey(owner, kept, { name: "Deleted itself" }))
        const live = created(yield* createKey(owner, kept, { name: "Still live" }))
        assert.strictEqual(Option.getOrUndefined(yield* apiKeys.verify(gone.api_key))?.id, gone.key.id)

        yield* sql`UPDATE workspaces SET is_deleted = true, deleted_at = now() WHERE id = ${workspaceId}`
        yield* sql`UPDATE api_keys SET is_deleted = true, deleted_at = now() WHERE id = ${deleted.key.id}`
        assert.isTrue(Option.isNone(yield* apiKeys.verify(gone.api_key)), "the workspace is deleted")
        assert.isTrue(Option.isNone(yield* apiKeys.verify(deleted.api_key)), "the key is deleted")
        assert.strictEqual(Option.getOrUndefined(yield* apiKeys.verify(live.api_key))?.id, live.key.id)
      }))
  })

  describe("last use", () => {
    it.effect("uses are written in one batch per flush, keeping the latest time", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const owner = yield* newUser("usage")
        const workspaceId = yield* createTeam(owner)
        const first = created(yield* createKey(owner, workspaceId, { name: "First" }))
        const second = created(yield* createKey(owner, workspaceId, { name: "Second" }))
        yield* Effect.gen(function*() {
          const usage = yield* ApiKeyUsage
          for (let i = 0; i < 50; i++) yield* usage.record(first.key.id)
          yield* usage.record(second.key.id)
          const before =
            yield* sql`SELECT 1 FROM api_keys WHERE workspace_id = ${workspaceId} AND last_used_at IS NOT NULL`
          assert.strictEqual(before.length, 0, "recording writes nothing")
          assert.strictEqual(yield* usage.flush, 2)
          assert.strictEqual(yield* usage.flush, 0)
          yield* usage.record(first.key.id)
        }).pipe(Effect.provide(ApiKeyUsage.layer, { local: true }))
        const listed = yield* listKeys(owner, workspaceId)
        assert.isTrue(listed.every((key) => key.last_used_at !== null), "written by the flushes, the last at shutdown")
      }))
  })
})
