/**
 * Form controls and read-outs of the panel beyond the list pages' filters: labelled inputs,
 * selects, checkboxes and text areas for edit forms (which keep what the operator typed when the
 * form comes back with an error), the edit form itself with its CSRF token, key figures, and
 * JSON shown as it is stored. Escaped like everything the `html` template writes.
 */
import { csrfField, html, type Operator, type SafeHtml } from "./PanelHtml.ts"

interface Control {
  readonly name: string
  readonly label: string
  /** Shown under the control. */
  readonly hint?: string
}

const labelled = (control: Control, input: SafeHtml) =>
  html`<label class="field"><span>${control.label}</span>${input}${
    control.hint === undefined ? "" : html`<small>${control.hint}</small>`
  }</label>`

export const textInput = (
  control: Control & {
    readonly value: string | undefined
    readonly required?: boolean
    readonly type?: "text" | "number"
    readonly step?: string
    readonly maxLength?: number
  }
) =>
  labelled(
    control,
    html`<input type="${control.type ?? "text"}" name="${control.name}" value="${control.value ?? ""}"${
      control.step === undefined ? "" : html` step="${control.step}"`
    }${control.maxLength === undefined ? "" : html` maxlength="${control.maxLength}"`}${
      control.required === true ? html` required` : ""
    }>`
  )

export const selectInput = (
  control: Control & {
    readonly value: string | undefined
    readonly options: ReadonlyArray<readonly [value: string, label: string]>
  }
) =>
  labelled(
    control,
    html`<select name="${control.name}">${
      control.options.map(([value, label]) =>
        html`<option value="${value}"${value === control.value ? html` selected` : ""}>${label}</option>`
      )
    }</select>`
  )

export const checkboxInput = (control: Control & { readonly checked: boolean }) =>
  html`<label class="field check"><input type="checkbox" name="${control.name}" value="true"${
    control.checked ? html` checked` : ""
  }> <span>${control.label}</span></label>`

export const textArea = (control: Control & { readonly value: string | undefined; readonly rows?: number }) =>
  labelled(
    control,
    html`<textarea name="${control.name}" rows="${control.rows ?? 4}">${control.value ?? ""}</textarea>`
  )

/** A POST form of several fields in a grid, with the CSRF token. */
export const editForm = (
  operator: Operator,
  options: { readonly action: string; readonly submit: string; readonly fields: ReadonlyArray<SafeHtml> }
) =>
  html`<form class="edit" method="post" action="${options.action}">${
    csrfField(operator)
  }${options.fields}<div class="submit"><button type="submit">${options.submit}</button></div></form>`

/** Key figures, each a label over its value. */
export const figures = (items: ReadonlyArray<readonly [label: string, value: string]>) =>
  html`<div class="figures">${
    items.map(([label, value]) => html`<div class="figure"><span>${label}</span><strong>${value}</strong></div>`)
  }</div>`

/** A stored JSON value, indented. */
export const jsonBlock = (value: unknown) =>
  html`<pre>${value === undefined || value === null ? "—" : JSON.stringify(value, null, 2)}</pre>`
