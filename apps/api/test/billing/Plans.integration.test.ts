/**
 * The plan catalogue of both products as the public sees it (compared with plans.json), its rate
 * limit, and the current subscription of a workspace and of the signed-in user, including the
 * statuses that still count (payment grace) and those that do not.
 */
import { defaultCatalogueFilePath } from "@cuebx/billing"
import type { PlanResponse as PlanResponseSchema } from "@cuebx/contract"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { readFileSync } from "node:fs"
import { authTestLayer, call, randomIp } from "../auth/support.ts"
import type { TestUser } from "../workspaces/support.ts"
import { addMember, createTeam, newUser, personalWorkspaceOf, subscribe, uuid } from "../workspaces/support.ts"

type Product = "API" | "CAREER"
/** A plan as the wire carries it (amounts as strings). */
type PlanResponse = typeof PlanResponseSchema.Encoded
type CataloguePlan = Omit<PlanResponse, "id" | "type" | "features"> & {
  readonly type: "FREE" | "PAID"
  readonly features: ReadonlyArray<{ title: string; description?: string; value?: string | boolean; category?: string }>
}

const catalogue = JSON.parse(readFileSync(defaultCatalogueFilePath, "utf8")) as {
  readonly api_plans: ReadonlyArray<CataloguePlan>
  readonly career_plans: ReadonlyArray<CataloguePlan>
}

/** The PlanResponse a catalogue entry must give, in the wire's field order: `null` for what is absent. */
const expectedPlan = (entry: CataloguePlan, id: string) => ({
  id,
  name: entry.name,
  description: entry.description,
  price: entry.price,
  display_price: entry.display_price,
  seat_price: entry.seat_price,
  seat_display_price: entry.seat_display_price,
  is_active: entry.is_active,
  trial_days: entry.trial_days,
  type: entry.type.toLowerCase(),
  features: entry.features.map(({ category, description, title, value }) => ({
    title,
    description: description ?? null,
    value: value ?? null,
    category: category ?? null
  })),
  max_seats: entry.max_seats,
  min_seats: entry.min_seats
})

const planIds = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ id: string; name: string; productType: string }>`SELECT id, name, product_type FROM plans`
  return (product: Product, name: string) => {
    const row = rows.find((plan) => plan.productType === product && plan.name === name)
    assert.isDefined(row, `no ${product} plan ${name}`)
    return row!.id
  }
})

const expectedCatalogue = (product: Product) =>
  Effect.map(planIds, (idOf) =>
    (product === "API" ? catalogue.api_plans : catalogue.career_plans)
      .map((entry) => expectedPlan(entry, idOf(product, entry.name))))

const expectedByName = (product: Product, name: string) =>
  Effect.map(expectedCatalogue(product), (plans) => plans.find((plan) => plan.name === name)!)

const plansOf = (response: { readonly json: unknown }) =>
  (response.json as { plans: Array<Record<string, unknown>> }).plans

const planNames = (path: string) =>
  Effect.map(call("GET", path), (response) => plansOf(response).map((plan) => plan["name"]))

/** The subscription id in the workspace's or the user's context row. */
const contextOf = (owner: { readonly workspace: string } | { readonly user: string }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = "workspace" in owner
      ? yield* sql<{ subscriptionId: string }>`
        SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${owner.workspace}`
      : yield* sql<{ subscriptionId: string }>`
        SELECT subscription_id FROM career_subscription_contexts WHERE user_id = ${owner.user}`
    assert.isDefined(row, `no subscription context for ${JSON.stringify(owner)}`)
    return row!.subscriptionId
  })

const setStatus = (subscriptionId: string, status: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`UPDATE subscriptions SET status = ${status} WHERE id = ${subscriptionId}`
  )

const get = (path: string, status: number, token?: string) =>
  Effect.map(call("GET", path, token === undefined ? {} : { token }), (response) => {
    assert.strictEqual(response.status, status, `${path}: ${response.text}`)
    return response
  })

const expectNotFound = (path: string, detail: string, token?: string) =>
  Effect.map(get(path, 404, token), (response) => assert.deepStrictEqual(response.json, { detail }))

const expect422 = (path: string, loc: ReadonlyArray<string>, token?: string) =>
  Effect.map(get(path, 422, token), (response) => {
    assert.deepStrictEqual((response.json as { detail: Array<{ loc: unknown }> }).detail[0]!.loc, loc)
  })

