/**
 * Declaring the topology against the real RabbitMQ: a queue that exists with other arguments
 * (AMQP 406) is used as it is, with that warning; any other refusal is reported as what it is and
 * the session is opened again until the declaration succeeds.
 */
import { allQueueNames, Broker, isPreconditionFailed } from "@cuebx/broker"
import { captureLogs, TestEnvironment, TestInfra, TestSettings } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import * as Amqp from "amqplib"
import { Cause, Context, Effect, Layer, Schedule } from "effect"

const waitUntil = (check: Effect.Effect<boolean>) =>
  check.pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("50 millis") }),
    Effect.timeout("20 seconds")
  )

/** A broker of its own for the test, logging into `logs`. */
const startBroker = (logs: ReturnType<typeof captureLogs>) =>
  Layer.build(Broker.layerConnected.pipe(Layer.provide(logs.layer))).pipe(Effect.map(Context.get(Broker)))

/** A connection of the test's own, closed with the test. */
const directConnection = Effect.gen(function*() {
  const { rabbitmqUrl } = yield* TestSettings
  return yield* Effect.acquireRelease(
    Effect.promise(() => Amqp.connect(rabbitmqUrl)),
    (connection) => Effect.promise(() => connection.close().catch(() => undefined))
  )
})

const logged = (logs: ReturnType<typeof captureLogs>, text: string) =>
  logs.lines.some((line) => String(line.message).includes(text))

/** An error as amqplib throws it for a refused call. */
const amqpError = (code: number) => Object.assign(new Error(`${code}`), { code })

it("tells AMQP 406 PRECONDITION_FAILED from every other failure of a call", () => {
  assert.isTrue(isPreconditionFailed(new Cause.UnknownError(amqpError(406))))
  assert.isTrue(isPreconditionFailed(amqpError(406)))
  for (const other of [405, 403, 404, 320, 541]) {
    assert.isFalse(isPreconditionFailed(new Cause.UnknownError(amqpError(other))), String(other))
  }
  assert.isFalse(isPreconditionFailed(new Cause.TimeoutError("no answer")))
  assert.isFalse(isPreconditionFailed(new Cause.UnknownError(new Error("socket closed"))))
})

layer(TestInfra.layer({ queues: allQueueNames() }), { excludeTestServices: true })("the topology", (it) => {
  it.effect("keeps a queue that exists with other arguments (406), with a warning", () =>
    Effect.gen(function*() {
      const { queueSuffix } = yield* TestEnvironment
      const connection = yield* directConnection
      const channel = yield* Effect.promise(() => connection.createChannel())
      // As the Python service declared its main queues: durable, without a dead-letter exchange.
      yield* Effect.promise(() => channel.assertQueue(`otp_emails${queueSuffix}`, { durable: true }))

      const logs = captureLogs()
      const broker = yield* startBroker(logs)
      yield* waitUntil(broker.isReady)
      assert.isTrue(logged(logs, `Queue otp_emails${queueSuffix} exists with other arguments`))
      assert.isFalse(logged(logs, "Could not declare queue"))
      // The refused declaration closed its own channel, not the connection.
      assert.isFalse(logged(logs, "RabbitMQ connection lost"))
    }))

  it.effect("reports any other refusal as what it is, and opens the session again until it succeeds", () =>
    Effect.gen(function*() {
      const { queueSuffix } = yield* TestEnvironment
      const queue = `payment_failed_emails${queueSuffix}`
      const logs = captureLogs()
      yield* Effect.gen(function*() {
        // Another connection holds the queue exclusively: RabbitMQ answers 405 RESOURCE_LOCKED.
        const holder = yield* directConnection
        const channel = yield* Effect.promise(() => holder.createChannel())
        yield* Effect.promise(() => channel.deleteQueue(queue))
        yield* Effect.promise(() => channel.assertQueue(queue, { exclusive: true }))

        const broker = yield* startBroker(logs)
        yield* waitUntil(
          Effect.sync(() =>
            logs.lines.filter((line) => String(line.message).includes(`Could not declare queue ${queue}`)).length >= 2
          )
        )
        assert.isFalse(yield* broker.isReady)
        assert.isFalse(logged(logs, `Queue ${queue} exists with other arguments`))
        assert.isTrue(logged(logs, "RESOURCE-LOCKED"))

        // The holder goes away (its exclusive queue with it): the next session declares it.
        yield* Effect.promise(() => holder.close())
        yield* waitUntil(broker.isReady)
      }).pipe(Effect.scoped)
    }))
})
