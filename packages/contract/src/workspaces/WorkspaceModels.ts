/**
 * Workspaces, members, invitations, API keys and sales inquiries on the wire, with the
 * reference's field names. Names are trimmed and length-limited, emails normalised, roles and
 * statuses lowercase literals (anything else is a 422), amounts decimal strings (`BigDecimal` in
 * code) and instants ISO-8601 (`DateTime.Utc` in code).
 */
import { Schema } from "effect"
import { EmailAddress } from "../Email.ts"
import { Amount, Timestamp, TrimmedText } from "../Ids.ts"

export const MemberRole = Schema.Literals(["owner", "admin", "member"]).annotate({ identifier: "MemberRole" })
export type MemberRole = typeof MemberRole.Type

export const MemberStatus = Schema.Literals(["enabled", "disabled"]).annotate({ identifier: "MemberStatus" })
export type MemberStatus = typeof MemberStatus.Type

export const WorkspaceStatus = Schema.Literals(["active", "frozen", "suspended"]).annotate({
  identifier: "WorkspaceStatus"
})
export type WorkspaceStatus = typeof WorkspaceStatus.Type

export const InvitationStatus = Schema.Literals(["pending", "accepted", "expired", "revoked"]).annotate({
  identifier: "InvitationStatus"
})
export type InvitationStatus = typeof InvitationStatus.Type

export const WorkspaceName = TrimmedText(1, 128).annotate({ description: "1–128 characters, trimmed" })
export const WorkspaceDescription = TrimmedText(0, 500).annotate({ description: "Up to 500 characters, trimmed" })
export const WorkspaceSlug = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(128),
  Schema.isPattern(/^[a-z0-9-]+$/)
).annotate({ description: "Lowercase letters, digits and hyphens" })

export const WorkspaceCreate = Schema.Struct({
  display_name: WorkspaceName,
  description: Schema.optionalKey(Schema.NullOr(WorkspaceDescription))
}).annotate({ identifier: "WorkspaceCreate" })

/** An absent or `null` field is left as it is (as in the reference); `""` clears the description. */
export const WorkspaceUpdate = Schema.Struct({
  display_name: Schema.optionalKey(Schema.NullOr(WorkspaceName)),
  slug: Schema.optionalKey(Schema.NullOr(WorkspaceSlug)),
  description: Schema.optionalKey(Schema.NullOr(WorkspaceDescription))
}).annotate({ identifier: "WorkspaceUpdate" })

const workspaceFields = {
  id: Schema.String,
  display_name: Schema.String,
  slug: Schema.String,
  status: WorkspaceStatus,
  is_personal: Schema.Boolean,
  description: Schema.NullOr(Schema.String),
  created_at: Timestamp,
  owner_id: Schema.String,
  enabled_member_count: Schema.Int,
  total_member_count: Schema.Int,
  seat_count: Schema.Int.annotate({ description: "Seats of the current subscription; 0 without one" }),
  available_seats: Schema.Int.annotate({
    description: "Seats neither taken by an enabled member nor reserved by a pending invitation"
  }),
  credits_used: Amount,
  credits_limit: Amount,
  credits_remaining: Amount,
  client_id: Schema.String.annotate({ description: "`ws_` and the workspace id without hyphens" })
}

export const WorkspaceResponse = Schema.Struct(workspaceFields).annotate({ identifier: "WorkspaceResponse" })
export type WorkspaceResponse = typeof WorkspaceResponse.Type

export const WorkspaceMemberResponse = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  role: MemberRole,
  status: MemberStatus,
  joined_at: Timestamp,
  user_email: Schema.NullOr(Schema.String),
  user_name: Schema.NullOr(Schema.String),
  user_avatar_url: Schema.NullOr(Schema.String)
}).annotate({ identifier: "WorkspaceMemberResponse" })
export type WorkspaceMemberResponse = typeof WorkspaceMemberResponse.Type

