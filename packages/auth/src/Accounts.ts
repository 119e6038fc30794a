/**
 * The account flows behind `/auth`: sign-up and verification, sign-in with a password or an
 * emailed code, password reset and change, profile and deletion. They answer without revealing
 * whether an email has an account, run the post-signup provisioning exactly once per user, and
 * send every email through the outbox in the transaction of the write that causes it.
 */
import { Outbox } from "@cuebx/broker"
import type { OAuthProvider } from "@cuebx/contract"
import { transactionWith } from "@cuebx/db"
import { PasswordResetConfirmationMessage } from "@cuebx/email"
import { Cause, Context, Data, DateTime, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { Cloudinary } from "./external/Cloudinary.ts"
import { type OtpInvalid, Otps, type OtpTooManyAttempts } from "./Otps.ts"
import { Passwords } from "./Passwords.ts"
import { Sessions, type TokenPair } from "./Sessions.ts"
import { type User, UsersRepo } from "./UsersRepo.ts"

export class EmailAlreadyRegistered extends Data.TaggedError("EmailAlreadyRegistered")<{}> {}
export class InvalidCredentials extends Data.TaggedError("InvalidCredentials")<{}> {}
export class AccountDeactivated extends Data.TaggedError("AccountDeactivated")<{}> {}
export class EmailNotVerified extends Data.TaggedError("EmailNotVerified")<{}> {}
export class WrongCurrentPassword extends Data.TaggedError("WrongCurrentPassword")<{}> {}
export class NoPasswordSet extends Data.TaggedError("NoPasswordSet")<{}> {}
export class AvatarNotAllowed extends Data.TaggedError("AvatarNotAllowed")<{}> {}
export class AccountGone extends Data.TaggedError("AccountGone")<{}> {}
/** An access token names a user that does not exist (never did, or was purged). */
export class UserNotFound extends Data.TaggedError("UserNotFound")<{}> {}

/**
 * What a verified new user gets (the personal workspace and the free plans, filled in by the
 * workspaces issue). Runs once per user, inside the transaction that claims it.
 */
export class PostSignupProvisioning extends Context.Service<PostSignupProvisioning, {
  provision(user: User): Effect.Effect<void>
}>()("@cuebx/auth/PostSignupProvisioning") {
  static readonly layerNone = Layer.succeed(
    PostSignupProvisioning,
    PostSignupProvisioning.of({ provision: () => Effect.void })
  )
}

/**
 * What other domains do when an account is deleted, in the deletion's transaction (workspaces
 * hide the deleted account's memberships). Filled by the workspaces package.
 */
export class AccountDeletion extends Context.Service<AccountDeletion, {
  accountDeleted(userId: string): Effect.Effect<void>
}>()("@cuebx/auth/AccountDeletion") {
  static readonly layerNone = Layer.succeed(AccountDeletion, AccountDeletion.of({ accountDeleted: () => Effect.void }))
}

export interface ClientContext {
  readonly deviceInfo: string | null
  readonly ipAddress: string | null
}

export interface Profile {
  readonly user: User
  readonly oauthProviders: ReadonlyArray<OAuthProvider>
}

export class Accounts extends Context.Service<Accounts, {
  signup(
    input: { readonly email: string; readonly password: string; readonly fullName: string | null }
  ): Effect.Effect<void, EmailAlreadyRegistered>
  verifySignup(
    email: string,
    code: string,
    client: ClientContext
  ): Effect.Effect<TokenPair, OtpInvalid | OtpTooManyAttempts>
  resendVerification(email: string): Effect.Effect<void>
  signin(
    email: string,
    password: string,
    rememberMe: boolean,
    client: ClientContext
  ): Effect.Effect<TokenPair, InvalidCredentials | AccountDeactivated | EmailNotVerified>
  requestSigninCode(email: string): Effect.Effect<void>
  signinWithCode(
    email: string,
    code: string,
    rememberMe: boolean,
    client: ClientContext
  ): Effect.Effect<TokenPair, OtpInvalid | OtpTooManyAttempts | AccountDeactivated>
  requestPasswordReset(email: string): Effect.Effect<void>
  confirmPasswordReset(
    email: string,
    code: string,
    newPassword: string
  ): Effect.Effect<void, OtpInvalid | OtpTooManyAttempts>
  changePassword(
    userId: string,
    sessionId: string | null,
    current: string,
    next: string
  ): Effect.Effect<void, WrongCurrentPassword | NoPasswordSet | AccountGone>
  updateProfile(
    userId: string,
    changes: { readonly fullName?: string | null; readonly avatarUrl?: string | null }
  ): Effect.Effect<Profile, AvatarNotAllowed | AccountGone>
  deleteAccount(userId: string): Effect.Effect<void>
  /** Runs the provisioning once for a verified user (also for OAuth and passwordless sign-in). */
  provisionOnce(user: User): Effect.Effect<void>
}>()("@cuebx/auth/Accounts") {
  static readonly layer = Layer.effect(
    Accounts,
    Effect.gen(function*() {
      const transaction = transactionWith(yield* SqlClient.SqlClient)
      const users = yield* UsersRepo
      const passwords = yield* Passwords
      const otps = yield* Otps
      const sessions = yield* Sessions
      const outbox = yield* Outbox
      const cloudinary = yield* Cloudinary
      const provisioning = yield* PostSignupProvisioning
      const deletion = yield* AccountDeletion

      // A failure rolls the claim back and is logged, not fatal: the sign-in goes on, and the next
      // one (or the activate endpoints) provisions the user.
      const provisionOnce = Effect.fn("Accounts.provisionOnce")(function*(user: User) {
        if (user.provisionedAt !== null) return
        const now = yield* DateTime.now
        yield* transaction(Effect.gen(function*() {
          if (yield* users.claimProvisioning(user.id, now)) yield* provisioning.provision(user)
        })).pipe(
          Effect.catchCauseIf(
            (cause) => !Cause.hasInterrupts(cause),
            (cause) => Effect.logError("Post-signup provisioning failed; it will be retried", cause)
          )
        )
      })

      const live = (userId: string) =>
        users.findById(userId).pipe(
          Effect.flatMap(Option.match({ onNone: () => Effect.fail(new AccountGone()), onSome: Effect.succeed }))
        )

      const profileOf = (user: User) =>
        Effect.map(users.oauthProviders(user.id), (oauthProviders) => ({ user, oauthProviders }))

      const signup = Effect.fn("Accounts.signup")(function*(input: {
        readonly email: string
        readonly password: string
        readonly fullName: string | null
      }) {
        if (Option.isSome(yield* users.findByEmail(input.email))) return yield* new EmailAlreadyRegistered()
        const passwordHash = yield* passwords.hash(input.password)
        yield* transaction(Effect.gen(function*() {
          const user = yield* users.create({ email: input.email, passwordHash, fullName: input.fullName })
          yield* otps.issue({
            email: user.email,
            purpose: "email_verification",
            userId: user.id,
            userName: user.fullName
          })
        })).pipe(Effect.catchTag("EmailTaken", () => Effect.fail(new EmailAlreadyRegistered())))
      })

      const startSession = (user: User, rememberMe: boolean, client: ClientContext) =>
        sessions.start(user, { rememberMe, deviceInfo: client.deviceInfo, ipAddress: client.ipAddress })

      /** The user a valid code was issued to: codes go only to live users, and deleting one retires them. */
      const provenUser = (email: string) =>
        users.findByEmail(email).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.die("the user of a valid code is gone"),
            onSome: Effect.succeed
          }))
        )

      /** After a code proved the user owns the address: verified and provisioned. */
      const signinProvenEmail = (email: string) =>
        Effect.gen(function*() {
          const user = yield* provenUser(email)
          if (!user.emailVerified) yield* users.markEmailVerified(user.id)
          yield* provisionOnce(user)
          return user
        })

      const verifySignup = Effect.fn("Accounts.verifySignup")(
        function*(email: string, code: string, client: ClientContext) {
          yield* otps.verify(email, "email_verification", code)
          const user = yield* signinProvenEmail(email)
          return yield* startSession(user, false, client)
        }
      )

      const resendVerification = Effect.fn("Accounts.resendVerification")(function*(email: string) {
        const user = Option.getOrUndefined(yield* users.findByEmail(email))
        if (user !== undefined && !user.emailVerified && user.isActive) {
          yield* otps.issue({ email, purpose: "email_verification", userId: user.id, userName: user.fullName })
        }
      })

      const signin = Effect.fn("Accounts.signin")(function*(
        email: string,
        password: string,
        rememberMe: boolean,
        client: ClientContext
      ) {
        const user = Option.getOrUndefined(yield* users.findByEmail(email))
        // Always one Argon2 verification, so an unknown email answers in the same time.
        const check = yield* passwords.verify(password, user?.passwordHash ?? null)
        if (user === undefined || !check.valid) return yield* new InvalidCredentials()
        if (!user.isActive) return yield* new AccountDeactivated()
        if (check.needsRehash) yield* users.setPasswordHash(user.id, yield* passwords.hash(password))
        if (!user.emailVerified) {
          yield* otps.issue({ email, purpose: "email_verification", userId: user.id, userName: user.fullName })
          return yield* new EmailNotVerified()
        }
        yield* provisionOnce(user)
        return yield* startSession(user, rememberMe, client)
      })

      const requestSigninCode = Effect.fn("Accounts.requestSigninCode")(function*(email: string) {
        const user = Option.getOrUndefined(yield* users.findByEmail(email))
        if (user !== undefined && user.isActive) {
          yield* otps.issue({ email, purpose: "sign_in", userId: user.id, userName: user.fullName })
        }
      })

      const signinWithCode = Effect.fn("Accounts.signinWithCode")(function*(
        email: string,
        code: string,
        rememberMe: boolean,
        client: ClientContext
      ) {
        yield* otps.verify(email, "sign_in", code)
        const user = yield* signinProvenEmail(email)
        if (!user.isActive) return yield* new AccountDeactivated()
        return yield* startSession(user, rememberMe, client)
      })

      const requestPasswordReset = Effect.fn("Accounts.requestPasswordReset")(function*(email: string) {
        const user = Option.getOrUndefined(yield* users.findByEmail(email))
        // OAuth-only users get a code too: it is how they set a first password.
        if (user !== undefined && user.isActive) {
          yield* otps.issue({ email, purpose: "password_reset", userId: user.id, userName: user.fullName })
        }
      })

      const confirmPasswordReset = Effect.fn("Accounts.confirmPasswordReset")(function*(
        email: string,
        code: string,
        newPassword: string
      ) {
        yield* otps.verify(email, "password_reset", code)
        const user = yield* provenUser(email)
        const passwordHash = yield* passwords.hash(newPassword)
        yield* transaction(Effect.gen(function*() {
          yield* users.setPasswordHash(user.id, passwordHash)
          yield* sessions.revokeAll(user.id, "password_reset")
          yield* outbox.enqueue(PasswordResetConfirmationMessage, { email: user.email, user_name: user.fullName })
        }))
      })

      const changePassword = Effect.fn("Accounts.changePassword")(function*(
        userId: string,
        sessionId: string | null,
        current: string,
        next: string
      ) {
        const user = yield* live(userId)
        if (user.passwordHash === null) return yield* new NoPasswordSet()
        const check = yield* passwords.verify(current, user.passwordHash)
        if (!check.valid) return yield* new WrongCurrentPassword()
        const passwordHash = yield* passwords.hash(next)
        yield* transaction(Effect.gen(function*() {
          yield* users.setPasswordHash(user.id, passwordHash)
          yield* sessions.revokeAll(user.id, "password_change", sessionId)
          yield* outbox.enqueue(PasswordResetConfirmationMessage, { email: user.email, user_name: user.fullName })
        }))
      })

      const updateProfile = Effect.fn("Accounts.updateProfile")(function*(
        userId: string,
        changes: { readonly fullName?: string | null; readonly avatarUrl?: string | null }
      ) {
        if (
          changes.avatarUrl !== undefined && changes.avatarUrl !== null && !cloudinary.isAvatarUrl(changes.avatarUrl)
        ) {
          return yield* new AvatarNotAllowed()
        }
        const updated = yield* users.updateProfile(userId, changes)
        if (Option.isNone(updated)) return yield* new AccountGone()
        return yield* profileOf(updated.value)
      })

      const deleteAccount = Effect.fn("Accounts.deleteAccount")(function*(userId: string) {
        const now = yield* DateTime.now
        yield* transaction(Effect.gen(function*() {
          yield* users.softDelete(userId, now)
          yield* sessions.revokeAll(userId, "account_deleted")
          yield* deletion.accountDeleted(userId)
        }))
      })

      return Accounts.of({
        signup,
        verifySignup,
        resendVerification,
        signin,
        requestSigninCode,
        signinWithCode,
        requestPasswordReset,
        confirmPasswordReset,
        changePassword,
        updateProfile,
        deleteAccount,
        provisionOnce
      })
    })
  )
}
