/**
 * `@cuebx/auth`: users, sign-up and sign-in (password, emailed code, Google and GitHub), sessions
 * with rotating refresh tokens, and the Bearer authentication every protected endpoint uses.
 */
export * from "./AccessTokens.ts"
export * from "./Accounts.ts"
export * from "./AuthenticationLive.ts"
export * from "./AuthJobs.ts"
export * from "./AuthLive.ts"
export * from "./AuthSettings.ts"
export * from "./external/Cloudinary.ts"
export * from "./external/DeviceInfo.ts"
export * from "./external/OAuthProviders.ts"
export * from "./external/OAuthSettings.ts"
export * from "./external/OAuthState.ts"
export * from "./http/AccountHttp.ts"
export * from "./http/AuthHttp.ts"
export * from "./http/AuthRateLimits.ts"
export * from "./OAuthSignIn.ts"
export * from "./Otps.ts"
export * from "./Passwords.ts"
export * from "./Sessions.ts"
export * from "./UsersRepo.ts"
