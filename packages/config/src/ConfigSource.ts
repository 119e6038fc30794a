/**
 * Where configuration comes from: the process environment, then an optional `.env` file in the
 * working directory (environment variables win, as with pydantic-settings in the reference).
 */
import { ConfigProvider, Effect } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"

export const configProvider = (dotEnvPath = resolve(".env")): ConfigProvider.ConfigProvider => {
  const environment = ConfigProvider.fromEnv()
  if (!existsSync(dotEnvPath)) return environment
  return ConfigProvider.orElse(environment, ConfigProvider.fromDotEnvContents(readFileSync(dotEnvPath, "utf8")))
}

/** Installs the environment + `.env` provider for a whole program. */
export const ConfigSource = ConfigProvider.layer(Effect.sync(() => configProvider()))
