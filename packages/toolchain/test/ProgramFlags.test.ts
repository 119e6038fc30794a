import { assert, describe, it } from "@effect/vitest"
import { programNodeFlags } from "../src/ProgramFlags.ts"

describe("programNodeFlags", () => {
  it("bounds the heap at 256 MB unless HEAP_LIMIT_MB says otherwise", () => {
    assert.deepStrictEqual(programNodeFlags({}), ["--max-semi-space-size=32", "--max-old-space-size=256"])
    assert.deepStrictEqual(programNodeFlags({ HEAP_LIMIT_MB: "1024" }), [
      "--max-semi-space-size=32",
      "--max-old-space-size=1024"
    ])
  })

  it("ignores a limit it cannot use", () => {
    for (const value of ["", "abc", "12", "100.5", "-512"]) {
      assert.include(programNodeFlags({ HEAP_LIMIT_MB: value }), "--max-old-space-size=256", value)
    }
  })
})
