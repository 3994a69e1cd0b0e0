// The admin forms of the console, as plain HTML forms that work without JavaScript: a service and its
// questions, a service's routing and response-time target, response templates and webhooks. Each form keeps
// what was typed when it comes back with errors (shown next to their fields) and carries a fingerprint of
// what it was opened on, so an edit made on an older state is refused instead of overwriting someone else's.
import { createHash } from 'node:crypto';
import type { AreaFeature, StaffService } from '../../../domain/catalog.js';
import type { ResponseTemplate } from '../../../domain/response-templates.js';
import type { Attribute, Datatype } from '../../../domain/types.js';
import { STATUS_LABELS, type DetailedStatus } from '../../../domain/workflow.js';
import { type SafeHtml, html } from '../html.js';
import { choiceField, textArea, textField } from '../site/forms.js';
import type { ConsoleForm } from './form.js';
import { CONSOLE_BASE_PATH, type FieldError, fieldError } from './layout.js';

export const ADMIN_PATH = `${CONSOLE_BASE_PATH}/admin`;

/** What the person typed, field by field (prototype-free: field names come from the form). */
export type Typed = Record<string, string>;

export const typedOf = (form: ConsoleForm): Typed => {
  const typed: Typed = Object.create(null);
  for (const [name, value] of Object.entries(form)) typed[name] = Array.isArray(value) ? value.join(',') : value;
  return typed;
};

/** A short digest of a stored thing as it was read: a form sends it back, the save compares it. */
export const fingerprintOf = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);

const DATATYPES: ReadonlyArray<[Datatype, string]> = [
  ['string', 'One line of text'],
  ['text', 'Several lines of text'],
  ['number', 'A number'],
  ['datetime', 'A date and time'],
  ['singlevaluelist', 'One choice from a list'],
  ['multivaluelist', 'Several choices from a list'],
];

// ------------------------------------------------------------------------------------------ a service form

/** The service's fields as form values (what a fresh edit form shows). */
export function typedOfService(service: StaffService): Typed {
  const typed: Typed = Object.create(null);
  typed.service_code = service.service_code;
  typed.service_name = service.service_name;
  typed.description = service.description ?? '';
  typed.group = service.group ?? '';
  typed.type = service.type;
  typed.keywords = service.keywords.join(', ');
  typed.agency_responsible = service.agency_responsible ?? '';
  typed.response_hours = service.response_hours === null ? '' : String(service.response_hours);
  typed.service_notice = service.service_notice ?? '';
  const questions = [...service.attributes].sort((a, b) => a.order - b.order);
  questions.forEach((attribute, row) => {
    typed[`q${row}_code`] = attribute.code;
    typed[`q${row}_description`] = attribute.description;
    typed[`q${row}_datatype`] = attribute.datatype;
    typed[`q${row}_order`] = String(attribute.order);
    typed[`q${row}_hint`] = attribute.datatype_description ?? '';
    typed[`q${row}_values`] = (attribute.values ?? []).map((value) => `${value.key} = ${value.name}`).join('\n');
    if (attribute.required) typed[`q${row}_required`] = 'on';
    if (!attribute.variable) typed[`q${row}_informational`] = 'on';
  });
  typed.question_count = String(questions.length + 1);
  return typed;
}

const rowCount = (typed: Typed): number => Math.min(Math.max(Number(typed.question_count) || 1, 1), 200);

const blankRow = (typed: Typed, row: number): boolean =>
  !typed[`q${row}_code`]?.trim() && !typed[`q${row}_description`]?.trim() && !typed[`q${row}_values`]?.trim();

/**
 * The catalog-service.json body the form describes, and for each attribute the form row it came from (so a
 * problem the domain reports on attributes[i] is shown next to that row). Blank and removed rows are left out;
 * an empty order follows the rows above it.
 */
