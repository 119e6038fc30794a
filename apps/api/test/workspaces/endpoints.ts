/**
 * Every workspace-scoped endpoint as data: how to call it against a fixture workspace, the
 * least role it needs, whether a disabled member or a frozen (or suspended) workspace may do it.
 * The permission matrix and the authentication cases both walk this list; a new endpoint joins
 * with one row.
 */
import type { TestUser } from "./support.ts"

export type Caller = "anonymous" | "nonMember" | "member" | "admin" | "owner" | "disabled"
export const callers: ReadonlyArray<Caller> = ["anonymous", "nonMember", "member", "admin", "owner", "disabled"]

/**
 * What each row's request may refer to: a workspace (on the Professional plan, with ten seats,
 * through the fake Stripe) with a member to act on, an invitation and a key, and the plans.
 */
export interface Fixture {
  readonly workspaceId: string
  readonly target: TestUser
  readonly invitationId: string
  readonly apiKeyId: string
  /** The workspace's plan (Professional) and the plan a checkout asks for (Basic). */
  readonly planId: string
  readonly otherPlanId: string
}

export interface Endpoint {
  readonly name: string
  readonly method: string
  readonly path: (fixture: Fixture) => string
  readonly body?: (fixture: Fixture) => unknown
  readonly minimumRole: "member" | "admin" | "owner"
  readonly success: number
  /** A disabled member may do it (only leaving). */
  readonly disabledMayDo?: boolean
  /** Whether a frozen or suspended workspace refuses it (it would grow or change the workspace). */
  readonly refusedWhenFrozen: boolean
  /** Exceptions to the role rule, e.g. the owner may not leave. */
  readonly except?: Partial<Record<Caller, number>>
}

const ws = (fixture: Fixture) => `/api/workspaces/${fixture.workspaceId}`
const billing = (fixture: Fixture) => `/api/subscriptions/workspaces/${fixture.workspaceId}`

export const endpoints: ReadonlyArray<Endpoint> = [
  { name: "get workspace", method: "GET", path: ws, minimumRole: "member", success: 200, refusedWhenFrozen: false },
  {
    name: "update workspace",
    method: "PATCH",
    path: ws,
    body: () => ({ display_name: "Renamed" }),
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: true
  },
  {
    name: "list members",
    method: "GET",
    path: (f) => `${ws(f)}/members`,
    minimumRole: "member",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "disable a member",
    method: "PATCH",
    path: (f) => `${ws(f)}/members/${f.target.id}/status`,
    body: () => ({ status: "disabled" }),
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "change a member's role",
    method: "PATCH",
    path: (f) => `${ws(f)}/members/${f.target.id}/role`,
    body: () => ({ role: "admin" }),
    minimumRole: "owner",
    success: 200,
    refusedWhenFrozen: true
  },
  {
    name: "remove a member",
    method: "DELETE",
    path: (f) => `${ws(f)}/members/${f.target.id}`,
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "leave",
    method: "POST",
    path: (f) => `${ws(f)}/leave`,
    minimumRole: "member",
    success: 200,
    disabledMayDo: true,
    refusedWhenFrozen: false,
    except: { owner: 403 }
  },
  {
    name: "transfer ownership",
    method: "POST",
    path: (f) => `${ws(f)}/transfer-ownership?new_owner_id=${f.target.id}`,
    minimumRole: "owner",
    success: 200,
    refusedWhenFrozen: true
  },
  {
    name: "list invitations",
    method: "GET",
    path: (f) => `${ws(f)}/invitations`,
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "invite",
    method: "POST",
    path: (f) => `${ws(f)}/invitations`,
    body: () => ({ email: `invitee-${crypto.randomUUID()}@example.com`, callback_url: "http://localhost:3000/join" }),
    minimumRole: "admin",
    success: 201,
    refusedWhenFrozen: true
  },
  {
    name: "revoke an invitation",
    method: "DELETE",
    path: (f) => `${ws(f)}/invitations/${f.invitationId}`,
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "create an API key",
    method: "POST",
    path: (f) => `${ws(f)}/api-keys`,
    body: () => ({ name: "Matrix key" }),
    minimumRole: "admin",
    success: 201,
    refusedWhenFrozen: true
  },
  {
    name: "list API keys",
    method: "GET",
    path: (f) => `${ws(f)}/api-keys`,
    minimumRole: "member",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "revoke an API key",
    method: "DELETE",
    path: (f) => `${ws(f)}/api-keys/${f.apiKeyId}`,
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "get the subscription",
    method: "GET",
    path: (f) => `/api/subscriptions/workspaces/${f.workspaceId}`,
    minimumRole: "member",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    // The fixture is on a paid plan: past the access policy, a second paid plan is refused (400).
    name: "checkout",
    method: "POST",
    path: (f) => `${billing(f)}/checkout`,
    body: (f) => ({
      plan_id: f.otherPlanId,
      seat_count: 2,
      success_url: "http://localhost:3000/ok",
      cancel_url: "http://localhost:3000/cancel"
    }),
    minimumRole: "admin",
    success: 400,
    refusedWhenFrozen: false
  },
  {
    name: "change the seats",
    method: "PATCH",
    path: (f) => `${billing(f)}/seats`,
    body: () => ({ seat_count: 9 }),
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: true
  },
  {
    name: "cancel the subscription",
    method: "POST",
    path: (f) => `${billing(f)}/cancel`,
    body: () => ({ cancel_at_period_end: true }),
    minimumRole: "owner",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "reactivate",
    method: "POST",
    path: (f) => `${billing(f)}/reactivate`,
    body: (f) => ({ member_ids_to_enable: [f.target.id] }),
    minimumRole: "owner",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "preview a change",
    method: "POST",
    path: (f) => `${billing(f)}/preview-upgrade`,
    body: () => ({ new_seat_count: 9 }),
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    // Professional is the highest plan: past the access policy, upgrading to it is "already subscribed" (400).
    name: "upgrade",
    method: "POST",
    path: (f) => `${billing(f)}/upgrade`,
    body: (f) => ({ new_plan_id: f.planId }),
    minimumRole: "admin",
    success: 400,
    refusedWhenFrozen: true
  },
  {
    name: "list the payments",
    method: "GET",
    path: (f) => `${billing(f)}/payments`,
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: false
  },
  {
    name: "open the billing portal",
    method: "POST",
    path: (f) => `${billing(f)}/portal`,
    body: () => ({ return_url: "http://localhost:3000/billing" }),
    minimumRole: "admin",
    success: 200,
    refusedWhenFrozen: false
  }
]

const rank = { member: 1, admin: 2, owner: 3 } as const

export const expectedStatus = (endpoint: Endpoint, caller: Caller): number => {
  const exception = endpoint.except?.[caller]
  if (exception !== undefined) return exception
  switch (caller) {
    case "anonymous":
      return 401
    case "nonMember":
      return 404
    case "disabled":
      return endpoint.disabledMayDo === true ? endpoint.success : 403
    default:
      return rank[caller] >= rank[endpoint.minimumRole] ? endpoint.success : 403
  }
}
