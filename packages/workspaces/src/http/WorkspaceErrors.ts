/**
 * The workspaces' errors on HTTP: every domain error and the wire error it becomes, with the
 * reference's statuses and texts (a refused role is worded per action, as the reference did).
 * The one place these texts live; RPC will have its own table.
 */
import { BadRequest, Conflict, errorTranslation, Forbidden, NotFound, PaymentRequired } from "@cuebx/contract"
import type { OwnerIsProtected } from "../Members.ts"
import type { SeatsExhausted } from "../Seats.ts"
import type { InsufficientRole, WorkspaceAction } from "../WorkspaceAccess.ts"

const adminRequired = "Admin permission required."

/** The 403 detail for a member below an action's role (read actions need no more than membership). */
const insufficientRoleDetail: Readonly<Record<WorkspaceAction, string>> = {
  view: adminRequired,
  viewSubscription: adminRequired,
  listMembers: adminRequired,
  listApiKeys: adminRequired,
  leave: adminRequired,
  update: "Only admins can update workspace settings.",
  enableMember: "Only admins can manage members.",
  disableMember: "Only admins can manage members.",
  removeMember: "Only admins can remove members.",
  changeRole: "Only owner can change member roles.",
  transferOwnership: "Only owner can transfer ownership.",
  listInvitations: adminRequired,
  invite: "Only admins can invite members.",
  revokeInvitation: "Only admins can revoke invitations.",
  createApiKey: adminRequired,
  revokeApiKey: adminRequired,
  checkout: adminRequired,
  changeSeats: adminRequired,
  cancelSubscription: "Only workspace owner can cancel subscription.",
  reactivate: "Only workspace owner can reactivate workspace.",
  previewUpgrade: adminRequired,
  upgrade: adminRequired,
  viewPayments: adminRequired,
  openBillingPortal: adminRequired
}

const ownerProtectedDetail: Readonly<Record<OwnerIsProtected["change"], string>> = {
  disable: "Cannot disable workspace owner.",
  changeRole: "Cannot change owner's role.",
  remove: "Cannot remove workspace owner.",
  leave: "Owner cannot leave. Transfer ownership first."
}

/** The table itself, for the billing endpoints that combine it with billing's. */
export const workspaceErrors = {
  // Access
  WorkspaceNotFound: () => new NotFound({ detail: "Workspace not found or access denied." }),
  MembershipDisabled: () => new Forbidden({ detail: "Your membership in this workspace is disabled." }),
  InsufficientRole: (error: InsufficientRole) => new Forbidden({ detail: insufficientRoleDetail[error.action] }),
  WorkspaceFrozen: () => new Forbidden({ detail: "Workspace is frozen. Please renew subscription." }),
  WorkspaceSuspended: () => new Forbidden({ detail: "Workspace is suspended. Please contact support." }),
  // Settings
  SlugTaken: () => new Conflict({ detail: "Slug already in use." }),
  // Members
  MemberNotFound: () => new NotFound({ detail: "Member not found." }),
  OwnerIsProtected: (error: OwnerIsProtected) => new Forbidden({ detail: ownerProtectedDetail[error.change] }),
  OwnershipMovesByTransfer: () => new Forbidden({ detail: "Use transfer_ownership to change owner." }),
  PersonalWorkspaceNotTransferable: () => new Forbidden({ detail: "A personal workspace cannot be transferred." }),
  NewOwnerNotMember: () => new NotFound({ detail: "New owner must be a workspace member." }),
  // Seats
  NoActiveSubscription: () => new PaymentRequired({ detail: "No active subscription." }),
  FreePlanAllowsNoMembers: () => new PaymentRequired({ detail: "Free workspaces cannot have additional members." }),
  SeatsExhausted: (error: SeatsExhausted) =>
    new PaymentRequired({
      detail: error.purpose === "invitation"
        ? `No seats available. Current: ${error.seats} seats.`
        : "Not enough seats available."
    }),
  // Invitations
  InvalidCallbackUrl: () =>
    new BadRequest({ detail: "Invalid callback URL. Must be in allowed origins and use HTTPS in production." }),
  OwnerRoleNotInvitable: () => new BadRequest({ detail: "Cannot invite with owner role." }),
  WorkspaceOwnerNotInvitable: () => new BadRequest({ detail: "Cannot invite the workspace owner." }),
  AlreadyMember: () => new Conflict({ detail: "User is already a member of this workspace." }),
  InvitationAlreadyPending: () => new Conflict({ detail: "Invitation already pending for this email." }),
  InvitationNotFound: () => new NotFound({ detail: "Invitation not found or expired." }),
  InvitationWorkspaceGone: () => new NotFound({ detail: "Workspace not found." }),
  // API keys
  ApiKeyNotFound: () => new NotFound({ detail: "API key not found." })
}

export const workspaceErrorToWire = errorTranslation(workspaceErrors)
