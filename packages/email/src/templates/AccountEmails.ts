/**
 * The account emails: the one-time code (email verification, password reset, passwordless
 * sign-in) and the notice that a password was changed.
 */
import type { OtpPurpose } from "../EmailPayloads.ts"
import {
  html,
  layout,
  oneLine,
  paragraph,
  plural,
  present,
  type RenderedTemplate,
  styles,
  type TemplateContext,
  textLayout
} from "./EmailLayout.ts"

export interface OtpEmailInput {
  readonly userName?: string | null | undefined
  readonly otpCode: string
  readonly purpose: OtpPurpose
  readonly expiryMinutes: number
}

interface OtpCopy {
  readonly subject: string
  readonly heading: string
  readonly intro: string
  readonly why: string
}

const otpCopy = (appName: string, purpose: OtpPurpose): OtpCopy => {
  switch (purpose) {
    case "email_verification":
      return {
        subject: `Verify Your Email - ${appName}`,
        heading: "Verify your email address",
        intro: `Thank you for signing up for ${appName}! Use the code below to confirm your email address.`,
        why:
          "You are receiving this because an account was created with this email address. If that was not you, you can ignore this email."
      }
    case "password_reset":
      return {
        subject: `Password Reset - ${appName}`,
        heading: "Reset your password",
        intro:
          `We received a request to reset the password of your ${appName} account. Use the code below to choose a new password.`,
        why: "If you did not ask to reset your password, you can ignore this email: your password stays unchanged."
      }
    case "sign_in":
      return {
        subject: `Your Sign-in Code - ${appName}`,
        heading: "Your sign-in code",
        intro: `Use the code below to sign in to ${appName}.`,
        why:
          "If you did not try to sign in, you can ignore this email; someone may have typed your email address by mistake."
      }
  }
}

export const otpEmail = (context: TemplateContext, input: OtpEmailInput): RenderedTemplate => {
  const copy = otpCopy(context.appName, input.purpose)
  const name = present(input.userName) ?? "User"
  const expiry = `This code expires in ${plural(input.expiryMinutes, "minute")}.`
  const security = `Never share this code with anyone. ${context.appName} will never ask you for it.`
  return {
    subject: oneLine(copy.subject),
    html: layout(
      context,
      copy.subject,
      html`<h2>${copy.heading}</h2>
${paragraph("Hello ", name, ",")}
${paragraph(copy.intro)}
<p style="text-align:center;margin:24px 0;"><span style="${styles.code}">${input.otpCode}</span></p>
${paragraph(html`<strong>${expiry}</strong>`)}
${paragraph(copy.why)}
<p style="font-size:13px;color:#52606d;">${security}</p>`
    ),
    text: textLayout(context, [
      copy.heading,
      "",
      `Hello ${name},`,
      "",
      copy.intro,
      "",
      `Your code: ${input.otpCode}`,
      "",
      expiry,
      "",
      copy.why,
      "",
      security
    ])
  }
}

export interface PasswordResetConfirmationInput {
  readonly userName?: string | null | undefined
}

export const passwordResetConfirmationEmail = (
  context: TemplateContext,
  input: PasswordResetConfirmationInput
): RenderedTemplate => {
  const subject = `Password Changed Successfully - ${context.appName}`
  const name = present(input.userName) ?? "User"
  const changed = `The password of your ${context.appName} account was changed successfully.`
  const next = "You can now sign in with your new password."
  const warning =
    "If you did not make this change, reset your password right away and contact our support team: someone else may have access to your account."
  return {
    subject: oneLine(subject),
    html: layout(
      context,
      subject,
      html`<h2>Your password was changed</h2>
${paragraph("Hello ", name, ",")}
${paragraph(changed, " ", next)}
${paragraph(html`<strong>${warning}</strong>`)}`
    ),
    text: textLayout(context, [
      "Your password was changed",
      "",
      `Hello ${name},`,
      "",
      `${changed} ${next}`,
      "",
      warning
    ])
  }
}
