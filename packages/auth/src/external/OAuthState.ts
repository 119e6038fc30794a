/**
 * The OAuth state value: random, single use (stored and checked by `OAuthSignIn`).
 */
import { randomBytes } from "node:crypto"

/** 32 random bytes, base64url without padding (43 characters of `[A-Za-z0-9_-]`). */
export const newOAuthState = (): string => randomBytes(32).toString("base64url")
