/**
 * The two products and their twenty billable feature keys (ten per product) as clients send them,
 * e.g. `api.extract_cues.resume`. Internal services (the usage client) import them from here; how
 * billing stores them is billing's business.
 */
import { Schema } from "effect"

/** A product: the CueBX API (per workspace) or CueBX Career (per user). */
export const ProductType = Schema.Literals(["API", "CAREER"]).annotate({ identifier: "ProductType" })
export type ProductType = typeof ProductType.Type

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

/** The part after the product prefix, e.g. `extract_cues.resume`. */
export type FeatureName = typeof featureSuffixes[number]

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
] as const satisfies ReadonlyArray<`api.${FeatureName}`>

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
] as const satisfies ReadonlyArray<`career.${FeatureName}`>

export const featureKeys = [...apiFeatureKeys, ...careerFeatureKeys] as const

export const FeatureKey = Schema.Literals(featureKeys).annotate({ identifier: "FeatureKey" })
export type FeatureKey = typeof FeatureKey.Type

export const featureKeyProduct = (key: FeatureKey): ProductType => key.startsWith("api.") ? "API" : "CAREER"

export const featureKeyName = (key: FeatureKey): FeatureName => key.slice(key.indexOf(".") + 1) as FeatureName