export function serviceBodyOf(typed: Typed): { body: Record<string, unknown>; rows: number[] } {
  const text = (name: string): string => (typed[name] ?? '').trim();
  const orNull = (name: string): string | null => (text(name) === '' ? null : text(name));
  const body: Record<string, unknown> = {
    service_code: text('service_code'),
    service_name: text('service_name'),
    description: orNull('description'),
    group: orNull('group'),
    type: text('type') || 'realtime',
    keywords: text('keywords')
      .split(',')
      .map((word) => word.trim())
      .filter((word) => word !== ''),
    agency_responsible: orNull('agency_responsible'),
    service_notice: orNull('service_notice'),
    response_hours:
      text('response_hours') === ''
        ? null
        : /^\d+$/.test(text('response_hours'))
          ? Number(text('response_hours'))
          : text('response_hours'),
  };
  const rows: number[] = [];
  const attributes: Array<Record<string, unknown>> = [];
  let lastOrder = 0;
  for (let row = 0; row < rowCount(typed); row += 1) {
    if (blankRow(typed, row) || typed[`q${row}_remove`]) continue;
    const datatype = text(`q${row}_datatype`) || 'string';
    const orderText = text(`q${row}_order`);
    const order = orderText === '' ? lastOrder + 1 : /^\d+$/.test(orderText) ? Number(orderText) : orderText;
    if (typeof order === 'number') lastOrder = Math.max(lastOrder, order);
    const attribute: Record<string, unknown> = {
      code: text(`q${row}_code`),
      description: text(`q${row}_description`),
      datatype,
      order,
      required: typed[`q${row}_required`] === 'on',
      variable: typed[`q${row}_informational`] !== 'on',
      datatype_description: orNull(`q${row}_hint`),
    };
    if (datatype === 'singlevaluelist' || datatype === 'multivaluelist') {
      attribute.values = text(`q${row}_values`)
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .map((line) => {
          const split = line.indexOf('=');
          const key = (split < 0 ? line : line.slice(0, split)).trim();
          const name = (split < 0 ? line : line.slice(split + 1)).trim();
          return { key, name };
        });
    }
    attributes.push(attribute);
    rows.push(row);
  }
  body.attributes = attributes;
  return { body, rows };
}

/** The field a catalog problem is about, so it is shown beside it (ids as serviceForm writes them). */
export function serviceErrorsOf(messages: string[], typed: Typed, rows: number[]): FieldError[] {
  return messages.map((message) => {
    const attribute = /^attributes\[(\d+)\][^:]*:\s*(.*)$/.exec(message);
    if (attribute) {
      const row = rows[Number(attribute[1])] ?? 0;
      const rest = attribute[2] ?? '';
      const part = /^values|value key/.test(rest)
        ? 'values'
        : (/^(code|datatype|order|datatype_description|description)\b/.exec(rest)?.[1] ?? 'description');
      return { field: `q${row}-${part === 'datatype_description' ? 'hint' : part}`, message };
    }
    const repeatedCode = /^attribute code (.+) is used more than once/.exec(message);
    if (repeatedCode) {
      const row = rows.find((candidate) => typed[`q${candidate}_code`]?.trim() === repeatedCode[1]) ?? 0;
      return { field: `q${row}-code`, message };
    }
    const repeatedOrder = /^order (\d+) is used by more than one/.exec(message);
    if (repeatedOrder) {
      const row = rows.find((candidate) => typed[`q${candidate}_order`]?.trim() === repeatedOrder[1]) ?? 0;
      return { field: `q${row}-order`, message };
    }
    const field =
      /^(service_code|service_name|description|group|type|keywords|agency_responsible|service_notice|response_hours)\b/.exec(
        message,
      )?.[1];
    return { field: `service-${field ?? 'service_name'}`, message };
  });
}

/** A labelled field with its hint and error; `control` gets the aria attributes that tie them to it. */
function field(
  id: string,
  label: string,
  hint: string | undefined,
  errors: readonly FieldError[] | undefined,
  control: (aria: SafeHtml) => SafeHtml,
): SafeHtml {
  const error = errors?.some((item) => item.field === id);
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const aria = html`${described ? html` aria-describedby="${described}"` : html``}${error ? html` aria-invalid="true"` : html``}`;
  return html`<div class="field${error ? ' field-has-error' : ''}">
  <label for="${id}">${label}</label>
  ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : html``}
  ${fieldError(errors, id)}
  ${control(aria)}
</div>`;
}

