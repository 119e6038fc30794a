/**
 * Handlers of `/api/workspaces`: they decode the request, apply the per-user rate limits and
 * call the services, which decide access through `WorkspaceAccess`.
 */
import { CuebxApi, CurrentUser } from "@cuebx/contract"
import { RequestLimits } from "@cuebx/ratelimit"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { apiKeyMessages, ApiKeys } from "../ApiKeys.ts"
import { invitationMessages, Invitations } from "../Invitations.ts"
import { memberMessages, Members } from "../Members.ts"
import { Workspaces } from "../Workspaces.ts"
import type { MemberStatusName, RoleName } from "../WorkspacesRepo.ts"

const done = (message: string) => ({ message, success: true })
const upper = <A extends string>(value: A) => value.toUpperCase() as Uppercase<A>

/** The reference's limits, per user and endpoint (it keyed them per address and path). */
export const workspaceLimits = {
  createWorkspace: { limit: 10, window: "1 hour" },
  transferOwnership: { limit: 5, window: "1 hour" },
  createInvitation: { limit: 20, window: "1 hour" },
  createApiKey: { limit: 10, window: "1 hour" }
} as const

export const WorkspacesHttp = HttpApiBuilder.group(
  CuebxApi,
  "workspaces",
  Effect.fn(function*(handlers) {
    const workspaces = yield* Workspaces
    const members = yield* Members
    const invitations = yield* Invitations
    const apiKeys = yield* ApiKeys
    const limits = yield* RequestLimits

    const limited = (user: CurrentUser["Service"], route: keyof typeof workspaceLimits) =>
      limits.byUser(user.id, `workspaces.${route}`, workspaceLimits[route])

    return handlers
      .handle("listWorkspaces", ({ query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const role = query.member_role === undefined ? undefined : upper(query.member_role) as RoleName
          return { workspaces: yield* workspaces.listMine(user.id, role) }
        }))
      .handle("createWorkspace", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "createWorkspace")
          return yield* workspaces.create(user.id, {
            displayName: payload.display_name,
            description: payload.description || null
          })
        }))
      .handle("activatePersonalWorkspace", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return yield* workspaces.activatePersonal({ id: user.id, email: user.email, fullName: user.fullName })
        }))
      .handle("acceptInvitation", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return yield* invitations.accept({ id: user.id, email: user.email }, payload.token)
        }))
      .handle(
        "getWorkspace",
        ({ params }) => Effect.flatMap(CurrentUser, (user) => workspaces.detail(user.id, params.workspace_id))
      )
      .handle("updateWorkspace", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return yield* workspaces.update(user.id, params.workspace_id, {
            ...(payload.display_name == null ? {} : { displayName: payload.display_name }),
            ...(payload.slug == null ? {} : { slug: payload.slug }),
            ...(payload.description == null ? {} : { description: payload.description || null })
          })
        }))
      .handle("listMembers", ({ params, query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const status = query.status === undefined ? undefined : upper(query.status) as MemberStatusName
          return yield* members.list(user.id, params.workspace_id, status)
        }))
      .handle(
        "updateMemberStatus",
        ({ params, payload }) =>
          Effect.flatMap(
            CurrentUser,
            (user) => members.setStatus(user.id, params.workspace_id, params.member_user_id, upper(payload.status))
          )
      )
      .handle(
        "updateMemberRole",
        ({ params, payload }) =>
          Effect.flatMap(
            CurrentUser,
            (user) => members.setRole(user.id, params.workspace_id, params.member_user_id, upper(payload.role))
          )
      )
      .handle("removeMember", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* members.remove(user.id, params.workspace_id, params.member_user_id)
          return done(memberMessages.removed)
        }))
      .handle("leaveWorkspace", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* members.leave(user.id, params.workspace_id)
          return done(memberMessages.left)
        }))
      .handle("transferOwnership", ({ params, query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "transferOwnership")
          return yield* members.transferOwnership(user.id, params.workspace_id, query.new_owner_id)
        }))
      .handle("listInvitations", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return { invitations: yield* invitations.list(user.id, params.workspace_id) }
        }))
      .handle("createInvitation", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "createInvitation")
          const created = yield* invitations.create({ id: user.id, fullName: user.fullName }, params.workspace_id, {
            email: payload.email,
            role: upper(payload.role ?? "member"),
            callbackUrl: payload.callback_url
          })
          return { invitation: created.invitation, invitation_url: created.invitationUrl }
        }))
      .handle("revokeInvitation", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* invitations.revoke(user.id, params.workspace_id, params.invitation_id)
          return done(invitationMessages.revoked)
        }))
      .handle("createApiKey", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "createApiKey")
          const created = yield* apiKeys.create(user.id, params.workspace_id, {
            name: payload.name,
            expiresInDays: payload.expires_in_days,
            isTestKey: payload.is_test_key ?? false
          })
          return { api_key: created.secret, key: created.key, message: apiKeyMessages.created }
        }))
      .handle("listApiKeys", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return { api_keys: yield* apiKeys.list(user.id, params.workspace_id) }
        }))
      .handle("revokeApiKey", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* apiKeys.revoke(user.id, params.workspace_id, params.api_key_id)
          return done(apiKeyMessages.revoked)
        }))
  })
)
