/**
 * Commits that arrive as messages (`usage_commits`, `career_usage_commits`, published by internal
 * services with the REST commit's body): each is applied exactly as the REST commit is, once per
 * usage whatever the redeliveries. A body the schema refuses goes to the dead letters; a commit
 * that changes nothing (another key's usage, an expired one) is logged and acknowledged.
 */
import { messageType, type QueueHandler, queueHandler, Queues } from "@cuebx/broker"
import { CareerUsageCommitRequest, UsageCommitRequest } from "@cuebx/contract"
import { Effect } from "effect"
import { commitAnswer, type CommitOutcome, UsageCommits } from "./UsageCommits.ts"

export const UsageCommitMessage = messageType(Queues.usageCommits, UsageCommitRequest)
export const CareerUsageCommitMessage = messageType(Queues.careerUsageCommits, CareerUsageCommitRequest)

const reportUnapplied = (usageId: string, outcome: CommitOutcome) => {
  const answer = commitAnswer(outcome)
  return answer.success
    ? Effect.void
    : Effect.logWarning("Usage commit message not applied", { usage_id: usageId, reason: answer.message })
}

export const usageHandlers: ReadonlyArray<QueueHandler<UsageCommits>> = [
  queueHandler(UsageCommitMessage, (payload) =>
    Effect.gen(function*() {
      const outcome = yield* (yield* UsageCommits).commitApi(payload)
      yield* reportUnapplied(payload.usage_id, outcome)
    })),
  queueHandler(CareerUsageCommitMessage, (payload) =>
    Effect.gen(function*() {
      const outcome = yield* (yield* UsageCommits).commitCareer(payload)
      yield* reportUnapplied(payload.usage_id, outcome)
    }))
]
