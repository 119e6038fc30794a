/**
 * The workspace services wired together, with the billing reads they rely on Needs the database, the outbox and its
 * secrets, and the request limits of the handlers, from the caller.
 */
import { Plans, Subscriptions } from "@cuebx/billing"
import { Layer } from "effect"
import { ApiKeys } from "./ApiKeys.ts"
import { Invitations } from "./Invitations.ts"
import { InvitationsRepo } from "./InvitationsRepo.ts"
import { Members } from "./Members.ts"
import { SalesInquiries } from "./support/SalesInquiries.ts"
import { WorkspaceAccess } from "./WorkspaceAccess.ts"
import { Workspaces } from "./Workspaces.ts"
import { WorkspacesRepo } from "./WorkspacesRepo.ts"
import { WorkspaceViews } from "./WorkspaceViews.ts"

const Repositories = Layer.mergeAll(
  WorkspacesRepo.layer,
  InvitationsRepo.layer,
  Subscriptions.layer.pipe(Layer.provideMerge(Plans.layer))
)

const Policy = Layer.mergeAll(WorkspaceAccess.layer, WorkspaceViews.layer).pipe(Layer.provideMerge(Repositories))

export const WorkspacesLive = Layer.mergeAll(
  Workspaces.layer,
  Members.layer,
  Invitations.layer,
  ApiKeys.layer,
  SalesInquiries.layer
).pipe(Layer.provideMerge(Policy))
