/**
 * The emails CueBX sends, as pure functions returning a subject, an HTML part and a plain-text
 * part in one shared layout (`templates/EmailLayout.ts`). Every value interpolated into HTML is
 * escaped by the `html` tag; these functions know nothing about queues, payload shapes or delivery.
 */
export * from "./templates/AccountEmails.ts"
export * from "./templates/AlertEmails.ts"
export * from "./templates/BillingEmails.ts"
export {
  type AlertContext,
  escapeHtml,
  html,
  type HtmlValue,
  type RenderedTemplate,
  SafeHtml,
  type TemplateContext
} from "./templates/EmailLayout.ts"
export * from "./templates/WorkspaceEmails.ts"
