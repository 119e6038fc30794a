import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import {
  OtpEmailPayload,
  PasswordResetConfirmationPayload,
  PaymentFailedPayload,
  SalesInquiryPayload,
  SubscriptionActivatedPayload,
  SubscriptionCanceledPayload,
  WorkspaceInvitationPayload
} from "../src/EmailPayloads.ts"

const decode = <A, I>(schema: Schema.Codec<A, I>) => Schema.decodeUnknownSync(schema)
const rejects = <A, I>(schema: Schema.Codec<A, I>, input: unknown) =>
  assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(schema)(input)), JSON.stringify(input))

describe("otp_emails", () => {
  it("accepts the reference's payload, a null name and the added sign_in purpose", () => {
    assert.deepStrictEqual(
      decode(OtpEmailPayload)({
        email: "ada@example.com",
        otp_code: "123456",
        purpose: "email_verification",
        user_name: "Ada"
      }),
      { email: "ada@example.com", otp_code: "123456", purpose: "email_verification", user_name: "Ada" }
    )
    assert.strictEqual(
      decode(OtpEmailPayload)({ email: "a@example.com", otp_code: "1", purpose: "password_reset", user_name: null })
        .user_name,
      null
    )
    const signIn = decode(OtpEmailPayload)({
      email: "a@example.com",
      otp_code: "1",
      purpose: "sign_in",
      expiry_minutes: 5
    })
    assert.strictEqual(signIn.user_name, null)
    assert.strictEqual(signIn.expiry_minutes, 5)
  })

  it("ignores unknown keys", () => {
    const decoded = decode(OtpEmailPayload)({
      email: "a@example.com",
      otp_code: "1",
      purpose: "sign_in",
      user_name: null,
      trace_id: "abc"
    })
    assert.isFalse("trace_id" in decoded)
  })

  it("rejects a missing or malformed email, a bad purpose and a missing code", () => {
    rejects(OtpEmailPayload, { otp_code: "1", purpose: "sign_in", user_name: null })
    rejects(OtpEmailPayload, { email: "not-an-email", otp_code: "1", purpose: "sign_in" })
    rejects(OtpEmailPayload, { email: "a@example.com", otp_code: "1", purpose: "email verification" })
    rejects(OtpEmailPayload, { email: "a@example.com", purpose: "sign_in" })
    rejects(OtpEmailPayload, { email: "a@example.com", otp_code: "1", purpose: "sign_in", expiry_minutes: 0 })
    rejects(OtpEmailPayload, null)
  })
})

describe("password_reset_confirmation_emails", () => {
  it("accepts {email, user_name} with the name null or absent", () => {
    assert.deepStrictEqual(decode(PasswordResetConfirmationPayload)({ email: "a@example.com", user_name: "Ada" }), {
      email: "a@example.com",
      user_name: "Ada"
    })
    assert.deepStrictEqual(decode(PasswordResetConfirmationPayload)({ email: "a@example.com" }), {
      email: "a@example.com",
      user_name: null
    })
    rejects(PasswordResetConfirmationPayload, { user_name: "Ada" })
  })
})

describe("subscription_activated_emails", () => {
  it("accepts the API checkout shape", () => {
    assert.deepStrictEqual(
      decode(SubscriptionActivatedPayload)({
        email: "owner@example.com",
        user_name: "Ada",
        plan_name: "Professional",
        workspace_name: "Acme",
        seat_count: 5,
        product_name: "CueBX API"
      }),
      {
        email: "owner@example.com",
        user_name: "Ada",
        plan_name: "Professional",
        workspace_name: "Acme",
        seat_count: 5,
        product_name: "CueBX API"
      }
    )
  })

  it("accepts the Career checkout shape with null workspace and seats", () => {
    assert.deepStrictEqual(
      decode(SubscriptionActivatedPayload)({
        email: "a@example.com",
        user_name: null,
        plan_name: "Plus",
        workspace_name: null,
        seat_count: null,
        product_name: "CueBX Career"
      }),
      {
        email: "a@example.com",
        user_name: null,
        plan_name: "Plus",
        workspace_name: null,
        seat_count: null,
        product_name: "CueBX Career"
      }
    )
  })

  it("normalises the legacy upgrade / plan-change shape", () => {
    assert.deepStrictEqual(
      decode(SubscriptionActivatedPayload)({
        email: "a@example.com",
        full_name: "Valued Customer",
        plan_name: "Basic",
        product_type: "api",
        workspace_name: "Acme"
      }),
      {
        email: "a@example.com",
        user_name: "Valued Customer",
        plan_name: "Basic",
        workspace_name: "Acme",
        seat_count: null,
        product_name: "CueBX API"
      }
    )
    assert.deepStrictEqual(
      decode(SubscriptionActivatedPayload)({
        email: "a@example.com",
        full_name: "Ada",
        plan_name: "Pro",
        product_type: "career"
      }),
      {
        email: "a@example.com",
        user_name: "Ada",
        plan_name: "Pro",
        workspace_name: null,
        seat_count: null,
        product_name: "CueBX Career"
      }
    )
  })

  it("encodes to the checkout shape", () => {
    const decoded = decode(SubscriptionActivatedPayload)({
      email: "a@example.com",
      full_name: "Ada",
      plan_name: "Pro",
      product_type: "career"
    })
    assert.deepStrictEqual(Schema.encodeSync(SubscriptionActivatedPayload)(decoded), {
      email: "a@example.com",
      user_name: "Ada",
      plan_name: "Pro",
      workspace_name: null,
      seat_count: null,
      product_name: "CueBX Career"
    })
  })

  it("rejects a missing email or plan and an unknown product type", () => {
    rejects(SubscriptionActivatedPayload, { user_name: "Ada", plan_name: "Pro", product_name: "CueBX API" })
    rejects(SubscriptionActivatedPayload, { email: "a@example.com", user_name: "Ada" })
    rejects(SubscriptionActivatedPayload, {
      email: "a@example.com",
      full_name: "Ada",
      plan_name: "Pro",
      product_type: "games"
    })
  })
})

