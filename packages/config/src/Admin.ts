/**
 * The admin credentials (HTTP Basic on the admin API for now). The password is a secret held to
 * its production rules in Secrets.ts.
 */
import { Config } from "effect"
import { AdminPassword } from "./Secrets.ts"

export const AdminCredentials = Config.all({
  username: Config.String("ADMIN_USERNAME").pipe(Config.withDefault("admin")),
  password: AdminPassword.config
})
