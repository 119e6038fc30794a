/**
 * The API-wide middleware that turns request decoding failures (path, query, headers, body)
 * into FastAPI-shaped 422 answers. Declared here; implemented by the API server.
 */
import { HttpApiMiddleware } from "effect/http-api"
import { ValidationFailed } from "./Errors.ts"

export class RequestValidation extends HttpApiMiddleware.Service<RequestValidation>()(
  "@cuebx/contract/RequestValidation",
  { error: ValidationFailed }
) {}
