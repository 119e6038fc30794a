/**
 * Invitations: an admin invites an email address, the invitee gets a single-use link by email
 * (through the outbox, in the invitation's transaction), and accepting it with an account of
 * that address makes them a member. A pending invitation reserves a seat until it is accepted,
 * revoked or expires; an expired one no longer blocks inviting the address again. Expiry is set
 * and checked against the application's `Clock` only.
 */
import { UsersRepo } from "@cuebx/auth"
import { MessageSecrets, Outbox } from "@cuebx/broker"
import { appendToUrl, CallbackUrlSettings, hmacHex, isAllowedCallbackUrl } from "@cuebx/config"
import type { InvitationStatus, MemberRole } from "@cuebx/contract"
import { transactionWith } from "@cuebx/db"
import { WorkspaceInvitationMessage } from "@cuebx/email"
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { randomBytes } from "node:crypto"
import { effectiveStatus, type Invitation, InvitationsRepo } from "./InvitationsRepo.ts"
import { type FreePlanAllowsNoMembers, type NoActiveSubscription, Seats, type SeatsExhausted } from "./Seats.ts"
import {
  type AccessDenied,
  requireGrowable,
  WorkspaceAccess,
  type WorkspaceFrozen,
  type WorkspaceSuspended
} from "./WorkspaceAccess.ts"
import { WorkspaceSettings } from "./WorkspaceSettings.ts"
import { WorkspacesRepo } from "./WorkspacesRepo.ts"
import { type Member, WorkspaceViews } from "./WorkspaceViews.ts"

const emailOf = (member: Member) => Option.map(member.profile, (profile) => profile.email)

/** The callback is not on an allowed origin (or not HTTPS in production). */
export class InvalidCallbackUrl extends Schema.TaggedError<InvalidCallbackUrl>()("InvalidCallbackUrl", {
  callbackUrl: Schema.String
}) {}

/** Ownership moves by transfer, never by invitation. */
export class OwnerRoleNotInvitable extends Schema.TaggedError<OwnerRoleNotInvitable>()("OwnerRoleNotInvitable", {
  workspaceId: Schema.String
}) {}

export class WorkspaceOwnerNotInvitable
  extends Schema.TaggedError<WorkspaceOwnerNotInvitable>()("WorkspaceOwnerNotInvitable", {
    workspaceId: Schema.String,
    email: Schema.String
  })
{}

export class AlreadyMember extends Schema.TaggedError<AlreadyMember>()("AlreadyMember", {
  workspaceId: Schema.String,
  email: Schema.String
}) {}

export class InvitationAlreadyPending extends Schema.TaggedError<InvitationAlreadyPending>()(
  "InvitationAlreadyPending",
  { workspaceId: Schema.String, email: Schema.String }
) {}

/** Unknown, for another address, no longer pending, or expired: the caller is not told which. */
export class InvitationNotFound extends Schema.TaggedError<InvitationNotFound>()("InvitationNotFound", {}) {}

/** The invitation is valid but its workspace has been deleted since. */
export class InvitationWorkspaceGone extends Schema.TaggedError<InvitationWorkspaceGone>()(
  "InvitationWorkspaceGone",
  { workspaceId: Schema.String }
) {}

export interface Inviter {
  readonly id: string
  readonly email: string
  readonly fullName: string | null
}

/** An invitation as its workspace's admins see it. */
export interface InvitationDetails {
  readonly invitation: Invitation
  /** `expired` for a pending invitation past its expiry, even before the expiry job marks it. */
  readonly status: InvitationStatus
  /** `None` once the inviter's account is gone. */
  readonly inviterEmail: Option.Option<string>
}

export interface InvitationCreated {
  readonly invitation: InvitationDetails
  readonly invitationUrl: string
}

