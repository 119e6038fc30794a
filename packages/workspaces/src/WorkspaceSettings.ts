/**
 * Settings of workspaces: how long an invitation stays valid, and the HMAC secret that hashes
 * invitation tokens and API keys (the reference's OTP_HMAC_SECRET, so its keys keep validating).
 */
import { OtpHmacSecret } from "@cuebx/config"
import { Config } from "effect"

export const WorkspaceSettings = Config.all({
  tokenSecret: OtpHmacSecret.config,
  invitationExpiryDays: Config.Int("WORKSPACE_INVITATION_EXPIRY_DAYS").pipe(Config.withDefault(7))
})
export type WorkspaceSettings = Config.Success<typeof WorkspaceSettings>
