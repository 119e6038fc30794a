/**
 * The only SQL on `workspace_invitations`. An invitation past its expiry is reported as expired
 * even before the expiry job marks it so.
 */
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { RoleName } from "./WorkspacesRepo.ts"

export type InvitationStatusName = "PENDING" | "ACCEPTED" | "EXPIRED" | "REVOKED"

export interface Invitation {
  readonly id: string
  readonly workspaceId: string
  readonly inviterId: string | null
  readonly inviterEmail: string | null
  readonly email: string
  readonly role: Exclude<RoleName, "OWNER">
  readonly status: InvitationStatusName
  readonly expiresAt: Date
  readonly createdAt: Date
}

/** The status a client should see: a pending invitation past its expiry is expired. */
export const effectiveStatus = (invitation: Invitation, now: Date): InvitationStatusName =>
  invitation.status === "PENDING" && invitation.expiresAt.getTime() <= now.getTime() ? "EXPIRED" : invitation.status

const first = <A>(rows: ReadonlyArray<A>) => rows[0]

export class InvitationsRepo extends Context.Service<InvitationsRepo, {
  list(workspaceId: string): Effect.Effect<ReadonlyArray<Invitation>>
  find(workspaceId: string, id: string): Effect.Effect<Invitation | undefined>
  findByTokenHash(tokenHash: string): Effect.Effect<Invitation | undefined>
  /** The live pending invitation of an email, if any. */
  pendingFor(workspaceId: string, email: string): Effect.Effect<Invitation | undefined>
  create(input: {
    readonly workspaceId: string
    readonly inviterId: string
    readonly email: string
    readonly role: Exclude<RoleName, "OWNER">
    readonly tokenHash: string
    readonly expiresAt: Date
  }): Effect.Effect<Invitation>
  revoke(id: string): Effect.Effect<void>
  markAccepted(id: string, userId: string): Effect.Effect<void>
  /** Marks expired every pending invitation past its expiry (of one workspace and email, or all); returns how many. */
  expire(scope?: { readonly workspaceId: string; readonly email: string }): Effect.Effect<number>
}>()("@cuebx/workspaces/InvitationsRepo") {
  static readonly layer = Layer.effect(
    InvitationsRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const select = sql`
        SELECT i.*, u.email AS inviter_email
        FROM workspace_invitations i LEFT JOIN users u ON u.id = i.inviter_id`

      return InvitationsRepo.of({
        list: (workspaceId) =>
          sql<Invitation>`${select} WHERE i.workspace_id = ${workspaceId} AND NOT i.is_deleted
            ORDER BY i.created_at DESC, i.id`.pipe(Effect.orDie),
        find: (workspaceId, id) =>
          sql<Invitation>`${select} WHERE i.id = ${id} AND i.workspace_id = ${workspaceId} AND NOT i.is_deleted`
            .pipe(Effect.map(first), Effect.orDie),
        findByTokenHash: (tokenHash) =>
          sql<Invitation>`${select} WHERE i.token_hash = ${tokenHash} AND NOT i.is_deleted`.pipe(
            Effect.map(first),
            Effect.orDie
          ),
        pendingFor: (workspaceId, email) =>
          sql<Invitation>`${select}
            WHERE i.workspace_id = ${workspaceId} AND i.email = ${email} AND i.status = 'PENDING'
              AND i.expires_at > now() AND NOT i.is_deleted`.pipe(Effect.map(first), Effect.orDie),
        create: (input) =>
          sql<{ readonly id: string }>`
            INSERT INTO workspace_invitations (workspace_id, inviter_id, email, role, token_hash, expires_at)
            VALUES (${input.workspaceId}, ${input.inviterId}, ${input.email}, ${input.role}, ${input.tokenHash},
              ${input.expiresAt})
            RETURNING id`.pipe(
            Effect.flatMap(([row]) => sql<Invitation>`${select} WHERE i.id = ${row!.id}`),
            Effect.map((rows) => rows[0]!),
            Effect.orDie
          ),
        revoke: (id) =>
          sql`UPDATE workspace_invitations SET status = 'REVOKED' WHERE id = ${id}`.pipe(Effect.asVoid, Effect.orDie),
        markAccepted: (id, userId) =>
          sql`
            UPDATE workspace_invitations SET status = 'ACCEPTED', accepted_at = now(), accepted_by_id = ${userId}
            WHERE id = ${id}`.pipe(Effect.asVoid, Effect.orDie),
        expire: (scope) =>
          sql`
            UPDATE workspace_invitations SET status = 'EXPIRED'
            WHERE status = 'PENDING' AND expires_at <= now()
              ${scope === undefined ? sql`` : sql`AND workspace_id = ${scope.workspaceId} AND email = ${scope.email}`}
            RETURNING id`.pipe(Effect.map((rows) => rows.length), Effect.orDie)
      })
    })
  )
}
