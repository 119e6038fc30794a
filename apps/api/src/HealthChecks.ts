/**
 * Probes every dependency the API needs (PostgreSQL, Redis, and RabbitMQ when messaging is on),
 * concurrently and each within a short timeout, for `/health` and `/health/ready`. An embedded
 * part is part of the process: the in-process cache reports as `redis: ok`, database-backed
 * queues leave `rabbitmq` out.
 */
import { BrokerConnection } from "@cuebx/broker"
import type { DependencyChecks, DependencyStatus } from "@cuebx/contract"
import { pingDatabase } from "@cuebx/db"
import { KeyValueStore } from "@cuebx/redis"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"

const probeTimeout = "2 seconds"

const status = (probe: Effect.Effect<boolean, unknown>): Effect.Effect<DependencyStatus> =>
  probe.pipe(
    Effect.timeout(probeTimeout),
    Effect.map((ok): DependencyStatus => ok ? "ok" : "unavailable"),
    Effect.orElseSucceed((): DependencyStatus => "unavailable")
  )

export class HealthChecks extends Context.Service<HealthChecks, {
  readonly run: Effect.Effect<DependencyChecks>
}>()("@cuebx/api/HealthChecks") {
  static readonly layer = Layer.effect(
    HealthChecks,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const store = yield* KeyValueStore
      const broker = yield* Effect.serviceOption(BrokerConnection)
      const database = status(pingDatabase.pipe(Effect.provideService(SqlClient.SqlClient, sql)))
      const run = Effect.all({
        database,
        redis: status(store.ping),
        rabbitmq: Option.match(broker, {
          onNone: () => Effect.succeed(undefined),
          onSome: (connection) => status(connection.isConnected)
        })
      }, { concurrency: "unbounded" }).pipe(
        Effect.map(({ rabbitmq, ...checks }): DependencyChecks =>
          rabbitmq === undefined ? checks : { ...checks, rabbitmq }
        )
      )
      return HealthChecks.of({ run })
    })
  )
}

export const unavailableDependencies = (checks: DependencyChecks): ReadonlyArray<string> =>
  Object.entries(checks).filter(([, value]) => value !== "ok").map(([name]) => name)
