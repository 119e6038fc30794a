/**
 * The only SQL on `workspace_invitations`, every row decoded. Expiry is decided against the time
 * the caller passes (the application's `Clock`), never the database's `now()`.
 */
import { InvitationStatus } from "@cuebx/contract"
import { TimestampColumn, UpperCaseEnum } from "@cuebx/db"
import { Context, DateTime, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

/** An invitation is never for the owner role. */
export const InvitationRole = Schema.Literals(["admin", "member"])
export type InvitationRole = typeof InvitationRole.Type

export const InvitationStatusColumn = UpperCaseEnum(InvitationStatus.literals)

export const Invitation = Schema.Struct({
  id: Schema.String,
  workspaceId: Schema.String,
  inviterId: Schema.NullOr(Schema.String),
  email: Schema.String,
  role: UpperCaseEnum(InvitationRole.literals),
  status: InvitationStatusColumn,
  expiresAt: TimestampColumn,
  createdAt: TimestampColumn
})
export type Invitation = typeof Invitation.Type

/** The status a client should see at `now`: a pending invitation past its expiry is expired. */
export const effectiveStatus = (invitation: Invitation, now: DateTime.Utc): InvitationStatus =>
  invitation.status === "pending" && DateTime.isLessThanOrEqualTo(invitation.expiresAt, now)
    ? "expired"
    : invitation.status

const NewInvitation = Schema.Struct({
  workspaceId: Schema.String,
  inviterId: Schema.String,
  email: Schema.String,
  role: Invitation.fields.role,
  tokenHash: Schema.String,
  expiresAt: TimestampColumn
})

const ExpiryScope = Schema.Struct({
  now: TimestampColumn,
  workspaceId: Schema.NullOr(Schema.String),
  email: Schema.NullOr(Schema.String)
})

export class InvitationsRepo extends Context.Service<InvitationsRepo, {
  /** Every invitation of the workspace, newest first. */
  list(workspaceId: string): Effect.Effect<ReadonlyArray<Invitation>>
  find(workspaceId: string, id: string): Effect.Effect<Option.Option<Invitation>>
  findByTokenHash(tokenHash: string): Effect.Effect<Option.Option<Invitation>>
  /** The invitation of an email still pending at `now`, if any. */
  pendingFor(workspaceId: string, email: string, now: DateTime.Utc): Effect.Effect<Option.Option<Invitation>>
  create(input: typeof NewInvitation.Type): Effect.Effect<Invitation>
  revoke(id: string): Effect.Effect<void>
  markAccepted(id: string, userId: string, at: DateTime.Utc): Effect.Effect<void>
  /**
   * Marks expired every invitation still pending but past its expiry at `now` (of one workspace
   * and email, or all); returns how many.
   */
  expire(now: DateTime.Utc, scope?: { readonly workspaceId: string; readonly email: string }): Effect.Effect<number>
}>()("@cuebx/workspaces/InvitationsRepo") {
  static readonly layer = Layer.effect(
    InvitationsRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const ofWorkspace = SqlSchema.findAll({
        Request: Schema.String,
        Result: Invitation,
        execute: (workspaceId) =>
          sql`
            SELECT * FROM workspace_invitations WHERE workspace_id = ${workspaceId} AND NOT is_deleted
            ORDER BY created_at DESC, id`
      })
      const byId = SqlSchema.findOneOption({
        Request: Schema.Struct({ workspaceId: Schema.String, id: Schema.String }),
        Result: Invitation,
        execute: ({ id, workspaceId }) =>
          sql`
            SELECT * FROM workspace_invitations
            WHERE id = ${id} AND workspace_id = ${workspaceId} AND NOT is_deleted`
      })
      const byTokenHash = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Invitation,
        execute: (tokenHash) =>
          sql`SELECT * FROM workspace_invitations WHERE token_hash = ${tokenHash} AND NOT is_deleted`
      })
      const pending = SqlSchema.findOneOption({
        Request: Schema.Struct({ workspaceId: Schema.String, email: Schema.String, now: TimestampColumn }),
        Result: Invitation,
        execute: ({ email, now, workspaceId }) =>
          sql`
            SELECT * FROM workspace_invitations
            WHERE workspace_id = ${workspaceId} AND email = ${email} AND status = 'PENDING'
              AND expires_at > ${now} AND NOT is_deleted`
      })
      const insert = SqlSchema.findOne({
        Request: NewInvitation,
        Result: Invitation,
        execute: (row) => sql`INSERT INTO workspace_invitations ${sql.insert(row)} RETURNING *`
      })
      const setRevoked = SqlSchema.void({
        Request: Schema.String,
        execute: (id) => sql`UPDATE workspace_invitations SET status = 'REVOKED' WHERE id = ${id}`
      })
      const setAccepted = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, userId: Schema.String, at: TimestampColumn }),
        execute: ({ at, id, userId }) =>
          sql`
            UPDATE workspace_invitations SET status = 'ACCEPTED', accepted_at = ${at}, accepted_by_id = ${userId}
            WHERE id = ${id}`
      })
      const expireStale = SqlSchema.findAll({
        Request: ExpiryScope,
        Result: Schema.Struct({ id: Schema.String }),
        execute: ({ email, now, workspaceId }) =>
          sql`
            UPDATE workspace_invitations SET status = 'EXPIRED'
            WHERE status = 'PENDING' AND expires_at <= ${now}
              ${workspaceId === null ? sql`` : sql`AND workspace_id = ${workspaceId}`}
              ${email === null ? sql`` : sql`AND email = ${email}`}
            RETURNING id`
      })

      return InvitationsRepo.of({
        list: Effect.fn("InvitationsRepo.list")(function*(workspaceId) {
          return yield* ofWorkspace(workspaceId)
        }, Effect.orDie),
        find: Effect.fn("InvitationsRepo.find")(function*(workspaceId, id) {
          return yield* byId({ workspaceId, id })
        }, Effect.orDie),
        findByTokenHash: Effect.fn("InvitationsRepo.findByTokenHash")(function*(tokenHash) {
          return yield* byTokenHash(tokenHash)
        }, Effect.orDie),
        pendingFor: Effect.fn("InvitationsRepo.pendingFor")(function*(workspaceId, email, now) {
          return yield* pending({ workspaceId, email, now })
        }, Effect.orDie),
        create: Effect.fn("InvitationsRepo.create")(function*(input) {
          return yield* insert(input)
        }, Effect.orDie),
        revoke: Effect.fn("InvitationsRepo.revoke")(function*(id) {
          yield* setRevoked(id)
        }, Effect.orDie),
        markAccepted: Effect.fn("InvitationsRepo.markAccepted")(function*(id, userId, at) {
          yield* setAccepted({ id, userId, at })
        }, Effect.orDie),
        expire: Effect.fn("InvitationsRepo.expire")(function*(now, scope) {
          const expired = yield* expireStale({
            now,
            workspaceId: scope?.workspaceId ?? null,
            email: scope?.email ?? null
          })
          return expired.length
        }, Effect.orDie)
      })
    })
  )
}
