import { assert, describe, it } from "@effect/vitest"
import { DateTime } from "effect"
import {
  dlqAlertEmail,
  escapeHtml,
  otpEmail,
  passwordResetConfirmationEmail,
  paymentFailedEmail,
  type RenderedTemplate,
  salesInquiryEmail,
  subscriptionActivatedEmail,
  subscriptionCanceledEmail,
  utcIsoTimestamp,
  workspaceInvitationEmail
} from "../src/EmailTemplates.ts"

const context = { appName: "CueBX", year: 2026 }
const alertContext = { appName: "CueBX", environment: "staging" }
const hostile = "<script>alert(\"x\")</script> Tom & Jerry's"
const hostileEscaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry&#39;s"

const assertEscaped = (email: RenderedTemplate) => {
  assert.include(email.html, hostileEscaped)
  assert.notInclude(email.html, "<script>")
  assert.notInclude(email.html, "Tom & Jerry")
  // The plain-text part is not HTML: it shows the value as is.
  assert.include(email.text, hostile)
}

const assertLayout = (email: RenderedTemplate) => {
  assert.match(email.html, /^<!DOCTYPE html>/)
  assert.include(email.html, "&copy; 2026 CueBX. All rights reserved.")
  assert.include(email.text, "© 2026 CueBX. All rights reserved.")
  assert.notMatch(email.text, /<\/?(p|div|html|table|strong|h2)\b/)
}