function input(
  id: string,
  name: string,
  label: string,
  typed: Typed,
  errors: readonly FieldError[] | undefined,
  options: { hint?: string; maxlength?: number; type?: string; readonly?: boolean; inputmode?: string } = {},
): SafeHtml {
  return field(
    id,
    label,
    options.hint,
    errors,
    (aria) =>
      html`<input type="${options.type ?? 'text'}" id="${id}" name="${name}" value="${typed[name] ?? ''}"${
        options.maxlength ? html` maxlength="${String(options.maxlength)}"` : html``
      }${options.readonly ? html` readonly` : html``}${options.inputmode ? html` inputmode="${options.inputmode}"` : html``}${aria}>`,
  );
}

function textarea(
  id: string,
  name: string,
  label: string,
  typed: Typed,
  errors: readonly FieldError[] | undefined,
  options: { hint?: string; rows?: number; maxlength?: number } = {},
): SafeHtml {
  return field(
    id,
    label,
    options.hint,
    errors,
    (aria) =>
      html`<textarea id="${id}" name="${name}" rows="${String(options.rows ?? 3)}"${options.maxlength ? html` maxlength="${String(options.maxlength)}"` : html``}${aria}>${typed[name] ?? ''}</textarea>`,
  );
}

function selectField(
  id: string,
  name: string,
  label: string,
  typed: Typed,
  choices: ReadonlyArray<readonly [string, string]>,
  errors?: readonly FieldError[],
): SafeHtml {
  return field(
    id,
    label,
    undefined,
    errors,
    (aria) =>
      html`<select id="${id}" name="${name}"${aria}>${choices.map(
        ([value, text]) =>
          html`<option value="${value}"${(typed[name] ?? '') === value ? html` selected` : html``}>${text}</option>`,
      )}</select>`,
  );
}

function checkbox(id: string, name: string, label: string, typed: Typed): SafeHtml {
  return html`<div class="field"><input type="checkbox" id="${id}" name="${name}"${typed[name] === 'on' ? html` checked` : html``}> <label for="${id}" class="inline-label">${label}</label></div>`;
}

function questionRow(typed: Typed, row: number, errors: readonly FieldError[] | undefined): SafeHtml {
  const number = row + 1;
  const isNew = blankRow(typed, row);
  return html`<fieldset class="question-row" id="question-${String(row)}">
  <legend>${isNew ? `New question` : `Question ${number}: ${typed[`q${row}_code`] ?? ''}`}</legend>
  ${input(`q${row}-description`, `q${row}_description`, 'Question (as residents read it)', typed, errors, { maxlength: 4000 })}
  ${input(`q${row}-code`, `q${row}_code`, 'Code', typed, errors, { hint: 'Letters, digits, dots, underscores or hyphens; how apps send the answer.', maxlength: 100 })}
  ${selectField(`q${row}-datatype`, `q${row}_datatype`, 'Answer type', typed, DATATYPES, errors)}
  ${textarea(`q${row}-values`, `q${row}_values`, 'Choices (for lists)', typed, errors, { hint: 'One per line: KEY = Name shown', rows: 3 })}
  ${input(`q${row}-hint`, `q${row}_hint`, 'Hint under the question', typed, errors, { maxlength: 1000 })}
  ${input(`q${row}-order`, `q${row}_order`, 'Order', typed, errors, { hint: 'Questions are asked from the smallest number up: change the numbers to reorder them.', inputmode: 'numeric', maxlength: 6 })}
  ${checkbox(`q${row}-required`, `q${row}_required`, 'An answer is required', typed)}
  ${checkbox(`q${row}-informational`, `q${row}_informational`, 'Information only (shows the text, asks nothing)', typed)}
  ${isNew ? html`` : checkbox(`q${row}-remove`, `q${row}_remove`, `Remove this question when saving`, typed)}
</fieldset>`;
}

