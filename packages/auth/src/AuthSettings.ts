/**
 * The settings of authentication: token lifetimes and signing, refresh rotation, one-time codes,
 * password hashing cost and account retention. Names follow the reference where it had them.
 */
import { JwtSecretKey, OtpHmacSecret } from "@cuebx/config"
import { Config, Duration } from "effect"

export const AuthSettings = Config.all({
  jwtSecret: JwtSecretKey.config,
  jwtAlgorithm: Config.Literals(["HS256", "HS384", "HS512"], "JWT_ALGORITHM").pipe(Config.withDefault("HS256")),
  jwtIssuer: Config.String("JWT_ISSUER").pipe(Config.withDefault("cuebx")),
  jwtAudience: Config.String("JWT_AUDIENCE").pipe(Config.withDefault("cuebx")),
  accessTokenTtl: Config.Duration("ACCESS_TOKEN_TTL").pipe(Config.withDefault(Duration.minutes(15))),
  refreshTokenTtl: Config.Duration("REFRESH_TOKEN_TTL").pipe(Config.withDefault(Duration.days(7))),
  rememberMeRefreshTokenTtl: Config.Duration("REFRESH_TOKEN_REMEMBER_ME_TTL").pipe(
    Config.withDefault(Duration.days(30))
  ),
  refreshRotation: Config.Boolean("AUTH_REFRESH_ROTATION").pipe(Config.withDefault(true)),
  refreshReuseGrace: Config.Duration("AUTH_REFRESH_REUSE_GRACE").pipe(Config.withDefault(Duration.seconds(10))),
  otpSecret: OtpHmacSecret.config,
  otpLength: Config.Int("OTP_LENGTH").pipe(Config.withDefault(6)),
  otpExpiry: Config.Int("OTP_EXPIRY_MINUTES").pipe(
    Config.map(Duration.minutes),
    Config.withDefault(Duration.minutes(10))
  ),
  otpMaxAttempts: Config.Int("OTP_MAX_ATTEMPTS").pipe(Config.withDefault(5)),
  retentionDays: Config.Int("USER_SOFT_DELETE_RETENTION_DAYS").pipe(Config.withDefault(30))
})
export type AuthSettings = Config.Success<typeof AuthSettings>

/** Argon2id cost; a stored hash made with other parameters is upgraded at the next sign-in. */
export const PasswordHashSettings = Config.all({
  memoryCost: Config.Int("ARGON2_MEMORY_KIB").pipe(Config.withDefault(19_456)),
  timeCost: Config.Int("ARGON2_TIME_COST").pipe(Config.withDefault(2)),
  parallelism: Config.Int("ARGON2_PARALLELISM").pipe(Config.withDefault(1))
})
export type PasswordHashSettings = Config.Success<typeof PasswordHashSettings>
