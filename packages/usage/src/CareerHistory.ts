/**
 * The Career analysis history of a user: the results kept by charged commits, listed newest
 * first in pages, read one by one, deleted (softly: the usage they were charged to is kept).
 * Another user's result is exactly as absent as one that does not exist.
 */
import type { FeatureKey } from "@cuebx/contract"
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { type AnalysisResult, CareerHistoryRepo } from "./CareerHistoryRepo.ts"

export class HistoryEntryNotFound extends Schema.TaggedError<HistoryEntryNotFound>()("HistoryEntryNotFound", {
  id: Schema.String
}) {}

/** `before` is not one of the user's results. */
export class UnknownCursor extends Schema.TaggedError<UnknownCursor>()("UnknownCursor", {
  before: Schema.String
}) {}

export interface HistoryPage {
  readonly items: ReadonlyArray<AnalysisResult>
  /** The last item's id when more follow. */
  readonly nextCursor: string | null
}

const titles: Readonly<Record<string, string>> = {
  career_path: "Career Path Analysis",
  extract_keywords: "Keyword Extraction",
  feedback_analyzer: "Feedback Analysis",
  generate_feedback: "Feedback Generation",
  job_match: "Job Match Analysis",
  "extract_cues.resume": "Resume Cue Extraction",
  "extract_cues.feedback": "Feedback Cue Extraction",
  "extract_cues.interview": "Interview Cue Extraction",
  "extract_cues.assessment": "Assessment Cue Extraction",
  reframe_feedback: "Feedback Reframing"
}

/** The reference's title of a feature's result (stored titles, from migrated rows, win). */
export const titleOf = (featureKey: FeatureKey): string =>
  titles[featureKey.slice(featureKey.indexOf(".") + 1)] ??
    featureKey.replace(/^career\./, "").replaceAll("_", " ").replace(/\b\w/g, (letter) => letter.toUpperCase())

export const defaultPageSize = 20

export class CareerHistory extends Context.Service<CareerHistory, {
  list(
    userId: string,
    options: { readonly featureKey: FeatureKey | null; readonly limit: number; readonly before: string | null }
  ): Effect.Effect<HistoryPage, UnknownCursor>
  get(userId: string, id: string): Effect.Effect<AnalysisResult, HistoryEntryNotFound>
  remove(userId: string, id: string): Effect.Effect<void, HistoryEntryNotFound>
}>()("@cuebx/usage/CareerHistory") {
  static readonly layer = Layer.effect(
    CareerHistory,
    Effect.gen(function*() {
      const repo = yield* CareerHistoryRepo
      return CareerHistory.of({
        list: Effect.fn("CareerHistory.list")(function*(userId, { before, featureKey, limit }) {
          if (before !== null && !(yield* repo.isCursorOf(userId, before))) return yield* new UnknownCursor({ before })
          const rows = yield* repo.page({ userId, featureKey, take: limit + 1, before })
          const items = rows.slice(0, limit)
          return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null }
        }),
        get: Effect.fn("CareerHistory.get")(function*(userId, id) {
          const found = yield* repo.find(userId, id)
          if (Option.isNone(found)) return yield* new HistoryEntryNotFound({ id })
          return found.value
        }),
        remove: Effect.fn("CareerHistory.remove")(function*(userId, id) {
          if (!(yield* repo.softDelete(userId, id, yield* DateTime.now))) return yield* new HistoryEntryNotFound({ id })
        })
      })
    })
  )
}