/** The questions as the resident form asks them: the resident site's own form pieces, inert (no form). */
export function questionsPreview(serviceCode: string, attributes: Attribute[]): SafeHtml {
  if (attributes.length === 0) return html`<p class="muted">No questions beyond the description and location.</p>`;
  return html`<div class="preview" role="group" aria-label="Preview of the questions residents are asked">${[...attributes]
    .sort((a, b) => a.order - b.order)
    .map((attribute) => {
      const name = `preview-${serviceCode}-${attribute.code}`;
      const common = {
        name,
        id: name.replace(/[^A-Za-z0-9_-]/g, '-'),
        hint: attribute.datatype_description ?? undefined,
        mark: attribute.required ? '(required)' : '(optional)',
        errorPrefix: 'Error:',
      };
      if (!attribute.variable) return html`<p class="preview-text">${attribute.description}</p>`;
      if (attribute.datatype === 'singlevaluelist' || attribute.datatype === 'multivaluelist')
        return choiceField({
          ...common,
          legend: attribute.description,
          multiple: attribute.datatype === 'multivaluelist',
          choices: (attribute.values ?? []).map((value) => ({ value: value.key, label: value.name })),
          selected: [],
        });
      if (attribute.datatype === 'text') return textArea({ ...common, label: attribute.description, rows: 3 });
      return textField({
        ...common,
        label: attribute.description,
        ...(attribute.datatype === 'datetime' ? { type: 'datetime-local' as const } : {}),
        ...(attribute.datatype === 'number' ? { inputmode: 'decimal' as const } : {}),
      });
    })}</div>`;
}

export interface ServiceFormModel {
  mode: 'create' | 'edit';
  typed: Typed;
  errors?: FieldError[] | undefined;
  csrfToken: string;
  /** Edit: the fingerprint of the service as the form was opened. */
  fingerprint?: string | undefined;
  /** The questions to preview (from the typed rows when they could be read, else as stored). */
  preview: Attribute[];
  /** Edit: the service as stored now, shown when the save was refused because it changed meanwhile. */
  conflict?: StaffService | undefined;
  agencies: string[];
}

