/**
 * The settings of the Google and GitHub OAuth clients: credentials (an empty client id or secret
 * means the provider is not configured), the base of the redirect URI, every provider endpoint
 * (so tests aim the real client at fakes) and the per-request timeout. Read only through `Config`.
 */
import { Config, Duration, Redacted } from "effect"

const text = (name: string, fallback: string) =>
  Config.String(name).pipe(Config.withDefault(fallback), Config.map((value) => value.trim()))

const secret = (name: string) => Config.Redacted(name).pipe(Config.withDefault(Redacted.make("")))

export const GoogleOAuthSettings = Config.all({
  clientId: text("GOOGLE_CLIENT_ID", ""),
  clientSecret: secret("GOOGLE_CLIENT_SECRET"),
  authUrl: text("GOOGLE_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth"),
  tokenUrl: text("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token"),
  userInfoUrl: text("GOOGLE_USERINFO_URL", "https://www.googleapis.com/oauth2/v3/userinfo")
})
export type GoogleOAuthSettings = Config.Success<typeof GoogleOAuthSettings>

export const GitHubOAuthSettings = Config.all({
  clientId: text("GITHUB_CLIENT_ID", ""),
  clientSecret: secret("GITHUB_CLIENT_SECRET"),
  authorizeUrl: text("GITHUB_AUTHORIZE_URL", "https://github.com/login/oauth/authorize"),
  tokenUrl: text("GITHUB_TOKEN_URL", "https://github.com/login/oauth/access_token"),
  apiUrl: text("GITHUB_API_URL", "https://api.github.com")
})
export type GitHubOAuthSettings = Config.Success<typeof GitHubOAuthSettings>

export const OAuthSettings = Config.all({
  google: GoogleOAuthSettings,
  github: GitHubOAuthSettings,
  /** `redirect_uri` is `{redirectBaseUri}/oauth/{provider}/callback`. */
  redirectBaseUri: text("OAUTH_REDIRECT_BASE_URI", "http://localhost:8000/auth"),
  timeout: Config.Duration("OAUTH_HTTP_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10)))
})
export type OAuthSettings = Config.Success<typeof OAuthSettings>
