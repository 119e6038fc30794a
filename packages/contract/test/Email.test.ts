import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import fc from "fast-check"
import { Password } from "../src/auth/AuthModels.ts"
import { EmailAddress, normaliseEmail } from "../src/Email.ts"

const decodeEmail = Schema.decodeUnknownExit(EmailAddress)
const decodePassword = Schema.decodeUnknownExit(Password)

const local = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9._+-]{0,20}[a-zA-Z0-9]$/).filter((s) => !s.includes(".."))
const domain = fc.tuple(fc.stringMatching(/^[a-zA-Z0-9]{1,15}$/), fc.constantFrom("com", "org", "io", "example.com"))
  .map(([name, tld]) => `${name}.${tld}`)

describe("email normalisation (property)", () => {
  it("any valid address decodes to its trimmed, lower-case form, idempotently", () => {
    fc.assert(fc.property(local, domain, fc.constantFrom("", " ", "  "), (user, host, pad) => {
      const raw = `${pad}${user}@${host}${pad}`
      const decoded = decodeEmail(raw)
      assert.strictEqual(decoded._tag, "Success")
      if (decoded._tag !== "Success") return
      assert.strictEqual(decoded.value, `${user}@${host}`.toLowerCase())
      assert.strictEqual(normaliseEmail(decoded.value), decoded.value)
      assert.deepStrictEqual(decodeEmail(raw.toUpperCase()), decoded)
    }))
  })

  it("strings without exactly one @ and a dotted domain are refused", () => {
    fc.assert(fc.property(fc.string().filter((s) => !/^[^@]+@[^@]+\.[^@]+$/.test(s.trim())), (raw) => {
      assert.strictEqual(decodeEmail(raw)._tag, "Failure")
    }))
  })

  it("special-use domains are refused", () => {
    for (const host of ["a.test", "a.local", "a.localhost", "a.invalid", "a.onion", "a.arpa"]) {
      assert.strictEqual(decodeEmail(`user@${host}`)._tag, "Failure", host)
    }
  })
})

describe("password rules (property)", () => {
  const upper = fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZÉ")
  const lower = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzé")
  const digit = fc.constantFrom(..."0123456789")
  const filler = fc.string({ minLength: 5, maxLength: 100 })

  it("accepts 8–128 characters with an upper, a lower and a digit", () => {
    fc.assert(fc.property(upper, lower, digit, filler, (u, l, d, rest) => {
      const password = `${u}${l}${d}${rest}`.slice(0, 128)
      fc.pre(password.length >= 8)
      assert.strictEqual(decodePassword(password)._tag, "Success")
    }))
  })

  it("refuses a password missing any class, or of the wrong length", () => {
    fc.assert(fc.property(fc.string({ minLength: 8, maxLength: 128 }), (password) => {
      const complete = /\p{Lu}/u.test(password) && /\p{Ll}/u.test(password) && /\p{Nd}/u.test(password)
      assert.strictEqual(decodePassword(password)._tag, complete ? "Success" : "Failure")
    }))
    assert.strictEqual(decodePassword("Aa1aaaa")._tag, "Failure")
    assert.strictEqual(decodePassword(`Aa1${"a".repeat(126)}`)._tag, "Failure")
  })
})
