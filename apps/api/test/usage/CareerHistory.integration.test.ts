/**
 * The Career analysis history (`GET /career/history`, `GET` and `DELETE /career/history/{id}`):
 * the user's results newest first, keyset pages on `(created_at, id)`, the feature filter, 404
 * for anything not the user's own, and soft deletion (cases 61–73, W16).
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call } from "../auth/support.ts"
import type { TestUser } from "../workspaces/support.ts"
import { careerUser } from "./support.ts"

interface Item {
  readonly id: string
  readonly feature_key: string
  readonly title: string
  readonly result_data: unknown
  readonly created_at: string
}

interface Page {
  readonly items: ReadonlyArray<Item>
  readonly next_cursor: string | null
  readonly has_more: boolean
}

/** Results stored as a charged commit stores them, at chosen times (a usage row for each). */
const seedResults = (user: TestUser, entries: ReadonlyArray<{ readonly feature: string; readonly at: string }>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const ids: Array<string> = []
    for (const [index, entry] of entries.entries()) {
      const usageId = crypto.randomUUID()
      yield* sql`
        INSERT INTO career_usage_logs (id, user_id, subscription_id, feature_key, request_id, fingerprint_hash,
          access_status, status, endpoint, method, credits_reserved, credits_charged, committed_at)
        VALUES (${usageId}, ${user.id}, ${crypto.randomUUID()}, ${entry.feature}, ${`seed-${usageId}`}, ${
        "f".repeat(64)
      },
          'granted', 'SUCCESS', '/seed', 'POST', 1, 1, now())`
      const [row] = yield* sql<{ readonly id: string }>`
        INSERT INTO career_analysis_results (usage_log_id, user_id, feature_key, result_data, created_at)
        VALUES (${usageId}, ${user.id}, ${entry.feature}, ${JSON.stringify({ index, nested: { list: [1, 2] } })}::jsonb,
          ${entry.at}::timestamptz)
        RETURNING id`
      ids.push(row!.id)
    }
    return ids
  })

const list = (user: TestUser, query = "") =>
  call("GET", `/career/history${query}`, { token: user.token }).pipe(
    Effect.map((response) => ({ response, page: response.json as Page }))
  )

const minutes = (offset: number) => new Date(Date.UTC(2026, 0, 1, 12, offset)).toISOString()