export const WorkspaceDetailResponse = Schema.Struct({
  ...workspaceFields,
  members: Schema.Array(WorkspaceMemberResponse)
}).annotate({ identifier: "WorkspaceDetailResponse" })
export type WorkspaceDetailResponse = typeof WorkspaceDetailResponse.Type

export const WorkspaceListResponse = Schema.Struct({ workspaces: Schema.Array(WorkspaceResponse) }).annotate({
  identifier: "WorkspaceListResponse"
})

export const MemberStatusUpdate = Schema.Struct({ status: MemberStatus }).annotate({
  identifier: "MemberStatusUpdate"
})

export const MemberRoleUpdate = Schema.Struct({ role: MemberRole }).annotate({ identifier: "MemberRoleUpdate" })

export const InvitationCreate = Schema.Struct({
  email: EmailAddress,
  role: Schema.optionalKey(MemberRole),
  callback_url: Schema.String.check(Schema.isMaxLength(2048)).annotate({
    description: "Where the invitee accepts; `?token=…` is appended. Must be on an origin of CORS_ALLOW_ORIGINS."
  })
}).annotate({ identifier: "InvitationCreate" })

export const InvitationResponse = Schema.Struct({
  id: Schema.String,
  email: Schema.String,
  role: MemberRole,
  status: InvitationStatus,
  expires_at: Timestamp,
  created_at: Timestamp,
  inviter_email: Schema.NullOr(Schema.String)
}).annotate({ identifier: "InvitationResponse" })
export type InvitationResponse = typeof InvitationResponse.Type

export const InvitationCreatedResponse = Schema.Struct({
  invitation: InvitationResponse,
  invitation_url: Schema.String
}).annotate({ identifier: "InvitationCreatedResponse" })

export const InvitationListResponse = Schema.Struct({ invitations: Schema.Array(InvitationResponse) }).annotate({
  identifier: "InvitationListResponse"
})

export const InvitationAccept = Schema.Struct({
  token: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(512))
}).annotate({ identifier: "InvitationAccept" })

export const ApiKeyCreate = Schema.Struct({
  name: TrimmedText(1, 128),
  expires_in_days: Schema.optionalKey(
    Schema.NullOr(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 365 }))).annotate({
      description: "1–365 days (90 when absent); `null` for a key that does not expire"
    })
  ),
  is_test_key: Schema.optionalKey(Schema.Boolean)
}).annotate({ identifier: "APIKeyCreate" })

export const ApiKeyResponse = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  key_prefix: Schema.String,
  is_active: Schema.Boolean.annotate({ description: "Neither revoked nor expired" }),
  is_test_key: Schema.Boolean,
  created_at: Timestamp,
  expires_at: Schema.NullOr(Timestamp),
  last_used_at: Schema.NullOr(Timestamp),
  revoked_at: Schema.NullOr(Timestamp)
}).annotate({ identifier: "APIKeyResponse" })
export type ApiKeyResponse = typeof ApiKeyResponse.Type

export const ApiKeyCreatedResponse = Schema.Struct({
  api_key: Schema.String.annotate({ description: "The full key, shown only once" }),
  key: ApiKeyResponse,
  message: Schema.String
}).annotate({ identifier: "APIKeyCreatedResponse" })

export const ApiKeyListResponse = Schema.Struct({ api_keys: Schema.Array(ApiKeyResponse) }).annotate({
  identifier: "APIKeyListResponse"
})

export const SalesRequestStatus = Schema.Literals(["pending", "contacted", "closed"]).annotate({
  identifier: "SalesRequestStatus"
})

export const ContactSalesRequest = Schema.Struct({
  first_name: TrimmedText(1, 255),
  last_name: TrimmedText(1, 255),
  email: EmailAddress,
  message: Schema.optionalKey(Schema.NullOr(TrimmedText(0, 5000)))
}).annotate({ identifier: "ContactSalesRequest" })

export const ContactSalesResponse = Schema.Struct({
  id: Schema.String,
  message: Schema.String,
  status: SalesRequestStatus
}).annotate({ identifier: "ContactSalesResponse" })
