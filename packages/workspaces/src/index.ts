/**
 * `@cuebx/workspaces`: team workspaces, members and roles, invitations, API keys, the personal
 * workspace and free plans every verified user gets, and the sales inquiries.
 */
export * from "./ApiKeys.ts"
export * from "./ApiKeyUsage.ts"
export * from "./http/WorkspacesHttp.ts"
export * from "./http/WorkspaceSubscriptionsHttp.ts"
export * from "./Invitations.ts"
export * from "./InvitationsRepo.ts"
export * from "./Members.ts"
export * from "./support/SalesInquiries.ts"
export * from "./support/SupportConfig.ts"
export * from "./support/SupportHttp.ts"
export * from "./WorkspaceAccess.ts"
export * from "./WorkspaceJobs.ts"
export * from "./WorkspaceProvisioning.ts"
export * from "./Workspaces.ts"
export * from "./WorkspaceSettings.ts"
export * from "./WorkspacesLive.ts"
export * from "./WorkspacesRepo.ts"
export * from "./WorkspaceViews.ts"