describe("subscription_canceled_emails and payment_failed_emails", () => {
  it("accept the published shapes", () => {
    assert.deepStrictEqual(
      decode(SubscriptionCanceledPayload)({
        email: "a@example.com",
        user_name: "Ada",
        plan_name: "Basic",
        workspace_name: null,
        product_name: "CueBX API"
      }),
      { email: "a@example.com", user_name: "Ada", plan_name: "Basic", workspace_name: null, product_name: "CueBX API" }
    )
    assert.deepStrictEqual(
      decode(PaymentFailedPayload)({
        email: "a@example.com",
        user_name: "Ada",
        plan_name: "Professional",
        workspace_name: "Acme",
        amount: "$49.99",
        product_name: "CueBX API"
      }),
      {
        email: "a@example.com",
        user_name: "Ada",
        plan_name: "Professional",
        workspace_name: "Acme",
        amount: "$49.99",
        product_name: "CueBX API",
        update_payment_url: null
      }
    )
    assert.strictEqual(
      decode(PaymentFailedPayload)({
        email: "a@example.com",
        user_name: null,
        plan_name: "Basic",
        workspace_name: null,
        amount: null,
        product_name: "CueBX Career",
        update_payment_url: "https://app.example.com/billing"
      }).update_payment_url,
      "https://app.example.com/billing"
    )
  })

  it("reject a missing email", () => {
    rejects(SubscriptionCanceledPayload, { user_name: "Ada", plan_name: "Basic" })
    rejects(PaymentFailedPayload, { user_name: "Ada", plan_name: "Basic", amount: "$1.00" })
  })
})

describe("workspace_invitation_emails", () => {
  it("accepts the published shape and defaults expiry_hours to 72", () => {
    const published = {
      email: "new@example.com",
      inviter_name: "Ada",
      workspace_name: "Acme",
      role: "Member",
      invitation_link: "http://localhost:3000/invitation?token=abc",
      expiry_hours: 168
    }
    assert.deepStrictEqual(decode(WorkspaceInvitationPayload)(published), published)
    const { expiry_hours: _, ...withoutExpiry } = published
    assert.strictEqual(decode(WorkspaceInvitationPayload)({ ...withoutExpiry, inviter_name: null }).expiry_hours, 72)
  })

  it("rejects a missing email, workspace or link", () => {
    const base = {
      email: "new@example.com",
      inviter_name: null,
      workspace_name: "Acme",
      role: "Admin",
      invitation_link: "https://x.example/i?token=t"
    }
    rejects(WorkspaceInvitationPayload, { ...base, email: undefined })
    rejects(WorkspaceInvitationPayload, { ...base, workspace_name: "" })
    rejects(WorkspaceInvitationPayload, { ...base, invitation_link: undefined })
  })
})

describe("sales_inquiry_emails", () => {
  const published = {
    to: "sales@cuebx.example",
    inquiry_id: "0b9f7a52-2d7e-4c38-9a51-3f0f7c1d2e4a",
    first_name: "John",
    last_name: "Doe",
    email: "john.doe@example.com",
    message: "We need 40 seats.",
    received_at: "2026-03-01T12:00:00.000Z"
  }

  it("accepts the published shape; an absent message is null", () => {
    assert.deepStrictEqual(decode(SalesInquiryPayload)(published), published)
    assert.strictEqual(decode(SalesInquiryPayload)({ ...published, message: null }).message, null)
    const { message: _, ...withoutMessage } = published
    assert.strictEqual(decode(SalesInquiryPayload)(withoutMessage).message, null)
  })

  it("rejects a missing recipient, a malformed requester address or an empty name", () => {
    rejects(SalesInquiryPayload, { ...published, to: undefined })
    rejects(SalesInquiryPayload, { ...published, email: "not an email" })
    rejects(SalesInquiryPayload, { ...published, first_name: "" })
    rejects(SalesInquiryPayload, { ...published, inquiry_id: undefined })
  })
})
