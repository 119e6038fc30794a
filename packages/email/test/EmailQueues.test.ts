import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import type { OutgoingEmail } from "../src/Brevo.ts"
import type { EmailContext } from "../src/EmailQueues.ts"
import {
  emailQueueList,
  EmailQueues,
  OtpEmails,
  renderDlqAlert,
  SalesInquiryEmails,
  SubscriptionActivatedEmails,
  WorkspaceInvitationEmails
} from "../src/EmailQueues.ts"

const context = { appName: "CueBX", year: 2026, otpExpiryMinutes: 15 }

const samples: Record<keyof typeof EmailQueues, unknown> = {
  otp_emails: { email: "a@example.com", otp_code: "123456", purpose: "email_verification", user_name: "Ada" },
  password_reset_confirmation_emails: { email: "a@example.com", user_name: "Ada" },
  subscription_activated_emails: {
    email: "a@example.com",
    full_name: "Ada",
    plan_name: "Basic",
    product_type: "api",
    workspace_name: "Acme"
  },
  subscription_canceled_emails: {
    email: "a@example.com",
    user_name: "Ada",
    plan_name: "Basic",
    workspace_name: null,
    product_name: "CueBX API"
  },
  payment_failed_emails: {
    email: "a@example.com",
    user_name: "Ada",
    plan_name: "Basic",
    workspace_name: null,
    amount: "$49.99",
    product_name: "CueBX API"
  },
  workspace_invitation_emails: {
    email: "a@example.com",
    inviter_name: "Bob",
    workspace_name: "Acme",
    role: "Member",
    invitation_link: "https://app.example.com/invitation?token=t",
    expiry_hours: 168
  },
  sales_inquiry_emails: {
    to: "a@example.com",
    inquiry_id: "0b9f7a52-2d7e-4c38-9a51-3f0f7c1d2e4a",
    first_name: "John",
    last_name: "Doe",
    email: "john.doe@example.com",
    message: "We need 40 seats.",
    received_at: "2026-03-01T12:00:00.000Z"
  }
}

describe("EmailQueues", () => {
  it("lists the seven email queues, each under its own name", () => {
    assert.deepStrictEqual(
      emailQueueList.map((spec) => spec.message.queue.name).toSorted(),
      Object.keys(EmailQueues).toSorted()
    )
    assert.strictEqual(emailQueueList.length, 7)
    for (const [name, spec] of Object.entries(EmailQueues)) assert.strictEqual(spec.message.queue.name, name)
  })

  it.effect("decodes and renders a published payload of every queue", () =>
    Effect.gen(function*() {
      for (const spec of emailQueueList) {
        const name = spec.message.queue.name as keyof typeof EmailQueues
        const payload = yield* Schema.decodeUnknownEffect(spec.message.payload)(samples[name])
        const email = (spec.render as (payload: unknown, at: EmailContext) => OutgoingEmail)(payload, context)
        assert.strictEqual(email.to.email, "a@example.com", name)
        assert.strictEqual(email.template, spec.template)
        assert.isNotEmpty(email.subject)
        assert.include(email.html, "<!DOCTYPE html>")
        assert.isNotEmpty(email.text)
      }
    }))

  it.effect("refuses a payload its schema rejects", () =>
    Effect.gen(function*() {
      const error = yield* Schema.decodeUnknownEffect(OtpEmails.message.payload)(
        { email: "a@example.com", purpose: "login" },
        { errors: "all" }
      ).pipe(Effect.flip)
      assert.isTrue(Schema.isSchemaError(error))
      assert.include(String(error), "otp_code")
      assert.include(String(error), "purpose")
    }))

  it("OTP: expiry from the payload, else from OTP_EXPIRY_MINUTES; the name goes to the recipient", () => {
    const base = { email: "a@example.com", otp_code: "9", purpose: "sign_in" as const, user_name: "Ada" }
    assert.include(OtpEmails.render(base, context).text, "expires in 15 minutes")
    assert.include(OtpEmails.render({ ...base, expiry_minutes: 3 }, context).text, "expires in 3 minutes")
    assert.deepStrictEqual(OtpEmails.render(base, context).to, { email: "a@example.com", name: "Ada" })
    assert.deepStrictEqual(OtpEmails.render({ ...base, user_name: null }, context).to, { email: "a@example.com" })
    assert.strictEqual(OtpEmails.render(base, context).subject, "Your Sign-in Code - CueBX")
  })

  it("subscription activated: the legacy shape keeps the name and product", () => {
    const payload = Schema.decodeUnknownSync(SubscriptionActivatedEmails.message.payload)(
      samples.subscription_activated_emails
    )
    const email = SubscriptionActivatedEmails.render(payload, context)
    assert.strictEqual(email.subject, "Your CueBX API subscription is active - CueBX")
    assert.include(email.text, "Hi Ada,")
    assert.include(email.text, "- Workspace: Acme")
  })

  it("workspace invitation: addressed to the invitee, subject names the workspace", () => {
    const payload = Schema.decodeUnknownSync(WorkspaceInvitationEmails.message.payload)(
      samples.workspace_invitation_emails
    )
    const email = WorkspaceInvitationEmails.render(payload, context)
    assert.deepStrictEqual(email.to, { email: "a@example.com" })
    assert.strictEqual(email.subject, "You're invited to join Acme on CueBX")
    assert.include(email.text, "Bob has invited you")
  })

  it("sales inquiry: to the sales team, Reply-To the requester under their name", () => {
    const payload = Schema.decodeUnknownSync(SalesInquiryEmails.message.payload)(samples.sales_inquiry_emails)
    const email = SalesInquiryEmails.render(payload, context)
    assert.deepStrictEqual(email.to, { email: "a@example.com" })
    assert.deepStrictEqual(email.replyTo, { email: "john.doe@example.com", name: "John Doe" })
    assert.strictEqual(email.template, "sales_inquiry")
    assert.strictEqual(email.subject, "New sales inquiry from John Doe - CueBX")
    assert.include(email.text, "We need 40 seats.")
    const multiline = SalesInquiryEmails.render({ ...payload, first_name: "John\nBcc:", last_name: " Doe" }, context)
    assert.deepStrictEqual(multiline.replyTo, { email: "john.doe@example.com", name: "John Bcc: Doe" })
  })
})

describe("operator alerts", () => {
  const alertContext = { appName: "CueBX", environment: "production", adminEmail: "ops@example.com" }
  const at = DateTime.makeUnsafe("2026-01-02T03:04:05.000Z")

  it("DLQ alert goes to the admin address with its template", () => {
    const email = renderDlqAlert(
      { queue: "payment_failed_emails", attemptCount: 3, errorMessage: "boom", at, messageBody: "{}" },
      alertContext
    )
    assert.deepStrictEqual(email.to, { email: "ops@example.com" })
    assert.strictEqual(email.template, "dlq_alert")
    assert.strictEqual(email.subject, "[CueBX ALERT] DLQ: payment_failed_emails")
    assert.include(email.text, "2026-01-02T03:04:05.000Z")
    assert.include(email.text, "production")
  })
})
