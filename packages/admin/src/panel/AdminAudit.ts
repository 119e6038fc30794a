/**
 * The audit log of operator actions: who did what to which record, when, why (when the action
 * asks for a reason), and the record's state before and after. `record` runs in the transaction
 * of the action, so an action is never done without its entry. Owns `admin_audit_log`.
 */
import { TimestampColumn } from "@cuebx/db"
import { Context, DateTime, Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const AuditEntry = Schema.Struct({
  id: Schema.String,
  at: TimestampColumn,
  actor: Schema.String,
  action: Schema.String,
  targetType: Schema.String,
  targetId: Schema.String,
  reason: Schema.NullOr(Schema.String),
  before: Schema.NullOr(Schema.Unknown),
  after: Schema.NullOr(Schema.Unknown),
  clientIp: Schema.NullOr(Schema.String)
})
export type AuditEntry = typeof AuditEntry.Type

export interface AuditRecord {
  readonly actor: string
  readonly action: string
  readonly targetType: string
  readonly targetId: string
  readonly reason?: string | null
  readonly before?: unknown
  readonly after?: unknown
  readonly clientIp?: string | null
}

export interface AuditQuery {
  readonly action: string | undefined
  readonly targetType: string | undefined
  readonly targetId: string | undefined
  readonly limit: number
  readonly offset: number
}

const NewEntry = Schema.Struct({
  at: TimestampColumn,
  actor: Schema.String,
  action: Schema.String,
  targetType: Schema.String,
  targetId: Schema.String,
  reason: Schema.NullOr(Schema.String),
  before: Schema.NullOr(Schema.String),
  after: Schema.NullOr(Schema.String),
  clientIp: Schema.NullOr(Schema.String)
})

const Filters = Schema.Struct({
  action: Schema.NullOr(Schema.String),
  targetType: Schema.NullOr(Schema.String),
  targetId: Schema.NullOr(Schema.String)
})

const json = (value: unknown) => value === undefined || value === null ? null : JSON.stringify(value)

export class AdminAudit extends Context.Service<AdminAudit, {
  /** Appends an entry; run it in the transaction of the action it records. */
  record(entry: AuditRecord): Effect.Effect<void>
  list(query: AuditQuery): Effect.Effect<{ readonly items: ReadonlyArray<AuditEntry>; readonly total: number }>
}>()("@cuebx/admin/AdminAudit") {
  static readonly layer = Layer.effect(
    AdminAudit,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const insert = SqlSchema.void({
        Request: NewEntry,
        execute: (entry) =>
          sql`
            INSERT INTO admin_audit_log (at, actor, action, target_type, target_id, reason, before, after, client_ip)
            VALUES (${entry.at}, ${entry.actor}, ${entry.action}, ${entry.targetType}, ${entry.targetId},
                    ${entry.reason}, ${entry.before}::jsonb, ${entry.after}::jsonb, ${entry.clientIp})`
      })
      const where = (filters: typeof Filters.Type) =>
        sql`
          WHERE (${filters.action}::text IS NULL OR action = ${filters.action})
            AND (${filters.targetType}::text IS NULL OR target_type = ${filters.targetType})
            AND (${filters.targetId}::text IS NULL OR target_id = ${filters.targetId})`
      const page = SqlSchema.findAll({
        Request: Schema.Struct({ ...Filters.fields, limit: Schema.Int, offset: Schema.Int }),
        Result: AuditEntry,
        execute: ({ limit, offset, ...filters }) =>
          sql`SELECT * FROM admin_audit_log ${where(filters)} ORDER BY at DESC, id LIMIT ${limit} OFFSET ${offset}`
      })
      const count = SqlSchema.findOne({
        Request: Filters,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: (filters) => sql`SELECT count(*)::int AS total FROM admin_audit_log ${where(filters)}`
      })

      return AdminAudit.of({
        record: Effect.fn("AdminAudit.record")(function*(entry: AuditRecord) {
          yield* insert({
            at: yield* DateTime.now,
            actor: entry.actor,
            action: entry.action,
            targetType: entry.targetType,
            targetId: entry.targetId,
            reason: entry.reason ?? null,
            before: json(entry.before),
            after: json(entry.after),
            clientIp: entry.clientIp ?? null
          })
        }, Effect.orDie),
        list: Effect.fn("AdminAudit.list")(function*(query: AuditQuery) {
          const filters = {
            action: query.action ?? null,
            targetType: query.targetType ?? null,
            targetId: query.targetId ?? null
          }
          const [items, { total }] = yield* Effect.all([
            page({ ...filters, limit: query.limit, offset: query.offset }),
            count(filters)
          ])
          return { items, total }
        }, Effect.orDie)
      })
    })
  )
}
