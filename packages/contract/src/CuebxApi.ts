/**
 * The whole REST surface of CueBX in one HttpApi definition: the server, the OpenAPI document,
 * the `/docs` page and the typed client all derive from it. Domains add their groups here.
 */
import { HttpApi, OpenApi } from "effect/http-api"
import { AdminApi } from "./admin/AdminApi.ts"
import { PlanAdminApi } from "./admin/PlanAdminApi.ts"
import { AccountApi, AuthApi } from "./auth/AuthApi.ts"
import {
  CareerBillingApi,
  CareerSubscriptionsApi,
  PlansApi,
  WorkspaceBillingApi,
  WorkspaceSubscriptionsApi
} from "./billing/BillingApi.ts"
import { WebhooksApi } from "./billing/WebhooksApi.ts"
import { RequestValidation } from "./RequestValidation.ts"
import { SystemApi } from "./system/SystemApi.ts"
import { CareerHistoryApi, CareerUsageApi, UsageApi } from "./usage/UsageApi.ts"
import { SupportApi, WorkspacesApi } from "./workspaces/WorkspacesApi.ts"

const description = `CueBX is a multi-product SaaS platform that provides AI-powered developer tools and career
services through a unified API.

- **CueBX API**: workspace-based developer tooling with team collaboration, role-based access and per-seat billing.
- **CueBX Career**: an individual subscription service for AI-assisted career development.

Most endpoints require a **Bearer JWT** obtained from \`/auth/signin\`. Internal service-to-service endpoints use the
\`X-Internal-API-Key\` header. Errors are \`{"detail": "..."}\`; request validation errors are 422 with
\`{"detail": [{"type", "loc", "msg", "input"}]}\`.`

/**
 * The document's finishing touches: one tag per name (auth's public and signed-in groups share
 * "Authentication"), and a contact, which `OpenApi.annotations` has no option for.
 */
const finishDocument = (spec: Record<string, unknown>): Record<string, unknown> => ({
  ...spec,
  info: { ...(spec["info"] as object), contact: { name: "CueBX" } },
  tags: (spec["tags"] as ReadonlyArray<{ readonly name: string }>).filter((tag, index, tags) =>
    tags.findIndex((other) => other.name === tag.name) === index
  )
})

export class CuebxApi extends HttpApi.make("cuebx")
  .add(SystemApi)
  .add(AuthApi)
  .add(AccountApi)
  .add(WorkspacesApi)
  .add(PlansApi)
  .add(WorkspaceSubscriptionsApi)
  .add(WorkspaceBillingApi)
  .add(CareerSubscriptionsApi)
  .add(CareerBillingApi)
  .add(SupportApi)
  .add(AdminApi)
  .add(PlanAdminApi)
  .add(WebhooksApi)
  .add(UsageApi)
  .add(CareerUsageApi)
  .add(CareerHistoryApi)
  .middleware(RequestValidation)
  // Report every invalid field, not only the first, with the offending input.
  .annotate(HttpApi.PayloadParseOptions, { errors: "all", reportInput: true })
  .annotate(HttpApi.QueryParseOptions, { errors: "all", reportInput: true })
  .annotate(HttpApi.ParamsParseOptions, { errors: "all", reportInput: true })
  .annotateMerge(OpenApi.annotations({
    title: "CueBX",
    version: "1.0.0",
    description,
    servers: [{ url: "http://localhost:8000", description: "Local development (the default API_DOMAIN)" }],
    transform: finishDocument
  }))
{}