export function serviceFormBody(model: ServiceFormModel, nav: SafeHtml): SafeHtml {
  const { typed, errors } = model;
  const code = typed.service_code ?? '';
  const action =
    model.mode === 'create' ? `${ADMIN_PATH}/services/new` : `${ADMIN_PATH}/services/${encodeURIComponent(code)}/edit`;
  const title = model.mode === 'create' ? 'New service' : `Edit ${typed.service_name || code}`;
  return html`<h1>${title}</h1>
${nav}
${
  model.conflict
    ? html`<div class="flash flash-warning" role="alert"><p>Someone changed this service after you opened it, so nothing was saved. The form keeps what you typed; the saved definition is below. Check it, then save again.</p>
  <details open><summary>The service as saved now</summary><dl class="summary-list">
    <dt>Name</dt><dd>${model.conflict.service_name}</dd>
    <dt>Agency</dt><dd>${model.conflict.agency_responsible ?? '—'}</dd>
    <dt>Response target</dt><dd>${model.conflict.response_hours === null ? 'None' : `${model.conflict.response_hours} hours`}</dd>
    <dt>Questions</dt><dd>${model.conflict.attributes.map((attribute) => `${attribute.code} (${attribute.description})`).join('; ') || 'None'}</dd>
  </dl></details></div>`
    : html``
}
<form method="post" action="${action}" class="admin-form" novalidate>
  <input type="hidden" name="_csrf" value="${model.csrfToken}">
  ${model.fingerprint ? html`<input type="hidden" name="fingerprint" value="${model.fingerprint}">` : html``}
  <input type="hidden" name="question_count" value="${String(rowCount(typed))}">
  <fieldset><legend>The service</legend>
  ${input('service-service_code', 'service_code', 'Service code', typed, errors, {
    hint:
      model.mode === 'create'
        ? 'Letters, digits, dots, underscores or hyphens. It cannot change later.'
        : 'A service code cannot change.',
    maxlength: 100,
    readonly: model.mode === 'edit',
  })}
  ${input('service-service_name', 'service_name', 'Name', typed, errors, { maxlength: 200 })}
  ${textarea('service-description', 'description', 'Description', typed, errors, { maxlength: 4000, rows: 2 })}
  ${input('service-group', 'group', 'Group', typed, errors, { maxlength: 200, hint: 'Services of a group are listed together (and filtered together in the queue).' })}
  ${selectField(
    'service-type',
    'type',
    'Type',
    typed,
    [
      ['realtime', 'Realtime (answers with the request id)'],
      ['batch', 'Batch (answers with a token)'],
      ['blackbox', 'Blackbox (answers with neither)'],
    ],
    errors,
  )}
  ${input('service-keywords', 'keywords', 'Keywords', typed, errors, { hint: 'Separated by commas.' })}
  ${input('service-agency_responsible', 'agency_responsible', 'Default agency', typed, errors, { maxlength: 255, hint: model.agencies.length ? `Known agencies: ${model.agencies.join(', ')}.` : '' })}
  ${input('service-response_hours', 'response_hours', 'Response-time target (hours)', typed, errors, { inputmode: 'numeric', maxlength: 6, hint: 'A new request is due this many hours after it arrives; empty: no target.' })}
  ${textarea('service-service_notice', 'service_notice', 'Notice to staff and apps', typed, errors, { maxlength: 4000, rows: 2 })}
  </fieldset>
  <h2>Questions residents are asked</h2>
  ${Array.from({ length: rowCount(typed) }, (_, row) => questionRow(typed, row, errors))}
  <div class="actions-row">
    <button type="submit" name="action" value="save">${model.mode === 'create' ? 'Create the service' : 'Save the service'}</button>
    <button type="submit" name="action" value="add_question" class="button-secondary">Add another question</button>
    <button type="submit" name="action" value="preview" class="button-secondary">Preview the questions</button>
  </div>
</form>
<h2 id="preview-title">Preview: how the resident form asks them</h2>
${questionsPreview(code || 'new', model.preview)}`;
}

// ------------------------------------------------------------------------------------------- routing form

export interface RoutingFormModel {
  service: StaffService;
  typed: Typed;
  errors?: FieldError[] | undefined;
  csrfToken: string;
  fingerprint: string;
  agencies: Array<{ code: string; name: string }>;
  areas: AreaFeature[];
  conflict?: boolean;
}

export function typedOfRouting(service: StaffService, agencies: Array<{ code: string; name: string }>): Typed {
  const typed: Typed = Object.create(null);
  const codeOf = (agency: string): string =>
    agencies.find((item) => item.name === agency || item.code === agency)?.code ?? agency;
  service.routing.forEach((rule, row) => {
    typed[`rule${row}_area`] = rule.area ?? '';
    typed[`rule${row}_agency`] = codeOf(rule.agency);
  });
  typed.rule_count = String(service.routing.length + 1);
  typed.response_hours = service.response_hours === null ? '' : String(service.response_hours);
  typed.agency_responsible = service.agency_responsible ?? '';
  typed.offered_in = service.availability.join(',');
  return typed;
}

/** Where the service is offered: one checkbox per service area (area codes hold no comma; see catalog-area.json). */
function availabilityField(model: RoutingFormModel): SafeHtml {
  const { typed, errors } = model;
  if (model.areas.length === 0) {
    return html`<p>Offered everywhere: there are no service areas yet (add them under <a href="${ADMIN_PATH}/areas">Service areas</a>).</p>`;
  }
  const offered = new Set((typed.offered_in ?? '').split(',').filter((code) => code !== ''));
  const error = errors?.some((item) => item.field === 'offered-0');
  return html`<fieldset class="question-row${error ? ' field-has-error' : ''}" aria-describedby="offered-hint${error ? ' offered-0-error' : ''}">
    <legend>Where residents can report it</legend>
    <p class="hint" id="offered-hint">Tick the areas where the service is offered. None ticked: everywhere.</p>
    ${fieldError(errors, 'offered-0')}
    ${model.areas.map(
      (area, index) =>
        html`<div class="field"><input type="checkbox" id="offered-${String(index)}" name="offered_in" value="${area.properties.code}"${offered.has(area.properties.code) ? html` checked` : html``}> <label for="offered-${String(index)}" class="inline-label">${area.properties.name} <span class="muted">(${area.properties.code})</span></label></div>`,
    )}
  </fieldset>`;
}

