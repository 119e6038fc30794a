/**
 * The auth services wired together, for the API (which adds the HTTP handlers) and for jobs.
 * Needs the database, the key-value store, the outbox and the post-signup provisioning from the caller.
 */
import { MessageSecrets } from "@cuebx/broker"
import { Layer } from "effect"
import { AccessTokens } from "./AccessTokens.ts"
import { Accounts } from "./Accounts.ts"
import { Cloudinary } from "./external/Cloudinary.ts"
import { OAuthProviders } from "./external/OAuthProviders.ts"
import { AuthRateLimits } from "./http/AuthRateLimits.ts"
import { OAuthSignIn } from "./OAuthSignIn.ts"
import { Otps } from "./Otps.ts"
import { Passwords } from "./Passwords.ts"
import { Sessions } from "./Sessions.ts"
import { SessionsRepo } from "./SessionsRepo.ts"
import { UserDirectory } from "./UserDirectory.ts"
import { UsersRepo } from "./UsersRepo.ts"

const Core = Layer.mergeAll(
  UsersRepo.layer,
  SessionsRepo.layer,
  AccessTokens.layer,
  Passwords.layer,
  MessageSecrets.layer,
  Cloudinary.layer
)

const Flows = Layer.mergeAll(Sessions.layer, Otps.layer).pipe(Layer.provideMerge(Core))

/** Accounts, sessions, OAuth, rate limits and the operators' directory (the Bearer middleware is the API's to install). */
export const AuthLive = Layer.mergeAll(OAuthSignIn.layer, AuthRateLimits.layer, UserDirectory.layer).pipe(
  Layer.provideMerge(Accounts.layer),
  Layer.provideMerge(Flows),
  Layer.provideMerge(OAuthProviders.layer)
)
