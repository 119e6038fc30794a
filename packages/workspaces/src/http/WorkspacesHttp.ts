/**
 * Handlers of `/api/workspaces`: they apply the per-user rate limits, call the services (which
 * decide access through `WorkspaceAccess`), build the wire responses and translate the domain
 * errors through `workspaceErrorToWire`.
 */
import { CuebxApi, CurrentUser } from "@cuebx/contract"
import { RequestLimits } from "@cuebx/ratelimit"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { ApiKeys } from "../ApiKeys.ts"
import { Invitations } from "../Invitations.ts"
import { Members } from "../Members.ts"
import { Workspaces } from "../Workspaces.ts"
import { workspaceErrorToWire } from "./WorkspaceErrors.ts"
import {
  apiKeyResponse,
  invitationResponse,
  memberResponse,
  workspaceDetailResponse,
  workspaceResponse
} from "./WorkspaceResponses.ts"

export const workspaceMessages = {
  memberRemoved: "Member removed successfully.",
  left: "Successfully left workspace.",
  invitationRevoked: "Invitation revoked.",
  apiKeyCreated: "Store this API key securely. It will not be shown again.",
  apiKeyRevoked: "API key revoked."
} as const

const done = (message: string) => ({ message, success: true })

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
          const mine = yield* workspaces.listMine(user.id, query.member_role)
          return { workspaces: mine.map(workspaceResponse) }
        }))
      .handle("createWorkspace", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "createWorkspace")
          const created = yield* workspaces.create(user.id, {
            displayName: payload.display_name,
            description: payload.description || null
          })
          return workspaceDetailResponse(created)
        }))
      .handle("activatePersonalWorkspace", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const personal = yield* workspaces.activatePersonal({
            id: user.id,
            email: user.email,
            fullName: user.fullName
          })
          return workspaceResponse(personal)
        }))
      .handle("acceptInvitation", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const member = yield* invitations.accept({ id: user.id, email: user.email }, payload.token)
          return memberResponse(member)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("getWorkspace", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return workspaceDetailResponse(yield* workspaces.detail(user.id, params.workspace_id))
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("updateWorkspace", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const updated = yield* workspaces.update(user.id, params.workspace_id, {
            ...(payload.display_name == null ? {} : { displayName: payload.display_name }),
            ...(payload.slug == null ? {} : { slug: payload.slug }),
            ...(payload.description == null ? {} : { description: payload.description || null })
          })
          return workspaceResponse(updated)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("listMembers", ({ params, query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return (yield* members.list(user.id, params.workspace_id, query.status)).map(memberResponse)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("updateMemberStatus", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const member = yield* members.setStatus(user.id, params.workspace_id, params.member_user_id, payload.status)
          return memberResponse(member)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("updateMemberRole", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const member = yield* members.setRole(user.id, params.workspace_id, params.member_user_id, payload.role)
          return memberResponse(member)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("removeMember", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* members.remove(user.id, params.workspace_id, params.member_user_id)
          return done(workspaceMessages.memberRemoved)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("leaveWorkspace", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* members.leave(user.id, params.workspace_id)
          return done(workspaceMessages.left)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("transferOwnership", ({ params, query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "transferOwnership")
          const transferred = yield* members.transferOwnership(user.id, params.workspace_id, query.new_owner_id).pipe(
            Effect.mapError(workspaceErrorToWire)
          )
          return workspaceResponse(transferred)
        }))
      .handle("listInvitations", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const listed = yield* invitations.list(user.id, params.workspace_id)
          return { invitations: listed.map(invitationResponse) }
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("createInvitation", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "createInvitation")
          const created = yield* invitations.create(user, params.workspace_id, {
            email: payload.email,
            role: payload.role ?? "member",
            callbackUrl: payload.callback_url
          }).pipe(Effect.mapError(workspaceErrorToWire))
          return { invitation: invitationResponse(created.invitation), invitation_url: created.invitationUrl }
        }))
      .handle("revokeInvitation", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* invitations.revoke(user.id, params.workspace_id, params.invitation_id)
          return done(workspaceMessages.invitationRevoked)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("createApiKey", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "createApiKey")
          const created = yield* apiKeys.create(user.id, params.workspace_id, {
            name: payload.name,
            expiresInDays: payload.expires_in_days,
            isTestKey: payload.is_test_key ?? false
          }).pipe(Effect.mapError(workspaceErrorToWire))
          return { api_key: created.secret, key: apiKeyResponse(created.key), message: workspaceMessages.apiKeyCreated }
        }))
      .handle("listApiKeys", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return { api_keys: (yield* apiKeys.list(user.id, params.workspace_id)).map(apiKeyResponse) }
        }).pipe(Effect.mapError(workspaceErrorToWire)))
      .handle("revokeApiKey", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* apiKeys.revoke(user.id, params.workspace_id, params.api_key_id)
          return done(workspaceMessages.apiKeyRevoked)
        }).pipe(Effect.mapError(workspaceErrorToWire)))
  })
)