export const ruleCount = (typed: Typed): number => Math.min(Math.max(Number(typed.rule_count) || 1, 1), 100);

export function routingFormBody(model: RoutingFormModel, nav: SafeHtml): SafeHtml {
  const { typed, errors, service } = model;
  const areaChoices: Array<[string, string]> = [
    ['', 'Anywhere (no area)'],
    ...model.areas.map((area): [string, string] => [area.properties.code, area.properties.name]),
  ];
  const agencyChoices: Array<[string, string]> = [
    ['', '— no rule —'],
    ...model.agencies.map((agency): [string, string] => [agency.code, agency.name]),
  ];
  return html`<h1>Routing of ${service.service_name}</h1>
${nav}
${
  model.conflict
    ? html`<div class="flash flash-warning" role="alert"><p>Someone changed this service’s routing or target after you opened it, so nothing was saved. The form keeps what you typed; the table on the routing page shows what is saved now. Check it, then save again.</p></div>`
    : html``
}
<p>A new request goes to the agency of the rule for the area its point is in, else of the rule without an area, else to the default agency.</p>
<form method="post" action="${ADMIN_PATH}/routing/${encodeURIComponent(service.service_code)}" class="admin-form" novalidate>
  <input type="hidden" name="_csrf" value="${model.csrfToken}">
  <input type="hidden" name="fingerprint" value="${model.fingerprint}">
  <input type="hidden" name="rule_count" value="${String(ruleCount(typed))}">
  ${availabilityField(model)}
  ${input('routing-agency_responsible', 'agency_responsible', 'Default agency', typed, errors, { maxlength: 255 })}
  ${input('routing-response_hours', 'response_hours', 'Response-time target (hours)', typed, errors, { inputmode: 'numeric', maxlength: 6, hint: 'Empty: no target.' })}
  ${Array.from(
    { length: ruleCount(typed) },
    (_, row) => html`<fieldset class="question-row"><legend>Rule ${String(row + 1)}</legend>
    ${selectField(`rule${row}-area`, `rule${row}_area`, 'Area', typed, areaChoices, errors)}
    ${selectField(`rule${row}-agency`, `rule${row}_agency`, 'Agency', typed, agencyChoices, errors)}
  </fieldset>`,
  )}
  <div class="actions-row">
    <button type="submit" name="action" value="save">Save the routing</button>
    <button type="submit" name="action" value="add_rule" class="button-secondary">Add another rule</button>
  </div>
</form>`;
}

// ----------------------------------------------------------------------------------------------- templates

export function typedOfTemplate(template: ResponseTemplate): Typed {
  const typed: Typed = Object.create(null);
  typed.name = template.name;
  typed.text = template.text;
  typed.service_code = template.service_code ?? '';
  typed.status = template.status ?? '';
  return typed;
}

export function templateErrorsOf(messages: string[], prefix: string): FieldError[] {
  return messages.map((message) => ({
    field: `${prefix}-${/^(name|text|service_code|status)\b/.exec(message)?.[1] ?? (/named/.test(message) ? 'name' : /service/.test(message) ? 'service_code' : 'name')}`,
    message,
  }));
}