export class Invitations extends Context.Service<Invitations, {
  /** Every invitation of the workspace, newest first. */
  list(userId: string, workspaceId: string): Effect.Effect<ReadonlyArray<InvitationDetails>, AccessDenied>
  create(
    inviter: Inviter,
    workspaceId: string,
    input: { readonly email: string; readonly role: MemberRole; readonly callbackUrl: string }
  ): Effect.Effect<
    InvitationCreated,
    | AccessDenied
    | InvalidCallbackUrl
    | OwnerRoleNotInvitable
    | WorkspaceOwnerNotInvitable
    | AlreadyMember
    | InvitationAlreadyPending
    | NoActiveSubscription
    | FreePlanAllowsNoMembers
    | SeatsExhausted
  >
  revoke(
    userId: string,
    workspaceId: string,
    invitationId: string
  ): Effect.Effect<void, AccessDenied | InvitationNotFound>
  accept(
    user: { readonly id: string; readonly email: string },
    token: string
  ): Effect.Effect<
    Member,
    | InvitationNotFound
    | InvitationWorkspaceGone
    | AlreadyMember
    | WorkspaceFrozen
    | WorkspaceSuspended
    | NoActiveSubscription
    | FreePlanAllowsNoMembers
    | SeatsExhausted
  >
}>()("@cuebx/workspaces/Invitations") {
  static readonly layer = Layer.effect(
    Invitations,
    Effect.gen(function*() {
      const inTransaction = transactionWith(yield* SqlClient.SqlClient)
      const repo = yield* InvitationsRepo
      const workspaces = yield* WorkspacesRepo
      const users = yield* UsersRepo
      const access = yield* WorkspaceAccess
      const views = yield* WorkspaceViews
      const seats = yield* Seats
      const outbox = yield* Outbox
      const secrets = yield* MessageSecrets
      const settings = yield* WorkspaceSettings
      const callbackUrls = yield* CallbackUrlSettings
      const hashToken = (token: string) => hmacHex(settings.tokenSecret, token)

      const create = Effect.fn("Invitations.create")(function*(
        inviter: Inviter,
        workspaceId: string,
        input: { readonly email: string; readonly role: MemberRole; readonly callbackUrl: string }
      ) {
        if (!isAllowedCallbackUrl(input.callbackUrl, callbackUrls)) {
          return yield* new InvalidCallbackUrl({ callbackUrl: input.callbackUrl })
        }
        const role = input.role
        if (role === "owner") return yield* new OwnerRoleNotInvitable({ workspaceId })
        const token = randomBytes(32).toString("base64url")
        const invitationUrl = appendToUrl(input.callbackUrl, { token }, "query")
        const now = yield* DateTime.now
        const invitation = yield* inTransaction(Effect.gen(function*() {
          const { workspace } = yield* access.authorizeChange(inviter.id, workspaceId, "invite")
          const members = yield* views.members(workspaceId, undefined)
          const owner = members.find((member) => member.role === "owner")
          if (owner !== undefined && Option.contains(emailOf(owner), input.email)) {
            return yield* new WorkspaceOwnerNotInvitable({ workspaceId, email: input.email })
          }
          if (members.some((member) => Option.contains(emailOf(member), input.email))) {
            return yield* new AlreadyMember({ workspaceId, email: input.email })
          }
          yield* repo.expire(now, { workspaceId, email: input.email })
          if (Option.isSome(yield* repo.pendingFor(workspaceId, input.email, now))) {
            return yield* new InvitationAlreadyPending({ workspaceId, email: input.email })
          }
          yield* seats.requireInvitationSeat(workspaceId, 0)
          const created = yield* repo.create({
            workspaceId,
            inviterId: inviter.id,
            email: input.email,
            role,
            tokenHash: hashToken(token),
            expiresAt: DateTime.add(now, { days: settings.invitationExpiryDays })
          })
          yield* outbox.enqueue(WorkspaceInvitationMessage, {
            email: input.email,
            // Never null: an inviter without a name is named by their email (W9-15).
            inviter_name: inviter.fullName ?? inviter.email,
            workspace_name: workspace.displayName,
            role: role === "admin" ? "Admin" : "Member",
            invitation_link: secrets.seal(invitationUrl),
            expiry_hours: settings.invitationExpiryDays * 24
          })
          return created
        }))
        const details: InvitationDetails = {
          invitation,
          status: effectiveStatus(invitation, now),
          inviterEmail: Option.some(inviter.email)
        }
        return { invitation: details, invitationUrl }
      })

      const accept = Effect.fn("Invitations.accept")(function*(
        user: { readonly id: string; readonly email: string },
        token: string
      ) {
        const found = yield* repo.findByTokenHash(hashToken(token))
        if (Option.isNone(found) || found.value.email !== user.email) return yield* new InvitationNotFound()
        const { id, workspaceId } = found.value
        const membership = yield* inTransaction(Effect.gen(function*() {
          const workspace = yield* workspaces.lock(workspaceId)
          // Read again under the workspace lock: a concurrent accept or revoke has finished by now.
          const invitation = yield* repo.find(workspaceId, id)
          const now = yield* DateTime.now
          if (Option.isNone(invitation) || effectiveStatus(invitation.value, now) !== "pending") {
            return yield* new InvitationNotFound()
          }
          if (Option.isNone(workspace)) return yield* new InvitationWorkspaceGone({ workspaceId })
          if (Option.isSome(yield* workspaces.membership(workspaceId, user.id))) {
            return yield* new AlreadyMember({ workspaceId, email: user.email })
          }
          yield* Effect.fromResult(requireGrowable(workspace.value))
          yield* seats.requireInvitationSeat(workspaceId, 1)
          const added = yield* workspaces.addMember(workspaceId, user.id, invitation.value.role)
          yield* repo.markAccepted(id, user.id, now)
          return added
        }))
        return yield* views.member(membership)
      })

      return Invitations.of({
        list: Effect.fn("Invitations.list")(function*(userId, workspaceId) {
          yield* access.authorize(userId, workspaceId, "listInvitations")
          const invitations = yield* repo.list(workspaceId)
          const inviters = yield* users.profiles(
            invitations.flatMap((invitation) => invitation.inviterId === null ? [] : [invitation.inviterId])
          )
          const now = yield* DateTime.now
          return invitations.map((invitation): InvitationDetails => ({
            invitation,
            status: effectiveStatus(invitation, now),
            inviterEmail: Option.fromUndefinedOr(
              invitation.inviterId === null ? undefined : inviters.get(invitation.inviterId)?.email
            )
          }))
        }),
        create,
        revoke: Effect.fn("Invitations.revoke")(function*(userId, workspaceId, invitationId) {
          yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "revokeInvitation")
            const invitation = yield* repo.find(workspaceId, invitationId)
            if (Option.isNone(invitation) || effectiveStatus(invitation.value, yield* DateTime.now) !== "pending") {
              return yield* new InvitationNotFound()
            }
            yield* repo.revoke(invitation.value.id)
          }))
        }),
        accept
      })
    })
  )
}
