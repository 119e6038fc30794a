/**
 * Invitations: an admin invites an email address, the invitee gets a single-use link by email
 * (through the outbox, in the invitation's transaction), and accepting it with an account of
 * that address makes them a member. A pending invitation reserves a seat until it is accepted,
 * revoked or expires; an expired one no longer blocks inviting the address again.
 */
import { MessageSecrets, messageType, Outbox, Queues } from "@cuebx/broker"
import { appendToUrl, CallbackUrlSettings, isAllowedCallbackUrl } from "@cuebx/config"
import {
  BadRequest,
  Conflict,
  Forbidden,
  type InvitationResponse,
  NotFound,
  PaymentRequired,
  type WorkspaceMemberResponse
} from "@cuebx/contract"
import { WorkspaceInvitationPayload } from "@cuebx/email"
import { Clock, Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { createHmac, randomBytes } from "node:crypto"
import { effectiveStatus, type Invitation, InvitationsRepo } from "./InvitationsRepo.ts"
import { accessMessages, WorkspaceAccess } from "./WorkspaceAccess.ts"
import { WorkspaceSettings } from "./WorkspaceSettings.ts"
import { type RoleName, WorkspacesRepo } from "./WorkspacesRepo.ts"
import { memberResponse, seatBalance, seatsOf, WorkspaceViews } from "./WorkspaceViews.ts"

const invitationEmail = messageType(Queues.workspaceInvitationEmails, WorkspaceInvitationPayload)

export const invitationMessages = {
  revoked: "Invitation revoked.",
  notFound: "Invitation not found or expired."
} as const

export interface Inviter {
  readonly id: string
  readonly fullName: string | null
}

export interface InvitationCreated {
  readonly invitation: InvitationResponse
  readonly invitationUrl: string
}

export const invitationResponse = (invitation: Invitation, now: Date): InvitationResponse => ({
  id: invitation.id,
  email: invitation.email,
  role: invitation.role.toLowerCase() as InvitationResponse["role"],
  status: effectiveStatus(invitation, now).toLowerCase() as InvitationResponse["status"],
  expires_at: invitation.expiresAt.toISOString(),
  created_at: invitation.createdAt.toISOString(),
  inviter_email: invitation.inviterEmail
})

const invitationNotFound = () => new NotFound({ detail: invitationMessages.notFound })

export class Invitations extends Context.Service<Invitations, {
  list(userId: string, workspaceId: string): Effect.Effect<ReadonlyArray<InvitationResponse>, NotFound | Forbidden>
  create(
    inviter: Inviter,
    workspaceId: string,
    input: { readonly email: string; readonly role: RoleName; readonly callbackUrl: string }
  ): Effect.Effect<InvitationCreated, NotFound | Forbidden | BadRequest | Conflict | PaymentRequired>
  revoke(userId: string, workspaceId: string, invitationId: string): Effect.Effect<void, NotFound | Forbidden>
  accept(
    user: { readonly id: string; readonly email: string },
    token: string
  ): Effect.Effect<WorkspaceMemberResponse, NotFound | Conflict | Forbidden | PaymentRequired>
  /** Marks every pending invitation past its expiry as expired; returns how many. */
  readonly expireStale: Effect.Effect<number>
}>()("@cuebx/workspaces/Invitations") {
  static readonly layer = Layer.effect(
    Invitations,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* InvitationsRepo
      const workspaces = yield* WorkspacesRepo
      const access = yield* WorkspaceAccess
      const views = yield* WorkspaceViews
      const outbox = yield* Outbox
      const secrets = yield* MessageSecrets
      const settings = yield* WorkspaceSettings
      const callbackUrls = yield* CallbackUrlSettings
      const secret = Redacted.value(settings.tokenSecret)
      const hashToken = (token: string) => createHmac("sha256", secret).update(token).digest("hex")
      const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

      const inTransaction = <A, E>(effect: Effect.Effect<A, E>) =>
        sql.withTransaction(effect).pipe(Effect.catchTag("SqlError", Effect.die))

      /** The subscription rules of adding someone: a paid plan with a seat not taken or reserved. */
      const requireSeat = (workspaceId: string, reservedByThisInvitation: number) =>
        Effect.gen(function*() {
          const { holding, occupancy } = yield* views.seating(workspaceId)
          if (seatsOf(holding) === 0) return yield* new PaymentRequired({ detail: "No active subscription." })
          if (holding!.plan.type === "FREE") {
            return yield* new PaymentRequired({ detail: "Free workspaces cannot have additional members." })
          }
          if (seatBalance(holding, occupancy) + reservedByThisInvitation <= 0) {
            return yield* new PaymentRequired({
              detail: `No seats available. Current: ${holding!.subscription.seatCount} seats.`
            })
          }
        })

      const create = Effect.fn("Invitations.create")(function*(
        inviter: Inviter,
        workspaceId: string,
        input: { readonly email: string; readonly role: RoleName; readonly callbackUrl: string }
      ) {
        if (
          !isAllowedCallbackUrl(input.callbackUrl, callbackUrls)
        ) {
          return yield* new BadRequest({
            detail: "Invalid callback URL. Must be in allowed origins and use HTTPS in production."
          })
        }
        const role = input.role
        if (role === "OWNER") return yield* new BadRequest({ detail: "Cannot invite with owner role." })
        const token = randomBytes(32).toString("base64url")
        const invitationUrl = appendToUrl(input.callbackUrl, { token }, "query")
        const invitation = yield* inTransaction(Effect.gen(function*() {
          const { workspace } = yield* access.authorizeChange(inviter.id, workspaceId, "invite")
          const members = yield* workspaces.members(workspaceId, undefined)
          const owner = members.find((member) => member.role === "OWNER")
          if (owner?.userEmail === input.email) {
            return yield* new BadRequest({ detail: "Cannot invite the workspace owner." })
          }
          if (members.some((member) => member.userEmail === input.email)) {
            return yield* new Conflict({ detail: "User is already a member of this workspace." })
          }
          yield* repo.expire({ workspaceId, email: input.email })
          if ((yield* repo.pendingFor(workspaceId, input.email)) !== undefined) {
            return yield* new Conflict({ detail: "Invitation already pending for this email." })
          }
          yield* requireSeat(workspaceId, 0)
          const expiresAt = new Date((yield* Clock.currentTimeMillis) + settings.invitationExpiryDays * 86_400_000)
          const created = yield* repo.create({
            workspaceId,
            inviterId: inviter.id,
            email: input.email,
            role,
            tokenHash: hashToken(token),
            expiresAt
          })
          yield* outbox.enqueue(invitationEmail, {
            email: input.email,
            inviter_name: inviter.fullName,
            workspace_name: workspace.displayName,
            role: role === "ADMIN" ? "Admin" : "Member",
            invitation_link: secrets.seal(invitationUrl),
            expiry_hours: settings.invitationExpiryDays * 24
          })
          return created
        }))
        return { invitation: invitationResponse(invitation, yield* now), invitationUrl }
      })

      const accept = Effect.fn("Invitations.accept")(function*(
        user: { readonly id: string; readonly email: string },
        token: string
      ) {
        const found = yield* repo.findByTokenHash(hashToken(token))
        if (found === undefined || found.email !== user.email) return yield* invitationNotFound()
        return yield* inTransaction(Effect.gen(function*() {
          const workspace = yield* workspaces.lock(found.workspaceId)
          // Read again under the workspace lock: a concurrent accept or revoke has finished by now.
          const invitation = yield* repo.find(found.workspaceId, found.id)
          if (invitation === undefined || effectiveStatus(invitation, yield* now) !== "PENDING") {
            return yield* invitationNotFound()
          }
          if (workspace === undefined) return yield* new NotFound({ detail: "Workspace not found." })
          if ((yield* workspaces.member(workspace.id, user.id)) !== undefined) {
            return yield* new Conflict({ detail: "User is already a member of this workspace." })
          }
          if (workspace.status === "FROZEN") return yield* new Forbidden({ detail: accessMessages.frozen })
          if (workspace.status === "SUSPENDED") return yield* new Forbidden({ detail: accessMessages.suspended })
          yield* requireSeat(workspace.id, 1)
          const member = yield* workspaces.addMember(workspace.id, user.id, invitation.role)
          yield* repo.markAccepted(invitation.id, user.id)
          return memberResponse(member)
        }))
      })

      return Invitations.of({
        list: Effect.fn("Invitations.list")(function*(userId, workspaceId) {
          yield* access.authorize(userId, workspaceId, "listInvitations")
          const at = yield* now
          return (yield* repo.list(workspaceId)).map((invitation) => invitationResponse(invitation, at))
        }),
        create,
        revoke: Effect.fn("Invitations.revoke")(function*(userId, workspaceId, invitationId) {
          yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "revokeInvitation")
            const invitation = yield* repo.find(workspaceId, invitationId)
            if (invitation === undefined || effectiveStatus(invitation, yield* now) !== "PENDING") {
              return yield* invitationNotFound()
            }
            yield* repo.revoke(invitation.id)
          }))
        }),
        accept,
        expireStale: repo.expire()
      })
    })
  )
}