export function templateForm(
  prefix: string,
  action: string,
  button: string,
  typed: Typed,
  csrfToken: string,
  services: StaffService[],
  errors?: FieldError[],
  fingerprint?: string,
): SafeHtml {
  return html`<form method="post" action="${action}" class="admin-form" novalidate>
  <input type="hidden" name="_csrf" value="${csrfToken}">
  ${fingerprint ? html`<input type="hidden" name="fingerprint" value="${fingerprint}">` : html``}
  ${input(`${prefix}-name`, 'name', 'Name', typed, errors, { maxlength: 200 })}
  ${textarea(`${prefix}-text`, 'text', 'Public note', typed, errors, { maxlength: 4000, rows: 4, hint: 'What the resident reads; staff can edit it before sending.' })}
  ${selectField(
    `${prefix}-service_code`,
    'service_code',
    'For the service',
    typed,
    [['', 'Any service'], ...services.map((service): [string, string] => [service.service_code, service.service_name])],
    errors,
  )}
  ${selectField(
    `${prefix}-status`,
    'status',
    'Sets the status',
    typed,
    [
      ['', 'No change of status'],
      ...(Object.keys(STATUS_LABELS) as DetailedStatus[])
        .filter((status) => status !== 'duplicate')
        .map((status): [string, string] => [status, STATUS_LABELS[status]]),
    ],
    errors,
  )}
  <button type="submit">${button}</button>
</form>`;
}

export function templatesBody(
  templates: ResponseTemplate[],
  services: StaffService[],
  csrfToken: string,
  nav: SafeHtml,
  typed: Typed,
  errors?: FieldError[],
): SafeHtml {
  const serviceName = (code: string | null): string =>
    code === null ? 'Any service' : (services.find((service) => service.service_code === code)?.service_name ?? code);
  return html`<h1>Response templates</h1>
${nav}
<p>Public notes staff pick when they change a request (they can still edit the text).</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)"><table>
  <caption>Response templates</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">Note</th><th scope="col">Service</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${
    templates.length === 0
      ? html`<tr><td colspan="5">No templates yet.</td></tr>`
      : templates.map(
          (
            template,
          ) => html`<tr><th scope="row">${template.name}</th><td>${template.text}</td><td>${serviceName(template.service_code)}</td>
    <td>${template.status === null ? '—' : (STATUS_LABELS[template.status as DetailedStatus] ?? template.status)}</td>
    <td><a href="${ADMIN_PATH}/templates/${template.id}">Edit<span class="visually-hidden"> ${template.name}</span></a>
      <form method="post" action="${ADMIN_PATH}/templates/${template.id}/delete" class="inline-form"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit" class="button-link">Delete<span class="visually-hidden"> ${template.name}</span></button></form></td></tr>`,
        )
  }</tbody>
</table></div>
<h2>New template</h2>
${templateForm('template', `${ADMIN_PATH}/templates`, 'Create the template', typed, csrfToken, services, errors)}`;
}

// ------------------------------------------------------------------------------------------------ webhooks

export function webhookForm(csrfToken: string, typed: Typed, errors?: FieldError[]): SafeHtml {
  const events = (typed.events ?? '').split(',');
  const eventsError = errors?.some((item) => item.field === 'webhook-events');
  return html`<h2>Add a webhook</h2>
<form method="post" action="${ADMIN_PATH}/webhooks" class="admin-form" novalidate>
  <input type="hidden" name="_csrf" value="${csrfToken}">
  ${input('webhook-url', 'url', 'Receiver URL', typed, errors, { type: 'url', maxlength: 2000, hint: 'https://… of the system that receives the events.' })}
  <fieldset id="webhook-events"${eventsError ? html` aria-describedby="webhook-events-error"` : html``}><legend>Events</legend>
    ${fieldError(errors, 'webhook-events')}
    ${[
      ['request.created', 'A request is created'],
      ['request.updated', 'A request changes'],
    ].map(
      ([value, label], index) =>
        html`<div class="field"><input type="checkbox" id="webhook-event-${String(index)}" name="events" value="${value}"${events.includes(value ?? '') || typed.events === undefined ? html` checked` : html``}> <label for="webhook-event-${String(index)}" class="inline-label">${label} (<code>${value}</code>)</label></div>`,
    )}
  </fieldset>
  <button type="submit">Add the webhook</button>
</form>`;
}
