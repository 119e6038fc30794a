/**
 * Group commit: callers submit one item each and wait for their own result, while a few workers
 * each take whatever has queued up (at least one item, at most `maxBatch`) and handle it in one
 * statement. An idle system handles each item at once; a busy one batches by itself, so many
 * items share one transaction and one WAL flush. A failed batch fails each of its callers.
 */
import { Deferred, Effect, Exit, Queue, type Scope } from "effect"

export interface GroupCommitOptions {
  /** Batches in flight at once. */
  readonly workers: number
  readonly maxBatch: number
}

interface Pending<I, O> {
  readonly item: I
  readonly result: Deferred.Deferred<O>
}

/** Returns `submit`; the workers run for the lifetime of the scope. */
export const groupCommit = <I, O>(
  flush: (items: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<O>>,
  options: GroupCommitOptions
): Effect.Effect<(item: I) => Effect.Effect<O>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<Pending<I, O>>()
    const worker = Effect.gen(function*() {
      const batch = yield* Queue.takeBetween(queue, 1, options.maxBatch)
      const exit = yield* Effect.exit(flush(batch.map((pending) => pending.item)))
      batch.forEach((pending, index) => {
        const result = Exit.isSuccess(exit) ? exit.value[index] : undefined
        Deferred.doneUnsafe(
          pending.result,
          Exit.isFailure(exit)
            ? Exit.failCause(exit.cause)
            : result === undefined
            ? Exit.die(new Error("a group commit answered fewer results than items"))
            : Exit.succeed(result)
        )
      })
    }).pipe(Effect.forever)
    for (let index = 0; index < options.workers; index++) yield* Effect.forkScoped(worker)
    return (item: I) =>
      Effect.flatMap(
        Deferred.make<O>(),
        (result) => Effect.andThen(Queue.offer(queue, { item, result }), Deferred.await(result))
      )
  })
