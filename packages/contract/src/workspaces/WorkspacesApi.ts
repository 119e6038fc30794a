/**
 * The `/api/workspaces` surface (the reference's 18 operations) and the public contact-sales
 * form. Every workspace-scoped endpoint answers 404 to a non-member (no existence leak), 403 to a
 * member without the role, to a disabled member (who may only leave) and to a change that would
 * grow a frozen workspace.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Authentication } from "../auth/AuthApi.ts"
import { MessageResponse } from "../auth/AuthModels.ts"
import { doc } from "../Docs.ts"
import { BadRequest, Conflict, Forbidden, NotFound, PaymentRequired, TooManyRequestsResponse } from "../Errors.ts"
import { Uuid } from "../Ids.ts"
import {
  ApiKeyCreate,
  ApiKeyCreatedResponse,
  ApiKeyListResponse,
  ContactSalesRequest,
  ContactSalesResponse,
  InvitationAccept,
  InvitationCreate,
  InvitationCreatedResponse,
  InvitationListResponse,
  MemberRole,
  MemberRoleUpdate,
  MemberStatus,
  MemberStatusUpdate,
  WorkspaceCreate,
  WorkspaceDetailResponse,
  WorkspaceListResponse,
  WorkspaceMemberResponse,
  WorkspaceResponse,
  WorkspaceUpdate
} from "./WorkspaceModels.ts"

const workspace = { workspace_id: Uuid }
const scoped = [NotFound, Forbidden] as const

export class WorkspacesApi extends HttpApiGroup.make("workspaces")
  .add(
    HttpApiEndpoint.get("listWorkspaces", "/api/workspaces", {
      query: { member_role: Schema.optionalKey(MemberRole) },
      success: WorkspaceListResponse
    }).annotateMerge(doc("My workspaces", "Those where my membership is enabled, optionally with one role.")),
    HttpApiEndpoint.post("createWorkspace", "/api/workspaces", {
      payload: WorkspaceCreate,
      success: WorkspaceDetailResponse.pipe(HttpApiSchema.status(201)),
      error: TooManyRequestsResponse
    }).annotateMerge(doc("Create a team workspace", "I become its owner. It has no subscription until checkout.")),
    HttpApiEndpoint.post("activatePersonalWorkspace", "/api/workspaces/activate", {
      success: WorkspaceResponse
    }).annotateMerge(doc(
      "Make sure I have a personal workspace",
      "Returns it, or creates it on the API Free plan (normally done when the email is verified). Safe to repeat."
    )),
    HttpApiEndpoint.post("acceptInvitation", "/api/workspaces/invitations/accept", {
      payload: InvitationAccept,
      success: WorkspaceMemberResponse,
      error: [NotFound, Conflict, Forbidden, PaymentRequired]
    }).annotateMerge(doc("Accept an invitation", "The token must have been sent to my email address.")),
    HttpApiEndpoint.get("getWorkspace", "/api/workspaces/:workspace_id", {
      params: workspace,
      success: WorkspaceDetailResponse,
      error: scoped
    }).annotateMerge(doc("A workspace with its members", "For its enabled members; anyone else gets 404 or 403.")),
    HttpApiEndpoint.patch("updateWorkspace", "/api/workspaces/:workspace_id", {
      params: workspace,
      payload: WorkspaceUpdate,
      success: WorkspaceResponse,
      error: [...scoped, Conflict]
    }).annotateMerge(doc("Update the workspace's name, slug or description", "Owner or admin.")),
    HttpApiEndpoint.get("listMembers", "/api/workspaces/:workspace_id/members", {
      params: workspace,
      query: { status: Schema.optionalKey(MemberStatus) },
      success: Schema.Array(WorkspaceMemberResponse),
      error: scoped
    }).annotateMerge(
      doc("The workspace's members", "For its enabled members; `status` keeps only the enabled or the disabled ones.")
    ),
    HttpApiEndpoint.patch("updateMemberStatus", "/api/workspaces/:workspace_id/members/:member_user_id/status", {
      params: { ...workspace, member_user_id: Uuid },
      payload: MemberStatusUpdate,
      success: WorkspaceMemberResponse,
      error: [...scoped, PaymentRequired]
    }).annotateMerge(doc(
      "Enable or disable a member",
      "Owner or admin. Disabling frees a seat; enabling needs a free seat (402)."
    )),
    HttpApiEndpoint.patch("updateMemberRole", "/api/workspaces/:workspace_id/members/:member_user_id/role", {
      params: { ...workspace, member_user_id: Uuid },
      payload: MemberRoleUpdate,
      success: WorkspaceMemberResponse,
      error: scoped
    }).annotateMerge(doc("Change a member's role", "Owner only; ownership moves only by transfer.")),
    HttpApiEndpoint.delete("removeMember", "/api/workspaces/:workspace_id/members/:member_user_id", {
      params: { ...workspace, member_user_id: Uuid },
      success: MessageResponse,
      error: scoped
    }).annotateMerge(doc("Remove a member", "Owner or admin; the owner cannot be removed.")),
    HttpApiEndpoint.post("leaveWorkspace", "/api/workspaces/:workspace_id/leave", {
      params: workspace,
      success: MessageResponse,
      error: scoped
    }).annotateMerge(doc("Leave the workspace", "The owner must transfer ownership first.")),
    HttpApiEndpoint.post("transferOwnership", "/api/workspaces/:workspace_id/transfer-ownership", {
      params: workspace,
      query: { new_owner_id: Uuid },
      success: WorkspaceResponse,
      error: [...scoped, PaymentRequired, TooManyRequestsResponse]
    }).annotateMerge(doc(
      "Transfer ownership to another member",
      "Owner only. I become an admin. A disabled new owner is enabled, which needs a free seat (402)."
    )),
    HttpApiEndpoint.get("listInvitations", "/api/workspaces/:workspace_id/invitations", {
      params: workspace,
      success: InvitationListResponse,
      error: scoped
    }).annotateMerge(doc("The workspace's invitations", "Owner or admin; every status, newest first.")),
    HttpApiEndpoint.post("createInvitation", "/api/workspaces/:workspace_id/invitations", {
      params: workspace,
      payload: InvitationCreate,
      success: InvitationCreatedResponse.pipe(HttpApiSchema.status(201)),
      error: [...scoped, BadRequest, Conflict, PaymentRequired, TooManyRequestsResponse]
    }).annotateMerge(doc(
      "Invite someone by email",
      "Owner or admin. A pending invitation reserves a seat until it is accepted, revoked or expires."
    )),
    HttpApiEndpoint.delete("revokeInvitation", "/api/workspaces/:workspace_id/invitations/:invitation_id", {
      params: { ...workspace, invitation_id: Uuid },
      success: MessageResponse,
      error: scoped
    }).annotateMerge(doc("Revoke a pending invitation", "Owner or admin.")),
    HttpApiEndpoint.post("createApiKey", "/api/workspaces/:workspace_id/api-keys", {
      params: workspace,
      payload: ApiKeyCreate,
      success: ApiKeyCreatedResponse.pipe(HttpApiSchema.status(201)),
      error: [...scoped, TooManyRequestsResponse]
    }).annotateMerge(doc(
      "Create an API key",
      "Owner or admin. The key is in this answer only; CueBX keeps a hash of it."
    )),
    HttpApiEndpoint.get("listApiKeys", "/api/workspaces/:workspace_id/api-keys", {
      params: workspace,
      success: ApiKeyListResponse,
      error: scoped
    }).annotateMerge(doc("The workspace's API keys", "Revoked and expired ones included, with `is_active` false.")),
    HttpApiEndpoint.delete("revokeApiKey", "/api/workspaces/:workspace_id/api-keys/:api_key_id", {
      params: { ...workspace, api_key_id: Uuid },
      success: MessageResponse,
      error: scoped
    }).annotateMerge(doc("Revoke an API key", "Owner or admin. Takes effect at once; repeating it is harmless."))
  )
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({
    title: "Workspaces",
    description: "Team workspaces: members and roles, invitations, ownership, API keys."
  }))
{}

export class SupportApi extends HttpApiGroup.make("support")
  .add(
    HttpApiEndpoint.post("contactSales", "/api/support/contact-sales", {
      payload: ContactSalesRequest,
      success: ContactSalesResponse.pipe(HttpApiSchema.status(201)),
      error: TooManyRequestsResponse
    }).annotateMerge(doc("Contact sales", "Stores the inquiry and emails the sales team."))
  )
  .annotateMerge(OpenApi.annotations({ title: "Support", description: "Reaching the CueBX team." }))
{}
