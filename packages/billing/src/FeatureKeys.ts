/**
 * How billing stores the contract's feature keys: under the reference's upper-case enum names
 * (`api.extract_cues.resume` ↔ `API_EXTRACT_CUES_RESUME`) in `feature_key` columns.
 */
import { FeatureKey, featureKeys } from "@cuebx/contract"
import { Effect, Schema, SchemaIssue, SchemaTransformation } from "effect"

/** The name stored in `feature_key` columns (the reference's enum member names). */
export const featureKeyDbName = (key: FeatureKey): string => key.toUpperCase().replaceAll(".", "_")

const byDbName = new Map<string, FeatureKey>(featureKeys.map((key) => [featureKeyDbName(key), key]))

/** A `feature_key` column: the stored name ↔ the feature key; an unknown name fails to decode. */
export const FeatureKeyColumn = Schema.String.pipe(
  Schema.decodeTo(
    FeatureKey,
    SchemaTransformation.transformEffect<FeatureKey, string>({
      decode: (name, options) => {
        const key = byDbName.get(name)
        return key === undefined
          ? Effect.fail(new SchemaIssue.InvalidValue({ expected: "a known feature key" }, name, options))
          : Effect.succeed(key)
      },
      encode: (key) => Effect.succeed(featureKeyDbName(key))
    })
  )
)
