/**
 * The scheduler program: runs the registry of periodic jobs (`scheduledJobs`) on their schedules.
 * Several replicas may run at once; each tick of a job still runs on only one of them.
 */
import { scheduledJobs, ScheduledJobServices } from "@cuebx/background"
import { ResolvedInfrastructure } from "@cuebx/config"
import { ProgramDatabase } from "@cuebx/db"
import { formatJobSchedule, JobRunner } from "@cuebx/jobs"
import { ProgramPlatform, runProgram } from "@cuebx/observability"
import { Effect, Layer } from "effect"

const Started = Layer.effectDiscard(Effect.gen(function*() {
  const runner = yield* JobRunner
  yield* Effect.logInfo("CueBX scheduler started", {
    jobs: runner.scheduled.map((job) => `${job.name}: ${formatJobSchedule(job.schedule)}`)
  })
}))

// Provided below the runner, so it is released after the runner has stopped its jobs.
const Stopped = Layer.effectDiscard(Effect.addFinalizer(() => Effect.logInfo("CueBX scheduler stopped")))

const Scheduler = Started.pipe(
  Layer.provide(JobRunner.layer(scheduledJobs)),
  Layer.provide(ScheduledJobServices),
  Layer.provide(Stopped),
  Layer.provide(ProgramDatabase),
  Layer.provide(ProgramPlatform),
  Layer.provide(ResolvedInfrastructure)
)

runProgram("cuebx-scheduler", Scheduler)