describe("escapeHtml", () => {
  it("escapes the five HTML-significant characters", () => {
    assert.strictEqual(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
  })
})

const render = (purpose: "email_verification" | "password_reset" | "sign_in") =>
  otpEmail(context, { userName: "Ada", otpCode: "482913", purpose, expiryMinutes: 10 })

describe("OTP email", () => {
  it("has one subject per purpose", () => {
    assert.strictEqual(render("email_verification").subject, "Verify Your Email - CueBX")
    assert.strictEqual(render("password_reset").subject, "Password Reset - CueBX")
    assert.strictEqual(render("sign_in").subject, "Your Sign-in Code - CueBX")
  })

  it("renders each purpose's own copy, not a generic text", () => {
    const verification = render("email_verification")
    const reset = render("password_reset")
    const signIn = render("sign_in")
    assert.include(verification.text, "confirm your email address")
    assert.include(reset.text, "reset the password")
    assert.include(signIn.text, "sign in to CueBX")
    assert.notInclude(verification.text, "reset the password")
    assert.notInclude(reset.text, "confirm your email address")
    assert.notInclude(signIn.text, "confirm your email address")
    assert.notInclude(signIn.text, "reset the password")
    assert.strictEqual(new Set([verification.html, reset.html, signIn.html]).size, 3)
    assert.strictEqual(new Set([verification.text, reset.text, signIn.text]).size, 3)
  })

  it("shows the code, the expiry and the greeting in both parts", () => {
    const email = render("email_verification")
    for (const part of [email.html, email.text]) {
      assert.include(part, "482913")
      assert.include(part, "expires in 10 minutes")
      assert.include(part, "Hello Ada,")
    }
    assertLayout(email)
  })

  it("greets \"User\" without a name and escapes a hostile one", () => {
    const anonymous = otpEmail(context, { userName: null, otpCode: "1", purpose: "sign_in", expiryMinutes: 1 })
    assert.include(anonymous.text, "Hello User,")
    assert.include(anonymous.text, "expires in 1 minute.")
    assert.include(
      otpEmail(context, { userName: "  ", otpCode: "1", purpose: "sign_in", expiryMinutes: 5 }).text,
      "Hello User,"
    )
    assertEscaped(otpEmail(context, { userName: hostile, otpCode: "1", purpose: "password_reset", expiryMinutes: 5 }))
  })
})

describe("password reset confirmation", () => {
  it("has its subject, a text part and an escaped name", () => {
    const email = passwordResetConfirmationEmail(context, { userName: hostile })
    assert.strictEqual(email.subject, "Password Changed Successfully - CueBX")
    assert.include(email.text, "changed successfully")
    assertEscaped(email)
    assertLayout(email)
    assert.include(passwordResetConfirmationEmail(context, {}).text, "Hello User,")
  })
})

describe("subscription emails", () => {
  it("activated: product defaults to the app name, optional rows only when present", () => {
    const email = subscriptionActivatedEmail(context, { userName: "Ada", planName: "Professional" })
    assert.strictEqual(email.subject, "Your CueBX subscription is active - CueBX")
    assert.include(email.text, "- Plan: Professional")
    assert.notInclude(email.text, "Workspace")
    assert.notInclude(email.text, "Seats")
    assertLayout(email)

    const full = subscriptionActivatedEmail(context, {
      userName: hostile,
      planName: "Basic",
      workspaceName: hostile,
      seatCount: 5,
      productName: "CueBX API"
    })
    assert.strictEqual(full.subject, "Your CueBX API subscription is active - CueBX")
    assert.include(full.text, "- Seats: 5")
    assert.include(full.text, `- Workspace: ${hostile}`)
    assertEscaped(full)
  })

  it("canceled: subject, text part and escaping", () => {
    const email = subscriptionCanceledEmail(context, {
      userName: hostile,
      planName: "Plus",
      workspaceName: hostile,
      productName: "CueBX Career"
    })
    assert.strictEqual(email.subject, "Your CueBX Career subscription has been canceled - CueBX")
    assert.include(email.text, "subscription to the Plus plan has been canceled")
    assertEscaped(email)
    assertLayout(email)
  })

  it("payment failed: amount as sent, link only for http(s) URLs", () => {
    const email = paymentFailedEmail(context, {
      userName: hostile,
      planName: "Professional",
      workspaceName: hostile,
      amount: "$49.99",
      productName: "CueBX API",
      updatePaymentUrl: "https://app.example.com/billing?a=1&b=2"
    })
    assert.strictEqual(email.subject, "Payment failed for your CueBX API subscription - CueBX")
    assert.include(email.text, "payment of $49.99")
    assert.notInclude(email.text, "$$")
    assert.include(email.html, "href=\"https://app.example.com/billing?a=1&amp;b=2\"")
    assert.include(email.text, "https://app.example.com/billing?a=1&b=2")
    assertEscaped(email)

    const withoutAmount = paymentFailedEmail(context, { planName: "Basic", amount: null })
    assert.include(withoutAmount.text, "unable to process your payment for your CueBX subscription")
    assert.include(withoutAmount.text, "billing settings")

    const script = paymentFailedEmail(context, { planName: "Basic", updatePaymentUrl: "javascript:alert(1)" })
    assert.notInclude(script.html, "href=\"javascript:")
  })
})

describe("workspace invitation", () => {
  it("escapes names and the link, and shows the expiry", () => {
    const email = workspaceInvitationEmail(context, {
      inviteeEmail: "new@example.com",
      inviterName: hostile,
      workspaceName: hostile,
      role: "Admin",
      invitationLink: "https://app.example.com/invitation?token=abc&x=\"y\"",
      expiryHours: 168
    })
    assert.strictEqual(email.subject, `You're invited to join ${hostile} on CueBX`)
    assert.include(email.html, "href=\"https://app.example.com/invitation?token=abc&amp;x=&quot;y&quot;\"")
    assert.include(email.text, "https://app.example.com/invitation?token=abc&x=\"y\"")
    assert.include(email.text, "expires in 7 days")
    assert.include(email.text, "- Role: Admin")
    assert.include(email.text, "sent to new@example.com")
    assertEscaped(email)
    assertLayout(email)
  })

  it("falls back to \"A team member\" and shows hours when not whole days", () => {
    const email = workspaceInvitationEmail(context, {
      inviteeEmail: "new@example.com",
      inviterName: null,
      workspaceName: "Acme",
      role: "Member",
      invitationLink: "https://app.example.com/i?token=t",
      expiryHours: 36
    })
    assert.include(email.text, "A team member has invited you to join the workspace Acme on CueBX.")
    assert.include(email.text, "expires in 36 hours")
  })
})

describe("sales inquiry", () => {
  const inquiry = {
    inquiryId: "0b9f7a52-2d7e-4c38-9a51-3f0f7c1d2e4a",
    firstName: "John",
    lastName: "Doe",
    email: "john.doe@example.com",
    message: "We need 40 seats.\nCan we talk on Monday?",
    receivedAt: "2026-03-01T12:34:56.789Z"
  }

  it("names the requester and shows every detail and the message in both parts", () => {
    const email = salesInquiryEmail(context, inquiry)
    assert.strictEqual(email.subject, "New sales inquiry from John Doe - CueBX")
    assert.include(email.text, "John Doe asked the sales team to get in touch through the contact-sales form.")
    assert.include(email.text, "- Name: John Doe")
    assert.include(email.text, "- Email: john.doe@example.com")
    assert.include(email.text, "- Received (UTC): 2026-03-01T12:34:56.789Z")
    assert.include(email.text, "- Inquiry ID: 0b9f7a52-2d7e-4c38-9a51-3f0f7c1d2e4a")
    assert.include(email.text, "Message:\nWe need 40 seats.\nCan we talk on Monday?\n")
    assert.include(email.text, "Reply to this email to answer John Doe directly.")
    assert.include(email.html, "<strong>john.doe@example.com</strong>")
    assert.include(email.html, "We need 40 seats.\nCan we talk on Monday?</div>")
    assertLayout(email)
  })

  it("escapes every field the requester typed in the HTML part", () => {
    const email = salesInquiryEmail(context, {
      ...inquiry,
      firstName: hostile,
      lastName: hostile,
      email: "\"><img src=x onerror=alert(1)>@example.com",
      message: hostile
    })
    assertEscaped(email)
    assert.notInclude(email.html, "<img")
    assert.include(email.html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@example.com")
    assert.include(email.html, `<div style="white-space:pre-wrap;`)
    assert.strictEqual(email.subject, `New sales inquiry from ${hostile} ${hostile} - CueBX`)
  })

  it("says so when there is no message, and keeps a newline in a name out of the subject", () => {
    for (const message of [null, undefined, "", "   "]) {
      const email = salesInquiryEmail(context, { ...inquiry, message })
      assert.include(email.text, "Message:\n(no message)\n")
      assert.include(email.html, "<p>(no message)</p>")
    }
    const email = salesInquiryEmail(context, { ...inquiry, firstName: "John\r\nBcc: x@evil.example", message: null })
    assert.strictEqual(email.subject, "New sales inquiry from John Bcc: x@evil.example Doe - CueBX")
    assert.notMatch(email.subject, /[\r\n]/)
  })
})

describe("operator alerts", () => {
  const at = new Date("2026-03-01T12:34:56.789Z")
  const instant = DateTime.makeUnsafe(at)

  it("formats timestamps in UTC, whatever the time zone of the input", () => {
    assert.strictEqual(utcIsoTimestamp(at), "2026-03-01T12:34:56.789Z")
    const tokyo = DateTime.makeZonedUnsafe(at, { timeZone: "Asia/Tokyo" })
    assert.strictEqual(utcIsoTimestamp(tokyo), "2026-03-01T12:34:56.789Z")
    assert.strictEqual(utcIsoTimestamp(DateTime.makeUnsafe(at)), "2026-03-01T12:34:56.789Z")
    assert.strictEqual(utcIsoTimestamp(new Date(Number.NaN)), "unknown")
  })

  it("DLQ alert: subject, every detail, escaped body", () => {
    const email = dlqAlertEmail(alertContext, {
      queue: "otp_emails",
      attemptCount: 3,
      errorMessage: "Brevo delivery failed (HTTP 503): <busy>",
      at: instant,
      messageBody: "{\"email\":\"a@example.com\",\"user_name\":\"<script>x</script>\",\"otp_code\":\"[REDACTED]\"}"
    })
    assert.strictEqual(email.subject, "[CueBX ALERT] DLQ: otp_emails")
    for (const part of [email.html, email.text]) {
      assert.include(part, "otp_emails")
      assert.include(part, "2026-03-01T12:34:56.789Z")
      assert.include(part, "staging")
      assert.include(part, "[REDACTED]")
    }
    assert.include(email.text, "- Attempt count: 3")
    assert.include(email.text, "- Timestamp (UTC): 2026-03-01T12:34:56.789Z")
    assert.include(email.text, "Brevo delivery failed (HTTP 503): <busy>")
    assert.include(email.html, "&lt;busy&gt;")
    assert.include(email.html, "&quot;user_name&quot;:&quot;&lt;script&gt;x&lt;/script&gt;&quot;")
    assert.notInclude(email.html, "<script>")
    assertLayout(email)
  })

  it("DLQ alert without an error message and with a huge body", () => {
    const email = dlqAlertEmail(alertContext, {
      queue: "q",
      attemptCount: 0,
      errorMessage: null,
      at: instant,
      messageBody: "x".repeat(50_000)
    })
    assert.include(email.text, "- Error: (none recorded)")
    assert.include(email.text, "truncated, 50000 characters in total")
    assert.isBelow(email.text.length, 25_000)
  })

  it("keeps a hostile queue name on one subject line", () => {
    const email = dlqAlertEmail(alertContext, {
      queue: "a\r\nBcc: x@example.com",
      attemptCount: 1,
      errorMessage: "e",
      at: instant,
      messageBody: "{}"
    })
    assert.strictEqual(email.subject, "[CueBX ALERT] DLQ: a Bcc: x@example.com")
  })
})
