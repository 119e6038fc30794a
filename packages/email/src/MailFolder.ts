/**
 * Emails written to a folder instead of sent: what a development machine without `BREVO_API_KEY`
 * does, so a newcomer reads their sign-up code in `.data/mail/`. Each email is two files, the HTML
 * and the text (with its recipient and subject on top), and one log line names them.
 */
import { displayPath } from "@cuebx/config"
import { DateTime, Effect, FileSystem, Path } from "effect"
import { randomBytes } from "node:crypto"
import type { EmailRecipient, OutgoingEmail } from "./Brevo.ts"

const formatRecipient = (recipient: EmailRecipient) =>
  recipient.name === undefined ? recipient.email : `${recipient.name} <${recipient.email}>`

/** A file name that sorts by time and says what and for whom: `20261203T101530123Z-otp_email-ada_example.com-1a2b`. */
const baseName = (email: OutgoingEmail, at: DateTime.Utc) =>
  [
    DateTime.formatIso(at).replace(/[-:.]/g, ""),
    email.template,
    email.to.email.replace(/[^A-Za-z0-9.+-]/g, "_"),
    randomBytes(2).toString("hex")
  ].join("-")

const textFile = (email: OutgoingEmail) =>
  [
    `To: ${formatRecipient(email.to)}`,
    ...(email.replyTo === undefined ? [] : [`Reply-To: ${formatRecipient(email.replyTo)}`]),
    `Subject: ${email.subject}`,
    "",
    email.text
  ].join("\n")

/** Writes `email` under `directory` (created when missing); returns the text file's path. */
export const makeMailFolder = (directory: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    return Effect.fn("MailFolder.write")(function*(email: OutgoingEmail) {
      const base = path.join(directory, baseName(email, yield* DateTime.now))
      yield* fs.makeDirectory(directory, { recursive: true })
      yield* fs.writeFileString(`${base}.html`, email.html)
      yield* fs.writeFileString(`${base}.txt`, `${textFile(email)}\n`)
      yield* Effect.logInfo(
        `Email to ${email.to.email}, "${email.subject}": ${displayPath(`${base}.txt`)} (and .html). ` +
          "BREVO_API_KEY is unset, so emails are written to the mail folder instead of sent."
      )
      return path.basename(base)
    }, Effect.orDie)
  })
