/**
 * The 422 body's issues always encode as JSON: an input the decoder saw as `undefined` (a missing
 * body or field) becomes `null`, and a number that is not finite (a query value that decoded to
 * `NaN`) becomes its text, instead of making the 422 itself fail with a 500.
 */
import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import { toValidationIssues } from "../src/http/RequestValidationLive.ts"

const issueOf = <S extends Schema.Top>(schema: S, input: unknown) => {
  // As HttpApi decodes requests: reporting the input of each issue.
  const exit = Schema.decodeUnknownExit(schema as never)(input, { reportInput: true })
  assert.isTrue(Exit.isFailure(exit))
  const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
  assert.isDefined(error)
  assert.strictEqual(error!._tag, "Fail")
  return (error as { readonly error: Schema.SchemaError }).error.issue
}

describe("toValidationIssues", () => {
  it("answers null for an input that is undefined", () => {
    const issues = toValidationIssues(issueOf(Schema.String, undefined), ["body"])
    assert.isAbove(issues.length, 0)
    for (const issue of issues) {
      assert.isTrue("input" in issue, JSON.stringify(issues))
      assert.isNull(issue.input)
    }
    assert.doesNotThrow(() => JSON.stringify(issues))
  })

  it("answers a number that is not finite as its text", () => {
    const issues = toValidationIssues(issueOf(Schema.Int, Number.NaN), ["query", "limit"])
    assert.deepStrictEqual(issues.map((issue) => issue.input), ["NaN"])
    assert.deepStrictEqual(issues.map((issue) => issue.loc), [["query", "limit"]])
  })

  it("answers inner undefined values as null", () => {
    const issues = toValidationIssues(issueOf(Schema.Literal("a"), { nested: undefined }), ["body"])
    assert.deepStrictEqual(issues.map((issue) => issue.input), [{ nested: null }])
  })
})
