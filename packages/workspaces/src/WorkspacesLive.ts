/**
 * The workspace services wired together, with the billing services (Stripe's side included, its
 * workspaces seam filled here) and the user profiles they rely on. Needs the database, the outbox
 * and its secrets, the program's HttpClient and the request limits of the handlers, from the
 * caller. `BillingSyncWithWorkspaces` is the part the worker's Stripe handlers and the billing job need.
 */
import { UsersRepo } from "@cuebx/auth"
import { BillingLive, BillingStripeLive, BillingSyncLive } from "@cuebx/billing"
import { Layer } from "effect"
import { ApiKeys } from "./ApiKeys.ts"
import { ApiKeysRepo } from "./ApiKeysRepo.ts"
import { Invitations } from "./Invitations.ts"
import { InvitationsRepo } from "./InvitationsRepo.ts"
import { Members } from "./Members.ts"
import { Seats } from "./Seats.ts"
import { SalesInquiries } from "./support/SalesInquiries.ts"
import { WorkspaceAccess } from "./WorkspaceAccess.ts"
import { WorkspaceBillingSeam } from "./WorkspaceBillingSeam.ts"
import { WorkspaceDirectory } from "./WorkspaceDirectory.ts"
import { Workspaces } from "./Workspaces.ts"
import { WorkspacesRepo } from "./WorkspacesRepo.ts"
import { WorkspaceViews } from "./WorkspaceViews.ts"

const Repositories = Layer.mergeAll(
  WorkspacesRepo.layer,
  InvitationsRepo.layer,
  ApiKeysRepo.layer,
  UsersRepo.layer,
  BillingLive
)

const Policy = Layer.mergeAll(WorkspaceAccess.layer, WorkspaceViews.layer, Seats.layer).pipe(
  Layer.provideMerge(Repositories)
)

export const BillingSyncWithWorkspaces = BillingSyncLive.pipe(
  Layer.provideMerge(WorkspaceBillingSeam),
  Layer.provideMerge(Repositories)
)

export const WorkspacesLive = Layer.mergeAll(
  Workspaces.layer,
  Members.layer,
  Invitations.layer,
  ApiKeys.layer,
  SalesInquiries.layer,
  WorkspaceDirectory.layer
).pipe(
  Layer.provideMerge(BillingStripeLive.pipe(Layer.provideMerge(WorkspaceBillingSeam))),
  Layer.provideMerge(Policy)
)
