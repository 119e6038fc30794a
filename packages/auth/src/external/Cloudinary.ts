/**
 * Signed parameters for a browser to upload an avatar straight to Cloudinary (folder `avatars`),
 * and the check that an `avatar_url` points at this account's Cloudinary images. The server never
 * sees the file; a placeholder or empty credential means Cloudinary is not configured.
 */
import { Clock, Config, Context, Data, Effect, Layer, Redacted } from "effect"
import { createHash } from "node:crypto"

const placeholders = {
  cloudName: "your_cloudinary_cloud_name",
  apiKey: "your_cloudinary_api_key",
  apiSecret: "your_cloudinary_api_secret"
} as const

export const CloudinarySettings = Config.all({
  cloudName: Config.String("CLOUDINARY_CLOUD_NAME").pipe(
    Config.withDefault(placeholders.cloudName),
    Config.map((value) => value.trim())
  ),
  apiKey: Config.String("CLOUDINARY_API_KEY").pipe(
    Config.withDefault(placeholders.apiKey),
    Config.map((value) => value.trim())
  ),
  apiSecret: Config.Redacted("CLOUDINARY_API_SECRET").pipe(
    Config.withDefault(Redacted.make(placeholders.apiSecret))
  )
})
export type CloudinarySettings = Config.Success<typeof CloudinarySettings>

/** Exactly the reference's `CloudinaryUploadCredentials` answer. */
export interface CloudinaryUploadCredentials {
  readonly upload_url: string
  readonly api_key: string
  /** Unix seconds; Cloudinary refuses signatures older than an hour. */
  readonly timestamp: number
  readonly signature: string
  readonly cloud_name: string
  readonly folder: "avatars"
  readonly resource_type: "image"
  readonly upload_preset: null
  readonly eager: null
}

/** A Cloudinary credential is empty or still the reference's placeholder (the HTTP layer answers 503). */
export class CloudinaryNotConfigured extends Data.TaggedError("CloudinaryNotConfigured") {
  override get message() {
    return "Cloudinary is not properly configured."
  }
}

export const avatarFolder = "avatars"

const isSet = (value: string, placeholder: string) => value !== "" && value !== placeholder

export const isCloudinaryConfigured = (settings: CloudinarySettings): boolean =>
  isSet(settings.cloudName, placeholders.cloudName) &&
  isSet(settings.apiKey, placeholders.apiKey) &&
  isSet(Redacted.value(settings.apiSecret).trim(), placeholders.apiSecret)

/** Cloudinary's signing scheme: sorted `k=v` pairs joined with `&`, the secret appended, SHA-1 hex. */
export const signUploadParams = (
  params: Readonly<Record<string, string | number>>,
  apiSecret: Redacted.Redacted<string>
): string => {
  const toSign = Object.keys(params).toSorted().map((key) => `${key}=${params[key]}`).join("&")
  return createHash("sha1").update(`${toSign}${Redacted.value(apiSecret)}`).digest("hex")
}

export class Cloudinary extends Context.Service<Cloudinary, {
  readonly isConfigured: boolean
  readonly uploadCredentials: Effect.Effect<CloudinaryUploadCredentials, CloudinaryNotConfigured>
  /** True only for `https://res.cloudinary.com/{cloud_name}/...` (any other host or cloud is refused). */
  isAvatarUrl(url: string): boolean
}>()("@cuebx/auth/Cloudinary") {
  static readonly layerFromSettings = (settings: CloudinarySettings) =>
    Layer.sync(Cloudinary, () => {
      const isConfigured = isCloudinaryConfigured(settings)
      const cloudPrefix = `/${settings.cloudName}/`

      const uploadCredentials = Effect.gen(function*() {
        if (!isConfigured) return yield* new CloudinaryNotConfigured()
        const timestamp = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const credentials: CloudinaryUploadCredentials = {
          upload_url: `https://api.cloudinary.com/v1_1/${settings.cloudName}/image/upload`,
          api_key: settings.apiKey,
          timestamp,
          signature: signUploadParams({ folder: avatarFolder, timestamp }, settings.apiSecret),
          cloud_name: settings.cloudName,
          folder: avatarFolder,
          resource_type: "image",
          upload_preset: null,
          eager: null
        }
        return credentials
      }).pipe(Effect.withSpan("Cloudinary.uploadCredentials"))

      const isAvatarUrl = (url: string): boolean => {
        if (!isConfigured) return false
        let parsed: URL
        try {
          parsed = new URL(url)
        } catch {
          return false
        }
        return parsed.protocol === "https:" &&
          parsed.host === "res.cloudinary.com" &&
          parsed.username === "" &&
          parsed.password === "" &&
          parsed.pathname.startsWith(cloudPrefix) &&
          parsed.pathname.length > cloudPrefix.length
      }

      return Cloudinary.of({ isConfigured, uploadCredentials, isAvatarUrl })
    })

  static readonly layer = Layer.unwrap(Effect.gen(function*() {
    return Cloudinary.layerFromSettings(yield* CloudinarySettings)
  }))
}