layer(authTestLayer(), { excludeTestServices: true })("Career history", (it) => {
  it.effect("needs a Bearer token (case 61)", () =>
    Effect.gen(function*() {
      const id = crypto.randomUUID()
      for (
        const [method, path] of [["GET", "/career/history"], ["GET", `/career/history/${id}`], [
          "DELETE",
          `/career/history/${id}`
        ]]
      ) {
        const response = yield* call(method!, path!)
        assert.strictEqual(response.status, 401, `${method} ${path}`)
        assert.strictEqual(response.headers["www-authenticate"], "Bearer")
      }
    }))

  describe("the list", () => {
    it.effect("is empty at first, then the user's own results only, newest first (cases 62–64, 68)", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        const other = yield* careerUser("other")
        assert.deepStrictEqual((yield* list(user)).page, { items: [], has_more: false, next_cursor: null })
        const ids = yield* seedResults(user, [
          { feature: "CAREER_JOB_MATCH", at: minutes(1) },
          { feature: "CAREER_CAREER_PATH", at: minutes(3) },
          { feature: "CAREER_EXTRACT_CUES_RESUME", at: minutes(2) }
        ])
        yield* seedResults(other, [{ feature: "CAREER_JOB_MATCH", at: minutes(4) }])
        const { page, response } = yield* list(user)
        assert.strictEqual(response.status, 200, response.text)
        assert.deepStrictEqual(page.items.map((item) => item.id), [ids[1], ids[2], ids[0]])
        assert.deepStrictEqual(page.items[2], {
          id: ids[0]!,
          feature_key: "career.job_match",
          title: "Job Match Analysis",
          result_data: { index: 0, nested: { list: [1, 2] } },
          created_at: minutes(1)
        })
      }))

    it.effect("filters by feature (case 65), pages with limit and before (cases 66, 67, 69)", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        yield* seedResults(user, [
          { feature: "CAREER_JOB_MATCH", at: minutes(1) },
          { feature: "CAREER_CAREER_PATH", at: minutes(2) },
          { feature: "CAREER_JOB_MATCH", at: minutes(3) },
          { feature: "CAREER_REFRAME_FEEDBACK", at: minutes(4) },
          { feature: "CAREER_CAREER_PATH", at: minutes(5) }
        ])
        const matches = (yield* list(user, "?feature_key=career.job_match")).page
        assert.deepStrictEqual(matches.items.map((item) => item.feature_key), ["career.job_match", "career.job_match"])
        assert.deepStrictEqual((yield* list(user, "?feature_key=career.extract_keywords")).page.items, [])
        assert.strictEqual((yield* list(user, "?feature_key=nope")).response.status, 422)

        const two = (yield* list(user, "?limit=2")).page
        assert.deepStrictEqual([two.items.length, two.has_more, two.next_cursor === two.items[1]!.id], [2, true, true])
        const first = (yield* list(user, "?limit=3")).page
        assert.strictEqual(first.items.length, 3)
        const second = (yield* list(user, `?limit=3&before=${first.next_cursor}`)).page
        assert.deepStrictEqual([second.items.length, second.has_more, second.next_cursor], [2, false, null])
        const seen = new Set([...first.items, ...second.items].map((item) => item.id))
        assert.strictEqual(seen.size, 5, "the two pages are disjoint and cover everything")

        for (const query of ["?limit=0", "?limit=101", "?limit=x", "?before=not-a-uuid"]) {
          const { response } = yield* list(user, query)
          assert.strictEqual(response.status, 422, query)
          assert.strictEqual((response.json as { detail: Array<{ loc: Array<string> }> }).detail[0]!.loc[0], "query")
        }
      }))

    it.effect("W16: pages follow (created_at, id): equal times never skip a row; an unknown cursor is 400", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        const other = yield* careerUser("other")
        const ids = yield* seedResults(
          user,
          Array.from({ length: 7 }, () => ({ feature: "CAREER_JOB_MATCH", at: minutes(9) }))
        )
        const collected: Array<string> = []
        let cursor: string | null = null
        do {
          const page: Page = (yield* list(user, `?limit=2${cursor === null ? "" : `&before=${cursor}`}`)).page
          collected.push(...page.items.map((item) => item.id))
          cursor = page.next_cursor
        } while (cursor !== null)
        assert.deepStrictEqual(collected.toSorted(), ids.toSorted())
        assert.strictEqual(new Set(collected).size, 7)

        const unknown = yield* list(user, `?before=${crypto.randomUUID()}`)
        assert.strictEqual(unknown.response.status, 400)
        assert.deepStrictEqual(unknown.response.json, {
          detail: "Invalid cursor: `before` is not one of your analysis results."
        })
        const foreign = (yield* seedResults(other, [{ feature: "CAREER_JOB_MATCH", at: minutes(10) }]))[0]!
        assert.strictEqual(
          (yield* list(user, `?before=${foreign}`)).response.status,
          400,
          "the cursor is the user's own"
        )
        // A page's last row deleted meanwhile still pages on.
        const page = (yield* list(user, "?limit=3")).page
        yield* call("DELETE", `/career/history/${page.next_cursor}`, { token: user.token })
        const next = (yield* list(user, `?limit=3&before=${page.next_cursor}`)).page
        assert.strictEqual(next.items.length, 3)
      }))
  })

  describe("one result", () => {
    it.effect("reads the user's own, 404 for anything else, deleted softly once (cases 70–73)", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const user = yield* careerUser()
        const other = yield* careerUser("other")
        const [mine] = yield* seedResults(user, [{ feature: "CAREER_REFRAME_FEEDBACK", at: minutes(1) }])
        const [theirs] = yield* seedResults(other, [{ feature: "CAREER_JOB_MATCH", at: minutes(1) }])
        const got = yield* call("GET", `/career/history/${mine}`, { token: user.token })
        assert.strictEqual(got.status, 200, got.text)
        const detail = got.json as Item & { usage_log_id: string }
        assert.deepInclude(detail, { id: mine!, feature_key: "career.reframe_feedback", title: "Feedback Reframing" })
        assert.deepStrictEqual(detail.result_data, { index: 0, nested: { list: [1, 2] } })
        const [usage] = yield* sql<{ readonly usageLogId: string }>`
          SELECT usage_log_id FROM career_analysis_results WHERE id = ${mine!}`
        assert.strictEqual(detail.usage_log_id, usage!.usageLogId)

        for (const id of [theirs!, crypto.randomUUID()]) {
          for (const method of ["GET", "DELETE"]) {
            const response = yield* call(method, `/career/history/${id}`, { token: user.token })
            assert.deepStrictEqual([response.status, response.json], [404, { detail: "Analysis result not found." }])
          }
        }
        assert.strictEqual((yield* call("GET", "/career/history/not-a-uuid", { token: user.token })).status, 422)

        const deleted = yield* call("DELETE", `/career/history/${mine}`, { token: user.token })
        assert.deepStrictEqual([deleted.status, deleted.text], [204, ""])
        assert.deepStrictEqual((yield* list(user)).page.items, [])
        assert.strictEqual((yield* call("GET", `/career/history/${mine}`, { token: user.token })).status, 404)
        assert.strictEqual((yield* call("DELETE", `/career/history/${mine}`, { token: user.token })).status, 404)
        const [kept] = yield* sql<{ readonly isDeleted: boolean; readonly status: string }>`
          SELECT r.is_deleted, u.status FROM career_analysis_results r JOIN career_usage_logs u ON u.id = r.usage_log_id
          WHERE r.id = ${mine!}`
        assert.deepStrictEqual(kept, { isDeleted: true, status: "SUCCESS" }, "the usage it was charged to is kept")
      }))
  })
})
