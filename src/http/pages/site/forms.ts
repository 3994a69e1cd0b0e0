// GOV.UK-style form pieces: an error summary that links to each field, the message beside the field, hints
// tied to their input with aria-describedby. Field ids are derived from names, so links always match.
import { html, type SafeHtml } from '../html.js';

/** Problems of one step, by field id, in page order (Map keeps insertion order; outside input never keys it). */
export type FieldErrors = Map<string, string>;

export const fieldId = (name: string): string => `field-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

export function errorSummary(title: string, errors: FieldErrors): SafeHtml {
  if (errors.size === 0) return html``;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" data-autofocus>
  <h2 id="error-summary-title" class="error-summary__title">${title}</h2>
  <ul>${[...errors].map(([id, message]) => html`<li><a href="#${id}">${message}</a></li>`)}</ul>
</div>`;
}

function describedBy(id: string, hint: string | undefined, error: string | undefined): SafeHtml {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids ? html` aria-describedby="${ids}"` : html``;
}

function message(id: string, error: string | undefined, prefix: string): SafeHtml {
  return error
    ? html`<p class="field-error" id="${id}-error"><span class="visually-hidden">${prefix}</span> ${error}</p>`
    : html``;
}

export interface FieldOptions {
  name: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  value?: string | undefined;
  /** Shown after the label: "(required)" / "(optional)". */
  mark?: string | undefined;
  type?: 'text' | 'email' | 'tel' | 'datetime-local' | 'search';
  inputmode?: 'decimal' | 'numeric';
  autocomplete?: string;
  maxlength?: number;
  errorPrefix: string;
  id?: string;
  /** Extra classes on the input, e.g. a width. */
  className?: string;
}

export function textField(options: FieldOptions): SafeHtml {
  const id = options.id ?? fieldId(options.name);
  return html`<div class="form-group${options.error ? ' form-group--error' : ''}">
  <label class="label" for="${id}">${options.label}${options.mark ? html` <span class="mark">${options.mark}</span>` : ''}</label>
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
  ${message(id, options.error, options.errorPrefix)}
  <input class="input${options.className ? ` ${options.className}` : ''}" id="${id}" name="${options.name}" type="${options.type ?? 'text'}" value="${options.value ?? ''}"${options.inputmode ? html` inputmode="${options.inputmode}"` : ''}${options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ''}${options.maxlength ? html` maxlength="${options.maxlength}"` : ''}${options.error ? html` aria-invalid="true"` : ''}${describedBy(id, options.hint, options.error)}>
</div>`;
}

export function textArea(options: FieldOptions & { rows?: number }): SafeHtml {
  const id = options.id ?? fieldId(options.name);
  return html`<div class="form-group${options.error ? ' form-group--error' : ''}">
  <label class="label" for="${id}">${options.label}${options.mark ? html` <span class="mark">${options.mark}</span>` : ''}</label>
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
  ${message(id, options.error, options.errorPrefix)}
  <textarea class="textarea" id="${id}" name="${options.name}" rows="${options.rows ?? 5}"${options.maxlength ? html` maxlength="${options.maxlength}"` : ''}${options.error ? html` aria-invalid="true"` : ''}${describedBy(id, options.hint, options.error)}>${options.value ?? ''}</textarea>
</div>`;
}

export interface ChoiceOptions {
  name: string;
  legend: string;
  /** The legend is the page's heading (one question per page). */
  legendAsHeading?: boolean;
  hint?: string | undefined;
  error?: string | undefined;
  mark?: string | undefined;
  multiple: boolean;
  choices: Array<{ value: string; label: string; hint?: string | null | undefined }>;
  selected: readonly string[];
  errorPrefix: string;
  id?: string;
}

/** Radios (one answer) or checkboxes (several) in a fieldset; the first input carries the field id. */
export function choiceField(options: ChoiceOptions): SafeHtml {
  const id = options.id ?? fieldId(options.name);
  const type = options.multiple ? 'checkbox' : 'radio';
  return html`<div class="form-group${options.error ? ' form-group--error' : ''}">
<fieldset class="fieldset"${describedBy(id, options.hint, options.error)}>
  <legend class="legend">${options.legendAsHeading ? html`<h1 class="heading-l">${options.legend}</h1>` : options.legend}${options.mark ? html` <span class="mark">${options.mark}</span>` : ''}</legend>
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
  ${message(id, options.error, options.errorPrefix)}
  <div class="choices choices--${type}">${options.choices.map((choice, index) => {
    const choiceId = index === 0 ? id : `${id}-${index}`;
    return html`<div class="choice">
    <input class="choice__input" id="${choiceId}" name="${options.name}" type="${type}" value="${choice.value}"${options.selected.includes(choice.value) ? html` checked` : ''}${choice.hint ? html` aria-describedby="${choiceId}-hint"` : ''}>
    <label class="choice__label" for="${choiceId}">${choice.label}</label>
    ${choice.hint ? html`<p class="hint choice__hint" id="${choiceId}-hint">${choice.hint}</p>` : ''}
  </div>`;
  })}</div>
</fieldset>
</div>`;
}