const workspaceSubscription = (workspaceId: string, user: TestUser) =>
  call("GET", `/api/subscriptions/workspaces/${workspaceId}`, { token: user.token })

const careerSubscription = (user: TestUser) => call("GET", "/career/subscriptions", { token: user.token })

/** A workspace's API subscription as the wire shows it, without a billing period. */
const apiSubscription = (
  id: string,
  workspaceId: string,
  plan: { readonly id: string },
  seats: number,
  credits: string
) => ({
  id,
  workspace_id: workspaceId,
  plan_id: plan.id,
  status: "active",
  seat_count: seats,
  current_period_start: null,
  current_period_end: null,
  cancel_at_period_end: false,
  canceled_at: null,
  credits_allocation: credits,
  credits_used: "0.00",
  plan
})

/** The Career Free subscription a user starts with, as the wire shows it. */
const careerFree = (id: string, user: TestUser) =>
  Effect.map(expectedByName("CAREER", "Free"), (plan) => ({
    id,
    user_id: user.id,
    plan_id: plan.id,
    status: "active",
    current_period_start: null,
    current_period_end: null,
    cancel_at_period_end: false,
    canceled_at: null,
    plan
  }))

layer(authTestLayer(), { excludeTestServices: true })("plans and current subscriptions", (it) => {
  describe("GET /api/subscriptions/plans and /career/subscriptions/plans", () => {
    it.effect("list the active plans of each product in tier order, exactly as plans.json describes them", () =>
      Effect.gen(function*() {
        const lists = [["/api/subscriptions/plans", "API"], ["/career/subscriptions/plans", "CAREER"]] as const
        for (const [path, product] of lists) {
          const plans = plansOf(yield* get(path, 200))
          const expected = yield* expectedCatalogue(product)
          assert.deepStrictEqual(plans, expected)
          // Same keys in the same order: no rank, product type or Stripe id.
          for (const plan of plans) assert.deepStrictEqual(Object.keys(plan), Object.keys(expected[0]!))
        }
        assert.deepStrictEqual(yield* planNames("/api/subscriptions/plans"), ["Free", "Basic", "Professional"])
        assert.deepStrictEqual(yield* planNames("/career/subscriptions/plans"), ["Free", "Plus Plan", "Pro Plan"])
      }))

    it.effect("an inactive plan leaves the list and cannot be read", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const idOf = yield* planIds
        const inactive = [idOf("API", "Professional"), idOf("CAREER", "Pro Plan")]
        yield* Effect.gen(function*() {
          yield* sql`UPDATE plans SET is_active = false WHERE id IN ${sql.in(inactive)}`
          assert.deepStrictEqual(yield* planNames("/api/subscriptions/plans"), ["Free", "Basic"])
          assert.deepStrictEqual(yield* planNames("/career/subscriptions/plans"), ["Free", "Plus Plan"])
          yield* expectNotFound(`/api/subscriptions/plans/${inactive[0]}`, "Plan not found.")
          yield* expectNotFound(`/career/subscriptions/plans/${inactive[1]}`, "Career plan not found.")
        }).pipe(Effect.ensuring(Effect.orDie(sql`UPDATE plans SET is_active = true WHERE id IN ${sql.in(inactive)}`)))
      }))

    it.effect("the API list allows 30 requests a minute per client address", () =>
      Effect.gen(function*() {
        const ip = randomIp()
        for (let i = 1; i <= 30; i++) {
          assert.strictEqual((yield* call("GET", "/api/subscriptions/plans", { ip })).status, 200, `request ${i}`)
        }
        const limited = yield* call("GET", "/api/subscriptions/plans", { ip })
        assert.strictEqual(limited.status, 429)
        const detail = (limited.json as { detail: string }).detail
        const seconds = /^Rate limit exceeded\. Try again in (\d+) seconds\.$/.exec(detail)?.[1]
        assert.isDefined(seconds, detail)
        assert.strictEqual(limited.headers["retry-after"], seconds)
        // The sliding window weighs the previous minute's requests as if spread evenly over it, so a
        // burst may wait past one window (never past two), depending on where in the minute it falls.
        assert.isTrue(Number(seconds) >= 1 && Number(seconds) <= 120, seconds)
        assert.strictEqual((yield* call("GET", "/api/subscriptions/plans")).status, 200, "another address")
        assert.strictEqual((yield* call("GET", "/career/subscriptions/plans", { ip })).status, 200, "Career list")
        const basic = (yield* planIds)("API", "Basic")
        assert.strictEqual((yield* call("GET", `/api/subscriptions/plans/${basic}`, { ip })).status, 200, "one plan")
      }))
  })

  describe("GET /api/subscriptions/plans/{id} and /career/subscriptions/plans/{id}", () => {
    it.effect("return one plan of the product", () =>
      Effect.gen(function*() {
        const idOf = yield* planIds
        const basic = yield* call("GET", `/api/subscriptions/plans/${idOf("API", "Basic")}`)
        assert.strictEqual(basic.status, 200, basic.text)
        assert.deepStrictEqual(basic.json, yield* expectedByName("API", "Basic"))
        const { features, ...fields } = basic.json as PlanResponse
        assert.deepStrictEqual(fields, {
          id: idOf("API", "Basic"),
          name: "Basic",
          description: "For growing companies and recruitment startups integrating AI insights into their hiring flow.",
          price: "19.00",
          display_price: "$19/month",
          seat_price: "2.00",
          seat_display_price: "$2/seat/month",
          is_active: true,
          trial_days: 7,
          type: "paid",
          max_seats: 5,
          min_seats: 1
        })
        assert.strictEqual(features.length, 10)
        assert.deepStrictEqual(features[0], {
          title: "10,000 API calls/month",
          description: "Up to 10,000 API calls per month",
          value: null,
          category: "Usage"
        })
        const plus = yield* call("GET", `/career/subscriptions/plans/${idOf("CAREER", "Plus Plan")}`)
        assert.strictEqual(plus.status, 200, plus.text)
        assert.deepStrictEqual(plus.json, yield* expectedByName("CAREER", "Plus Plan"))
        const free = (yield* call("GET", `/career/subscriptions/plans/${idOf("CAREER", "Free")}`)).json as PlanResponse
        assert.deepStrictEqual([free.name, free.price, free.type, free.max_seats], ["Free", "0.00", "free", 1])
      }))

    it.effect("an unknown id, a plan of the other product and a malformed id are refused", () =>
      Effect.gen(function*() {
        const idOf = yield* planIds
        yield* expectNotFound(`/api/subscriptions/plans/${uuid()}`, "Plan not found.")
        yield* expectNotFound(`/api/subscriptions/plans/${idOf("CAREER", "Plus Plan")}`, "Plan is not an API plan.")
        yield* expectNotFound(`/career/subscriptions/plans/${uuid()}`, "Career plan not found.")
        yield* expectNotFound(`/career/subscriptions/plans/${idOf("API", "Basic")}`, "Plan is not a Career plan.")
        yield* expect422("/api/subscriptions/plans/not-a-uuid", ["path", "plan_id"])
        yield* expect422("/career/subscriptions/plans/not-a-uuid", ["path", "plan_id"])
      }))
  })

  describe("GET /api/subscriptions/workspaces/{id}", () => {
    it.effect("the personal workspace is on API Free, with its allowance and no billing period", () =>
      Effect.gen(function*() {
        const user = yield* newUser("personal-plan")
        const personal = yield* personalWorkspaceOf(user)
        const response = yield* workspaceSubscription(personal, user)
        assert.strictEqual(response.status, 200, response.text)
        const free = yield* expectedByName("API", "Free")
        const expected = apiSubscription(yield* contextOf({ workspace: personal }), personal, free, 1, "500.00")
        assert.deepStrictEqual(response.json, expected)
        assert.deepStrictEqual(Object.keys(response.json as object), Object.keys(expected), "the wire's field order")
      }))

    it.effect("a team has none until it subscribes; payment grace keeps it, canceled or incomplete does not", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("team-plan")
        const member = yield* newUser("team-plan-member")
        const team = yield* createTeam(owner)
        const none = yield* workspaceSubscription(team, owner)
        assert.deepStrictEqual([none.status, none.text], [200, "null"])

        yield* subscribe(team, 5)
        yield* addMember(team, member)
        const subscriptionId = yield* contextOf({ workspace: team })
        const response = yield* workspaceSubscription(team, owner)
        assert.strictEqual(response.status, 200, response.text)
        const body = response.json as Record<string, unknown>
        const basic = yield* expectedByName("API", "Basic")
        assert.deepStrictEqual<unknown>(
          { ...body, current_period_start: null, current_period_end: null },
          apiSubscription(subscriptionId, team, basic, 5, "10000.00")
        )
        const [start, end] = [body["current_period_start"] as string, body["current_period_end"] as string]
        assert.match(start, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/)
        assert.strictEqual(Date.parse(end) - Date.parse(start), 30 * 24 * 3600 * 1000)
        assert.deepStrictEqual((yield* workspaceSubscription(team, member)).json, body, "a member sees it too")

        for (const [status, shown] of [["PAST_DUE", "past_due"], ["UNPAID", "unpaid"], ["TRIALING", "trialing"]]) {
          yield* setStatus(subscriptionId, status!)
          const current = yield* workspaceSubscription(team, owner)
          assert.strictEqual(current.status, 200)
          assert.deepStrictEqual(current.json, { ...body, status: shown }, status)
        }
        for (const status of ["CANCELED", "INCOMPLETE", "INCOMPLETE_EXPIRED", "PAUSED"]) {
          yield* setStatus(subscriptionId, status)
          const gone = yield* workspaceSubscription(team, owner)
          assert.deepStrictEqual([gone.status, gone.text], [200, "null"], status)
        }
      }))

    it.effect("a non-member and an unknown workspace get the same 404; a malformed id is 422; no token is 401", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("sub-owner")
        const outsider = yield* newUser("sub-outsider")
        const team = yield* createTeam(owner)
        yield* subscribe(team, 2)
        for (const workspaceId of [team, uuid()]) {
          yield* expectNotFound(
            `/api/subscriptions/workspaces/${workspaceId}`,
            "Workspace not found or access denied.",
            outsider.token
          )
        }
        yield* expect422("/api/subscriptions/workspaces/not-a-uuid", ["path", "workspace_id"], owner.token)
        const anonymous = yield* call("GET", `/api/subscriptions/workspaces/${team}`)
        assert.strictEqual(anonymous.status, 401)
        assert.deepStrictEqual(anonymous.json, { detail: "Not authenticated" })
        assert.strictEqual(anonymous.headers["www-authenticate"], "Bearer")
      }))
  })

  describe("GET /career/subscriptions and POST /career/subscriptions/activate", () => {
    it.effect("the Free subscription of signup is current until canceled; unpaid still counts", () =>
      Effect.gen(function*() {
        const user = yield* newUser("career-reader")
        const subscriptionId = yield* contextOf({ user: user.id })
        const expected = yield* careerFree(subscriptionId, user)
        const current = yield* careerSubscription(user)
        assert.strictEqual(current.status, 200, current.text)
        assert.deepStrictEqual(current.json, expected)
        assert.deepStrictEqual(Object.keys(current.json as object), Object.keys(expected), "the wire's field order")

        yield* setStatus(subscriptionId, "UNPAID")
        assert.deepStrictEqual((yield* careerSubscription(user)).json, { ...expected, status: "unpaid" })
        yield* setStatus(subscriptionId, "CANCELED")
        const canceled = yield* careerSubscription(user)
        assert.deepStrictEqual([canceled.status, canceled.text], [200, "null"])

        const activated = yield* call("POST", "/career/subscriptions/activate", { token: user.token })
        assert.strictEqual(activated.status, 200, activated.text)
        assert.deepStrictEqual(
          activated.json,
          { ...expected, status: "canceled" },
          "the existing one, whatever its status"
        )
      }))

    it.effect("activate starts the Free plan for a user without a Career subscription", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const user = yield* newUser("career-activate")
        const previous = yield* contextOf({ user: user.id })
        yield* sql`DELETE FROM career_subscription_contexts WHERE user_id = ${user.id}`
        assert.strictEqual((yield* careerSubscription(user)).text, "null")

        const activated = yield* call("POST", "/career/subscriptions/activate", { token: user.token })
        assert.strictEqual(activated.status, 200, activated.text)
        const created = yield* contextOf({ user: user.id })
        assert.notStrictEqual(created, previous)
        const expected = yield* careerFree(created, user)
        assert.deepStrictEqual(activated.json, expected)
        assert.deepStrictEqual((yield* careerSubscription(user)).json, expected)
        const again = yield* call("POST", "/career/subscriptions/activate", { token: user.token })
        assert.deepStrictEqual(again.json, expected, "repeating it changes nothing")
      }))
  })
})
