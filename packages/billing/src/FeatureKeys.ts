/**
 * The twenty billable feature keys (ten per product) as clients send them, and the upper-case
 * names the database stores (`api.extract_cues.resume` ↔ `API_EXTRACT_CUES_RESUME`).
 */
import { Schema } from "effect"

export type ProductType = "API" | "CAREER"

const featureSuffixes = [
  "career_path",
  "extract_keywords",
  "feedback_analyzer",
  "generate_feedback",
  "job_match",
  "extract_cues.resume",
  "extract_cues.feedback",
  "extract_cues.interview",
  "extract_cues.assessment",
  "reframe_feedback"
] as const

export const apiFeatureKeys = [
  "api.career_path",
  "api.extract_keywords",
  "api.feedback_analyzer",
  "api.generate_feedback",
  "api.job_match",
  "api.extract_cues.resume",
  "api.extract_cues.feedback",
  "api.extract_cues.interview",
  "api.extract_cues.assessment",
  "api.reframe_feedback"
] as const satisfies ReadonlyArray<`api.${typeof featureSuffixes[number]}`>

export const careerFeatureKeys = [
  "career.career_path",
  "career.extract_keywords",
  "career.feedback_analyzer",
  "career.generate_feedback",
  "career.job_match",
  "career.extract_cues.resume",
  "career.extract_cues.feedback",
  "career.extract_cues.interview",
  "career.extract_cues.assessment",
  "career.reframe_feedback"
] as const satisfies ReadonlyArray<`career.${typeof featureSuffixes[number]}`>

export const featureKeys = [...apiFeatureKeys, ...careerFeatureKeys] as const

export const FeatureKey = Schema.Literals(featureKeys).annotate({ identifier: "FeatureKey" })
export type FeatureKey = typeof FeatureKey.Type

/** The part after the product prefix, e.g. `extract_cues.resume`. */
export type FeatureName = typeof featureSuffixes[number]

export const featureKeyProduct = (key: FeatureKey): ProductType => key.startsWith("api.") ? "API" : "CAREER"

export const featureKeyName = (key: FeatureKey): FeatureName => key.slice(key.indexOf(".") + 1) as FeatureName

/** The name stored in `feature_key` columns (the reference's enum member names). */
export const featureKeyDbName = (key: FeatureKey): string => key.toUpperCase().replaceAll(".", "_")

const byDbName = new Map<string, FeatureKey>(featureKeys.map((key) => [featureKeyDbName(key), key]))

export const featureKeyFromDbName = (name: string): FeatureKey | undefined => byDbName.get(name)

export const featureKeysOf = (product: ProductType): ReadonlyArray<FeatureKey> =>
  product === "API" ? apiFeatureKeys : careerFeatureKeys
