/**
 * CORS settings. `CORS_ALLOW_ORIGINS` is a JSON list in the reference's `.env`
 * (`["https://a.example","https://b.example"]`); a comma-separated list is accepted too.
 * The same list is the allow-list for OAuth callback URLs.
 */
import { Config } from "effect"

const parseJsonList = (text: string): ReadonlyArray<unknown> | undefined => {
  try {
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

export const parseOriginList = (raw: string): ReadonlyArray<string> => {
  const text = raw.trim()
  const items = parseJsonList(text) ?? text.replace(/^\[|\]$/g, "").split(",")
  return items.map((item) => String(item).trim().replace(/^["']|["']$/g, "")).filter((item) => item.length > 0)
}

export const CorsSettings = Config.all({
  allowOrigins: Config.String("CORS_ALLOW_ORIGINS").pipe(
    Config.map(parseOriginList),
    Config.withDefault<ReadonlyArray<string>>(["http://localhost:3000"])
  ),
  allowCredentials: Config.Boolean("CORS_ALLOW_CREDENTIALS").pipe(Config.withDefault(true))
})
export type CorsSettings = Config.Success<typeof CorsSettings>
