/**
 * OpenAPI text of an endpoint: what `/docs` shows as its summary and description.
 */
import { OpenApi } from "effect/http-api"

export const doc = (summary: string, description?: string) =>
  OpenApi.annotations(description === undefined ? { summary } : { summary, description })
