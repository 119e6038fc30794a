/**
 * The database URL. The reference requires `DATABASE_URL` in SQLAlchemy form; both
 * `postgresql://` and `postgresql+asyncpg://` are accepted, so existing deployments keep theirs.
 * Outside production a local default applies, so a fresh clone starts without a `.env`.
 */
import { Config, Redacted } from "effect"

export const developmentDatabaseUrl = "postgresql://postgres@127.0.0.1:5432/cuebx"

/** `postgresql+asyncpg://…` → `postgresql://…` (also `postgres+psycopg://` and friends). */
export const normaliseDatabaseUrl = (url: string): string => url.replace(/^(postgres(?:ql)?)\+[a-z0-9]+:\/\//i, "$1://")

/** Present only when the variable is set. */
export const ExplicitDatabaseUrl = Config.option(Config.Redacted("DATABASE_URL"))

export const DatabaseUrl: Config.Config<Redacted.Redacted<string>> = Config.Redacted("DATABASE_URL").pipe(
  Config.withDefault(Redacted.make(developmentDatabaseUrl)),
  Config.map((url) => Redacted.make(normaliseDatabaseUrl(Redacted.value(url))))
)
