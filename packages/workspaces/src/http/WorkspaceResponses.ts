/**
 * Workspaces, members, invitations and API keys as the wire shows them: the reference's field
 * names, built from the domain models. Amounts and instants stay `BigDecimal` and `DateTime`
 * here; the contract's schemas encode them.
 */
import type {
  ApiKeyResponse,
  InvitationResponse,
  WorkspaceDetailResponse,
  WorkspaceMemberResponse,
  WorkspaceResponse
} from "@cuebx/contract"
import { Option } from "effect"
import type { ListedApiKey } from "../ApiKeys.ts"
import type { InvitationDetails } from "../Invitations.ts"
import type { Member, WorkspaceDetail, WorkspaceSummary } from "../WorkspaceViews.ts"

export const workspaceResponse = ({ workspace, ...summary }: WorkspaceSummary): WorkspaceResponse => ({
  id: workspace.id,
  display_name: workspace.displayName,
  slug: workspace.slug,
  status: workspace.status,
  is_personal: workspace.isPersonal,
  description: workspace.description,
  created_at: workspace.createdAt,
  owner_id: workspace.ownerId,
  enabled_member_count: summary.enabledMembers,
  total_member_count: summary.totalMembers,
  seat_count: summary.seats,
  available_seats: summary.availableSeats,
  credits_used: summary.credits.used,
  credits_limit: summary.credits.limit,
  credits_remaining: summary.credits.remaining,
  client_id: `ws_${workspace.id.replaceAll("-", "")}`
})

export const memberResponse = (member: Member): WorkspaceMemberResponse => ({
  id: member.id,
  user_id: member.userId,
  role: member.role,
  status: member.status,
  joined_at: member.joinedAt,
  user_email: Option.match(member.profile, { onNone: () => null, onSome: (profile) => profile.email }),
  user_name: Option.match(member.profile, { onNone: () => null, onSome: (profile) => profile.fullName }),
  user_avatar_url: Option.match(member.profile, { onNone: () => null, onSome: (profile) => profile.avatarUrl })
})

export const workspaceDetailResponse = (detail: WorkspaceDetail): WorkspaceDetailResponse => ({
  ...workspaceResponse(detail),
  members: detail.members.map(memberResponse)
})

export const invitationResponse = ({ invitation, inviterEmail, status }: InvitationDetails): InvitationResponse => ({
  id: invitation.id,
  email: invitation.email,
  role: invitation.role,
  status,
  expires_at: invitation.expiresAt,
  created_at: invitation.createdAt,
  inviter_email: Option.getOrNull(inviterEmail)
})

export const apiKeyResponse = ({ key, usable }: ListedApiKey): ApiKeyResponse => ({
  id: key.id,
  name: key.name,
  key_prefix: key.keyPrefix,
  is_active: usable,
  is_test_key: key.isTestKey,
  created_at: key.createdAt,
  expires_at: key.expiresAt,
  last_used_at: key.lastUsedAt,
  revoked_at: key.revokedAt
})
