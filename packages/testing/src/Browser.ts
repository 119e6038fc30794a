/**
 * A real browser for end-to-end tests: Debian's Chromium (`/usr/bin/chromium`, or
 * `CHROMIUM_PATH`) driven by `playwright-core`, headless, with a fresh profile, closed when the
 * scope ends. No browser is ever downloaded; the background networking a closed machine refuses
 * is switched off. Imported as `@cuebx/testing/Browser`, so other tests never load Playwright.
 */
import { Config, Effect } from "effect"
import { type Browser, type BrowserContext, chromium } from "playwright-core"

export const BrowserSettings = Config.all({
  executablePath: Config.String("CHROMIUM_PATH").pipe(Config.withDefault("/usr/bin/chromium"))
})

const launchArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage"
]

/** A browser for the lifetime of the scope. */
export const launchBrowser = Effect.gen(function*() {
  const settings = yield* BrowserSettings
  return yield* Effect.acquireRelease(
    Effect.promise(() =>
      chromium.launch({ executablePath: settings.executablePath, headless: true, args: launchArgs })
    ),
    (browser: Browser) => Effect.promise(() => browser.close())
  )
})

/** A fresh browser context (its own cookies) aimed at `baseUrl`, for the lifetime of the scope. */
export const browserContext = (browser: Browser, baseUrl: string) =>
  Effect.acquireRelease(
    Effect.promise(() => browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 900 } })),
    (context: BrowserContext) => Effect.promise(() => context.close())
  )
