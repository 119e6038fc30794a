/**
 * How repositories read and write rows: codecs for the column types PostgreSQL hands over
 * (`timestamptz` as a `Date`, `numeric` as a string, enums stored in upper case), and the one
 * transaction helper, under which a database failure is a defect while domain errors stay typed.
 * Decode rows with `SqlSchema.findAll` / `findOne` / `findOneOption` and these codecs.
 */
import { Effect, Schema, SchemaTransformation } from "effect"
import type { SqlClient } from "effect/sql"

/** `timestamptz` → `DateTime.Utc`. */
export const TimestampColumn = Schema.DateTimeUtcFromDate

/** `numeric` (a string from the driver) → `BigDecimal`, exactly. */
export const NumericColumn = Schema.BigDecimalFromString

/**
 * An enum stored in upper case (`'OWNER'`) whose values in code and on the wire are the lower-case
 * literals of `values` (`"owner"`): one codec per enum, no casts at the call sites.
 */
export const UpperCaseEnum = <const Values extends ReadonlyArray<string>>(values: Values) =>
  Schema.String.pipe(
    Schema.decodeTo(
      Schema.Literals(values),
      SchemaTransformation.transform({
        decode: (stored: string) => stored.toLowerCase() as Values[number],
        encode: (value) => value.toUpperCase()
      })
    )
  )

/** `values` as the database stores them (`"owner"` → `"OWNER"`), for SQL written by hand. */
export const storedUpperCase = <Value extends string>(value: Value): Uppercase<Value> =>
  value.toUpperCase() as Uppercase<Value>

/**
 * `sql.withTransaction` for services: the domain errors of `effect` stay in its error channel,
 * while a database failure (connection lost, deadlock, a constraint a domain check should have
 * prevented) becomes a defect, which the edge answers with one 500 carrying a request id.
 */
export const transactionWith = (sql: SqlClient.SqlClient) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  sql.withTransaction(effect).pipe(Effect.catchTag("SqlError", Effect.die))

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether `id` can be compared with a `uuid` column (anything else would make PostgreSQL fail the query). */
export const isUuid = (id: string) => uuidPattern.test(id)

/** A search field as a query filter: trimmed, and `null` (no filter) when blank or absent. */
export const blankToNull = (value: string | undefined) => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === "" ? null : trimmed
}
