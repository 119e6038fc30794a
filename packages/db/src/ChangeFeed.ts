/**
 * Cache invalidation across processes, through PostgreSQL `NOTIFY`: a domain announces, inside the
 * transaction of its change, which entity changed (`announce("workspace", id)`), and PostgreSQL
 * delivers it to every listening process only if and when that transaction commits. Processes
 * that cache (plans, API keys, workspace states, quotas) drop the entry when its announcement
 * arrives, so a cache is never stale after a commit for longer than the delivery, and never by
 * waiting for a TTL. A listener that reconnects is told so (`Reset`): it must drop everything,
 * since announcements made while it was away are lost.
 */
import { PgClient } from "@effect/sql-pg"
import { Context, Deferred, Effect, Layer, Option, PubSub, Schedule, Schema, type Scope, Stream } from "effect"
import { SqlClient } from "effect/sql"

const channel = "cuebx_changes"

/** What changed: a kind of entity and its id. Kinds are the domains' own (`"workspace"`, `"api_key"`, ...). */
export interface Change {
  readonly _tag: "Changed"
  readonly kind: string
  readonly id: string
}

/** The listener (re)connected: announcements may have been missed, drop every cached entry. */
export interface Reset {
  readonly _tag: "Reset"
}

export type ChangeEvent = Change | Reset

const Announcement = Schema.fromJsonString(Schema.Struct({ kind: Schema.String, id: Schema.String }))
const encodeAnnouncement = Schema.encodeSync(Announcement)
const decodeAnnouncement = Schema.decodeUnknownOption(Announcement)

/**
 * Announces a change; run it inside the transaction of the change, so the announcement is
 * delivered only if the change commits.
 */
export const announce = (kind: string, id: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`SELECT pg_notify(${channel}, ${encodeAnnouncement({ kind, id })})`
  ).pipe(Effect.asVoid, Effect.orDie)

export class ChangeFeed extends Context.Service<ChangeFeed, {
  /**
   * Subscribes now, for the lifetime of the scope: every announcement committed from then on, by
   * any process, and a `Reset` after each reconnection of the listener.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<ChangeEvent>, never, Scope.Scope>
}>()("@cuebx/db/ChangeFeed") {
  /**
   * Listens on the program's PostgreSQL pool for the lifetime of the layer, reconnecting forever.
   * The layer is ready once PostgreSQL confirms the first `LISTEN`, so nothing announced after the
   * program started can be missed.
   */
  static readonly layer = Layer.effect(
    ChangeFeed,
    Effect.gen(function*() {
      const pg = yield* PgClient.PgClient
      const hub = yield* PubSub.unbounded<ChangeEvent>()
      const listening = yield* Deferred.make<void>()
      yield* Effect.gen(function*() {
        const notifications = yield* pg.listen(channel)
        yield* Deferred.succeed(listening, undefined)
        yield* PubSub.publish(hub, { _tag: "Reset" })
        yield* Stream.fromQueue(notifications).pipe(
          Stream.runForEach(({ payload }) =>
            Option.match(decodeAnnouncement(payload), {
              onNone: () => Effect.logWarning("Ignoring a malformed change announcement", payload),
              onSome: ({ id, kind }) => PubSub.publish(hub, { _tag: "Changed", kind, id })
            })
          )
        )
      }).pipe(
        Effect.scoped,
        Effect.tapCause((cause) => Effect.logWarning("Change feed listener stopped; reconnecting", cause)),
        Effect.retry(Schedule.spaced("1 second")),
        Effect.forkScoped
      )
      yield* Deferred.await(listening)
      return ChangeFeed.of({
        subscribe: Effect.map(PubSub.subscribe(hub), (subscription) => Stream.fromSubscription(subscription))
      })
    })
  )
}
