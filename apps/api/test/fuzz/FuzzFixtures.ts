/**
 * The real things fuzzed requests use, so they get past authentication and past the 404 of an
 * unknown id: a workspace owner, a member and an outsider (each signed in), the owner's team
 * workspace on a paid plan with an invitation and an API key, the plans, a dead letter, and the
 * admin and internal credentials. A fuzzed request may destroy some (delete an account, revoke a
 * session, change a role): `heal` runs after every successful mutation and repairs what broke.
 */
import { DeadLetters, type Delivery } from "@cuebx/broker"
import { AdminCredentials, InternalApiSecret } from "@cuebx/config"
import { Context, Effect, Layer, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { call, password, signedUpUser, uniqueEmail } from "../auth/support.ts"
import { Stripe } from "../billing/support.ts"
import { addMember, createTeam, subscribe } from "../workspaces/support.ts"

interface Identity {
  readonly id: string
  readonly email: string
  readonly accessToken: string
  readonly refreshToken: string
}

export type Who = "owner" | "member" | "outsider"

export interface FixtureValues {
  readonly identities: Readonly<Record<Who, Identity>>
  readonly workspaceId: string
  /** The team workspace's API key (`X-API-Key`), when it could be created. */
  readonly workspaceApiKey: string | undefined
  readonly admin: { readonly username: string; readonly password: string }
  readonly internalKey: string
  /** Real values for path and query parameters, by parameter name. */
  readonly known: Readonly<Record<string, ReadonlyArray<string>>>
}

/** The origin the test configuration allows for callback URLs (CORS_ALLOW_ORIGINS' default). */
export const allowedCallbackUrl = "http://localhost:3000/fuzz"

interface Answer {
  readonly status: number
  readonly json: unknown
  readonly text: string
}

type Rows = ReadonlyArray<Readonly<Record<string, unknown>>>

const rowsOf = (answer: Answer, field?: string): Rows =>
  answer.status !== 200
    ? []
    : ((field === undefined ? answer.json : (answer.json as Record<string, unknown>)[field]) as Rows | undefined) ?? []

const idsOf = (answer: Answer, field: string) => rowsOf(answer, field).map((row) => String(row["id"]))

/** Still listed, and neither revoked nor accepted. */
const alive = (rows: Rows, id: string | undefined) =>
  rows.some((row) => row["id"] === id && row["is_active"] !== false && (row["status"] ?? "pending") === "pending")

const newIdentity = (label: string) =>
  Effect.gen(function*() {
    const signedIn = yield* signedUpUser(uniqueEmail(`fuzz-${label}`))
    const me = yield* call("GET", "/auth/me", { token: signedIn.accessToken })
    if (me.status !== 200) return yield* Effect.die(new Error(`fuzz fixtures: GET /auth/me answered ${me.text}`))
    return { ...signedIn, id: (me.json as { id: string }).id } satisfies Identity
  })

/** The identity, signed in again when its session was revoked; `undefined` when the account is gone. */
const revived = (identity: Identity) =>
  Effect.gen(function*() {
    if ((yield* call("GET", "/auth/me", { token: identity.accessToken })).status === 200) return identity
    const signin = yield* call("POST", "/auth/signin", { body: { email: identity.email, password } })
    if (signin.status !== 200) return undefined
    const tokens = signin.json as { access_token: string; refresh_token: string }
    return { ...identity, accessToken: tokens.access_token, refreshToken: tokens.refresh_token }
  })

/** `user` as an enabled member of the workspace again, whatever a request made of it. */
const restoreMember = (workspaceId: string, user: Identity) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM workspace_members WHERE workspace_id = ${workspaceId} AND user_id = ${user.id}`
    yield* addMember(workspaceId, { id: user.id, email: user.email, token: user.accessToken })
  })

const createInvitation = (workspaceId: string, owner: Identity) =>
  call("POST", `/api/workspaces/${workspaceId}/invitations`, {
    token: owner.accessToken,
    body: { email: uniqueEmail("fuzz-invitee"), role: "member", callback_url: allowedCallbackUrl }
  }).pipe(
    Effect.map((answer) => answer.status === 201 ? [(answer.json as { invitation: { id: string } }).invitation.id] : [])
  )

const createApiKey = (workspaceId: string, owner: Identity) =>
  call("POST", `/api/workspaces/${workspaceId}/api-keys`, { token: owner.accessToken, body: { name: "fuzz" } }).pipe(
    Effect.map((answer) => answer.status === 201 ? answer.json as { api_key: string; key: { id: string } } : undefined)
  )

/** A message as the dead-letter consumer receives it from RabbitMQ. */
const deadMessage = (): Delivery => ({
  body: Buffer.from(JSON.stringify({ email: "fuzz@example.com", otp_code: "123456" })),
  headers: { "x-retry-attempt": 3, "x-error-message": "fuzz" },
  messageId: crypto.randomUUID()
})

/** One analysis in the user's Career history, as a charged commit keeps it (its id is `result_id`). */
const historyResult = (userId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const usageId = crypto.randomUUID()
    yield* sql`
      INSERT INTO career_usage_logs (id, user_id, subscription_id, feature_key, request_id, fingerprint_hash,
        access_status, status, endpoint, method, credits_reserved, credits_charged, committed_at)
      VALUES (${usageId}, ${userId}, ${crypto.randomUUID()}, 'CAREER_JOB_MATCH', ${`fuzz-${usageId}`}, ${
      "f".repeat(64)
    },
        'granted', 'SUCCESS', '/fuzz', 'POST', 2, 2, now())`
    const rows = yield* sql<{ readonly id: string }>`
      INSERT INTO career_analysis_results (usage_log_id, user_id, feature_key, result_data)
      VALUES (${usageId}, ${userId}, 'CAREER_JOB_MATCH', '{"fuzz": true}') RETURNING id`
    return rows.map((row) => row.id)
  })

/** RabbitMQ connects in the background: until it has, health answers 503. */
const healthy = call("GET", "/health").pipe(
  Effect.repeat({ until: (answer) => answer.status === 200, schedule: Schedule.spaced("50 millis") }),
  Effect.timeout("15 seconds"),
  Effect.orDie
)

/** The values that follow from the identities and workspace: ids for parameters, the owner's session. */
const withDerived = (values: FixtureValues, sessions: Answer): FixtureValues => {
  const { member, outsider, owner } = values.identities
  return {
    ...values,
    known: {
      ...values.known,
      workspace_id: [values.workspaceId],
      member_user_id: [member.id, owner.id, outsider.id],
      new_owner_id: [member.id, outsider.id],
      session_id: idsOf(sessions, "sessions")
    }
  }
}

const build = Effect.gen(function*() {
  yield* healthy
  const admin = yield* AdminCredentials
  const internalKey = yield* InternalApiSecret.config
  const owner = yield* newIdentity("owner")
  const member = yield* newIdentity("member")
  const outsider = yield* newIdentity("outsider")
  const workspaceId = yield* createTeam({ id: owner.id, email: owner.email, token: owner.accessToken }, "Fuzz Team")
  const stripe = yield* Stripe
  const stripeSubscription = stripe.createSubscription(
    [{ price: "price_1NEXAMPLEPROFESSIONAL", quantity: 1 }, { price: "price_1NEXAMPLEPROFESSIONALSEAT", quantity: 10 }],
    { workspace_id: workspaceId, product_type: "api", seat_count: "10" }
  )
  yield* subscribe(workspaceId, 10, "Professional", "ACTIVE", stripeSubscription)
  yield* addMember(workspaceId, { id: member.id, email: member.email, token: member.accessToken })
  const apiKey = yield* createApiKey(workspaceId, owner)
  const plans = [...idsOf(yield* call("GET", "/api/subscriptions/plans"), "plans")]
  plans.push(...idsOf(yield* call("GET", "/career/subscriptions/plans"), "plans"))
  const deadLetter = yield* (yield* DeadLetters).store("otp_emails_dead", deadMessage())
  return withDerived({
    identities: { owner, member, outsider },
    workspaceId,
    workspaceApiKey: apiKey?.api_key,
    admin: { username: admin.username, password: Redacted.value(admin.password) },
    internalKey: Redacted.value(internalKey),
    known: {
      invitation_id: yield* createInvitation(workspaceId, owner),
      api_key_id: apiKey === undefined ? [] : [apiKey.key.id],
      plan_id: plans,
      id: [deadLetter.id],
      queue: ["otp_emails_dead"],
      result_id: yield* historyResult(owner.id)
    }
  }, yield* call("GET", "/auth/sessions", { token: owner.accessToken }))
})

/** The fixtures with what fuzzed requests broke repaired; `undefined` when only a rebuild will do. */
const repaired = (values: FixtureValues) =>
  Effect.gen(function*() {
    const owner = yield* revived(values.identities.owner)
    if (owner === undefined) return undefined
    const member = (yield* revived(values.identities.member)) ?? (yield* newIdentity("member"))
    const outsider = (yield* revived(values.identities.outsider)) ?? (yield* newIdentity("outsider"))
    const base = `/api/workspaces/${values.workspaceId}`
    const get = (path: string) => call("GET", path, { token: owner.accessToken })
    const members = rowsOf(yield* get(`${base}/members`))
    if (!members.some((row) => row["user_id"] === owner.id && row["role"] === "owner")) return undefined
    if (
      !members.some((row) => row["user_id"] === member.id && row["role"] === "member" && row["status"] === "enabled")
    ) {
      yield* restoreMember(values.workspaceId, member)
    }
    const [invitationId] = values.known["invitation_id"] ?? []
    const invitationAlive = alive(rowsOf(yield* get(`${base}/invitations`), "invitations"), invitationId)
    const [apiKeyId] = values.known["api_key_id"] ?? []
    const apiKey = alive(rowsOf(yield* get(`${base}/api-keys`), "api_keys"), apiKeyId)
      ? undefined
      : yield* createApiKey(values.workspaceId, owner)
    return withDerived({
      ...values,
      identities: { owner, member, outsider },
      workspaceApiKey: apiKey?.api_key ?? values.workspaceApiKey,
      known: {
        ...values.known,
        invitation_id: invitationAlive ? [invitationId!] : yield* createInvitation(values.workspaceId, owner),
        ...(apiKey === undefined ? {} : { api_key_id: [apiKey.key.id] })
      }
    }, yield* get("/auth/sessions"))
  })

export class FuzzFixtures extends Context.Service<FuzzFixtures, {
  readonly current: Effect.Effect<FixtureValues>
  /** Repairs what the requests so far broke (a new sign-in, member, invitation ...), or rebuilds all. */
  readonly heal: Effect.Effect<void>
  /** How often everything had to be rebuilt. */
  readonly rebuilds: Effect.Effect<number>
}>()("test/FuzzFixtures") {
  static readonly layer = Layer.effect(
    FuzzFixtures,
    Effect.gen(function*() {
      const context = yield* Effect.context<
        Effect.Services<typeof build> | Effect.Services<ReturnType<typeof repaired>>
      >()
      let values: FixtureValues = yield* build
      let rebuilds = 0
      return FuzzFixtures.of({
        current: Effect.sync(() => values),
        heal: Effect.gen(function*() {
          const next = yield* repaired(values)
          if (next === undefined) rebuilds++
          values = next ?? (yield* build)
        }).pipe(Effect.orDie, Effect.provideContext(context)),
        rebuilds: Effect.sync(() => rebuilds)
      })
    })
  )
}
