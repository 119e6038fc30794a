/**
 * The speed limit of `GET /auth/me` on this machine: a bare node:http server doing the same work
 * as the API (the same JWT verification with `jose`, then one query joining the user, the
 * session's liveness and the OAuth providers) and answering the same JSON. No framework, no
 * logging, no tracing. Run as its own process: `node AuthMeLimitServer.ts <port> <database url>`.
 */
import { jwtVerify } from "jose"
import { createServer } from "node:http"
import pg from "pg"

const [portArgument, databaseUrl] = process.argv.slice(2)
const secret = new TextEncoder().encode(process.env["JWT_SECRET_KEY"] ?? "another_supersecret_key")
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env["DB_POOL_MAX"] ?? 20) })

const query = `
  SELECT u.id, u.email, u.email_verified, u.full_name, u.avatar_url, u.is_active, u.is_deleted,
         u.created_at, u.updated_at, u.password_hash IS NOT NULL AS has_password,
         ARRAY(SELECT DISTINCT lower(a.provider) FROM oauth_accounts a WHERE a.user_id = u.id ORDER BY 1) AS providers,
         EXISTS (SELECT 1 FROM user_sessions s
                 WHERE s.id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()) AS session_live
  FROM users u WHERE u.id = $1`

const answer = (response: import("node:http").ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  response.end(text)
}

const server = createServer(async (request, response) => {
  if (request.url === "/health") return answer(response, 200, { status: "ok" })
  if (request.url !== "/auth/me") return answer(response, 404, { detail: "Not Found" })
  const token = request.headers.authorization?.replace(/^Bearer /, "") ?? ""
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ["HS256"],
      issuer: "cuebx",
      audience: "cuebx",
      requiredClaims: ["exp", "iat"]
    })
    if (payload["type"] !== "access" || typeof payload.sub !== "string") {
      return answer(response, 401, { detail: "Invalid access token" })
    }
    const { rows } = await pool.query(query, [payload.sub, payload["sid"] ?? null])
    const user = rows[0]
    if (user === undefined) return answer(response, 401, { detail: "User not found" })
    if (user.is_deleted) return answer(response, 401, { detail: "User account has been deleted" })
    if (!user.is_active) return answer(response, 403, { detail: "User account is deactivated" })
    if (payload["sid"] !== undefined && !user.session_live) {
      return answer(response, 401, { detail: "Invalid or expired access token" })
    }
    return answer(response, 200, {
      id: user.id,
      email: user.email,
      email_verified: user.email_verified,
      full_name: user.full_name,
      avatar_url: user.avatar_url,
      is_active: user.is_active,
      created_at: user.created_at.toISOString(),
      updated_at: user.updated_at.toISOString(),
      has_password: user.has_password,
      oauth_providers: user.providers
    })
  } catch {
    return answer(response, 401, { detail: "Invalid or expired access token" })
  }
})

server.keepAliveTimeout = 65_000
server.listen(Number(portArgument), "127.0.0.1")
process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0))))
