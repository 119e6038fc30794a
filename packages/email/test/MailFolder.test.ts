/**
 * Without `BREVO_API_KEY` outside production, emails land in `<CUEBX_DATA_DIR>/mail` as HTML and
 * text, with a log line naming the recipient, the subject and the file; with a key, or in
 * production, they go to Brevo.
 */
import { captureLogs } from "@cuebx/testing"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Brevo, type OutgoingEmail } from "../src/Brevo.ts"
import { EmailDelivery } from "../src/EmailSettings.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))

const email: OutgoingEmail = {
  to: { email: "ada@example.com", name: "Ada Lovelace" },
  replyTo: { email: "grace@example.com" },
  subject: "Verify Your Email - CueBX",
  html: "<p>Your code: <strong>482913</strong></p>",
  text: "Your code: 482913",
  template: "otp_email"
}

const temporaryDirectory = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "cuebx-mail-"))),
  (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
)

describe("the mail folder", () => {
  it.effect("is where emails go while BREVO_API_KEY is unset, blank or the example, outside production", () =>
    Effect.gen(function*() {
      const folder = { _tag: "MailFolder" as const, directory: "/srv/cuebx/data/mail" }
      const env = { CUEBX_DATA_DIR: "/srv/cuebx/data" }
      assert.deepStrictEqual(yield* EmailDelivery.pipe(withEnv(env)), folder)
      assert.deepStrictEqual(yield* EmailDelivery.pipe(withEnv({ ...env, BREVO_API_KEY: "  " })), folder)
      assert.deepStrictEqual(
        yield* EmailDelivery.pipe(withEnv({ ...env, BREVO_API_KEY: "your_brevo_api_key" })),
        folder
      )
      assert.deepStrictEqual(yield* EmailDelivery.pipe(withEnv({ ...env, BREVO_API_KEY: "xkeysib-1" })), {
        _tag: "Brevo"
      })
      assert.deepStrictEqual(yield* EmailDelivery.pipe(withEnv({ ...env, ENVIRONMENT: "production" })), {
        _tag: "Brevo"
      })
    }))

  it.live("writes the HTML and the text, and logs the recipient, the subject and the file", () =>
    Effect.gen(function*() {
      const dataDirectory = yield* temporaryDirectory
      const logs = captureLogs()
      const { messageId } = yield* Effect.gen(function*() {
        return yield* (yield* Brevo).send(email)
      }).pipe(
        Effect.provide(Brevo.layer.pipe(Layer.provide(Layer.mergeAll(NodeServices.layer, FetchHttpClient.layer)))),
        Effect.provide(logs.layer),
        withEnv({ CUEBX_DATA_DIR: dataDirectory })
      )
      const mail = join(dataDirectory, "mail")
      assert.deepStrictEqual(readdirSync(mail).toSorted(), [`${messageId}.html`, `${messageId}.txt`])
      assert.match(messageId, /^\d{8}T\d{9}Z-otp_email-ada_example.com-[0-9a-f]{4}$/)
      assert.strictEqual(readFileSync(join(mail, `${messageId}.html`), "utf8"), email.html)
      assert.strictEqual(
        readFileSync(join(mail, `${messageId}.txt`), "utf8"),
        "To: Ada Lovelace <ada@example.com>\nReply-To: grace@example.com\nSubject: Verify Your Email - CueBX\n\n" +
          "Your code: 482913\n"
      )
      const [line] = logs.lines.filter((logged) => String(logged.message).startsWith("Email to"))
      assert.include(String(line!.message), "ada@example.com")
      assert.include(String(line!.message), "Verify Your Email - CueBX")
      assert.include(String(line!.message), join(mail, `${messageId}.txt`))
    }).pipe(Effect.scoped))
})
