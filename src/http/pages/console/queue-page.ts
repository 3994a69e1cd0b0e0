// The queue page: the staff API's queue (workflow.queue, the same validation and SQL) as a table. Every filter
// lives in the URL with the API's parameter names, so a view can be bookmarked, shared and exported as is.
import type { Request } from 'express';
import type { StaffService } from '../../../domain/catalog.js';
import { pageCount } from '../../../domain/paging.js';
import { STATUS_LABELS, type DetailedStatus } from '../../../domain/workflow.js';
import type { StaffRequestSummary } from '../../../store/staff-requests-store.js';
import { type SafeHtml, html } from '../html.js';
import { formatDateTime, slaOf, slaTag, truncate } from './display.js';
import { CONSOLE_BASE_PATH } from './layout.js';

/** The queue's URL parameters, in the order the page writes them (the API's names). */
export const QUEUE_PARAMETERS = [
  'q',
  'status',
  'service_code',
  'group',
  'agency',
  'assigned_to',
  'overdue',
  'suspected_duplicate',
  'start_date',
  'end_date',
  'bbox',
  'lat',
  'long',
  'radius',
  'sort',
  'page',
  'page_size',
] as const;

export type QueueParameters = Map<string, string[]>;

/** The queue parameters of a request's query string (lists split on commas, as the API reads them). */
export function queueParametersOf(query: Request['query']): QueueParameters {
  const parameters: QueueParameters = new Map();
  for (const name of QUEUE_PARAMETERS) {
    const raw = query[name];
    const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
      .filter((value): value is string => typeof value === 'string')
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== '');
    if (values.length > 0) parameters.set(name, values);
  }
  return parameters;
}

/** The same parameters as the API's query object. */
export function apiQueryOf(parameters: QueueParameters): Record<string, string> {
  const query: Record<string, string> = Object.create(null);
  for (const [name, values] of parameters) query[name] = values.join(',');
  return query;
}

export function queryStringOf(parameters: QueueParameters, changes: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  const merged = new Map(parameters);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) merged.delete(name);
    else merged.set(name, [value]);
  }
  for (const name of QUEUE_PARAMETERS) {
    const values = merged.get(name);
    if (values) search.set(name, values.join(','));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The queue page counts matches this far ("more than 10,000"): an exact count of a large city's every request costs more than its page. */
export const QUEUE_COUNT_LIMIT = 10_000;

export const STATUS_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: 'open', label: 'Open (any)' },
  { value: 'closed', label: 'Closed (any)' },
  ...(Object.keys(STATUS_LABELS) as DetailedStatus[]).map((value) => ({ value, label: STATUS_LABELS[value] })),
];

export interface QueueViewModel {
  parameters: QueueParameters;
  services: StaffService[];
  agencies: string[];
  people: Array<{ id: string; name: string }>;
  /** `total_capped`: more than `total` match (the queue counts up to QUEUE_COUNT_LIMIT). */
  result: { total: number; total_capped?: true; page: number; page_size: number; requests: StaffRequestSummary[] } | undefined;
  timeZone: string;
  now: Date;
  csrfToken: string;
  savedViews: Array<{ id: string; name: string; query: string }>;
  templates: Array<{ id: string; title: string; text: string }>;
  /** The current person's id for "assigned to me". */
  meId: string;
  assignmentAvailable: boolean;
}

const selected = (parameters: QueueParameters, name: string, value: string): SafeHtml =>
  parameters.get(name)?.includes(value) ? html` selected` : html``;

function select(
  parameters: QueueParameters,
  name: string,
  label: string,
  options: ReadonlyArray<{ value: string; label: string }>,
): SafeHtml {
  return html`<div class="field">
  <label for="filter-${name}">${label}</label>
  <select id="filter-${name}" name="${name}">
    <option value="">Any</option>
    ${options.map((option) => html`<option value="${option.value}"${selected(parameters, name, option.value)}>${option.label}</option>`)}
  </select>
</div>`;
}

export function filtersForm(
  model: Pick<QueueViewModel, 'parameters' | 'services' | 'agencies' | 'people' | 'assignmentAvailable'>,
  action = `${CONSOLE_BASE_PATH}/`,
): SafeHtml {
  const parameters = model.parameters;
  const value = (name: string): string => parameters.get(name)?.join(',') ?? '';
  const sort = value('sort');
  const pageSize = value('page_size');
  return html`<form method="get" action="${action}" class="filters" role="search" aria-label="Filter the queue" data-queue-filters>
  <div class="field">
    <label for="filter-q">Search text</label>
    <input type="search" id="filter-q" name="q" value="${value('q')}" maxlength="200" aria-describedby="filter-q-hint" data-search>
    <p class="hint" id="filter-q-hint">In the description or address. Shortcut: <kbd>/</kbd></p>
  </div>
  ${select(parameters, 'status', 'Status', STATUS_CHOICES)}
  ${select(
    parameters,
    'service_code',
    'Service',
    model.services.map((service) => ({
      value: service.service_code,
      label: service.group ? `${service.group}: ${service.service_name}` : service.service_name,
    })),
  )}
  ${select(
    parameters,
    'group',
    'Service group',
    [...new Set(model.services.map((service) => service.group ?? '').filter((group) => group !== ''))]
      .sort()
      .map((group) => ({ value: group, label: group })),
  )}
  ${select(
    parameters,
    'agency',
    'Agency',
    model.agencies.map((agency) => ({ value: agency, label: agency })),
  )}
  ${
    model.assignmentAvailable
      ? select(parameters, 'assigned_to', 'Assigned to', [
          { value: 'me', label: 'Me' },
          { value: 'none', label: 'Unassigned' },
          ...model.people.map((person) => ({ value: person.id, label: person.name })),
        ])
      : html``
  }
  ${select(parameters, 'overdue', 'Overdue', [
    { value: 'true', label: 'Overdue only' },
    { value: 'false', label: 'Not overdue' },
  ])}
  ${select(parameters, 'suspected_duplicate', 'Suspected duplicate', [
    { value: 'true', label: 'Suspected duplicates' },
    { value: 'false', label: 'Not suspected' },
  ])}
  <div class="field">
    <label for="filter-start_date">Received from</label>
    <input type="date" id="filter-start_date" name="start_date" value="${value('start_date')}">
  </div>
  <div class="field">
    <label for="filter-end_date">Received to</label>
    <input type="date" id="filter-end_date" name="end_date" value="${value('end_date')}">
  </div>
  <div class="field">
    <label for="filter-bbox">Area (box)</label>
    <input type="text" id="filter-bbox" name="bbox" value="${value('bbox')}" inputmode="decimal" size="24" aria-describedby="filter-bbox-hint">
    <p class="hint" id="filter-bbox-hint">minLong,minLat,maxLong,maxLat — or draw it on the map page</p>
  </div>
  ${
    parameters.has('lat')
      ? html`<input type="hidden" name="lat" value="${value('lat')}"><input type="hidden" name="long" value="${value('long')}"><input type="hidden" name="radius" value="${value('radius')}">`
      : html``
  }
  ${sort ? html`<input type="hidden" name="sort" value="${sort}">` : html``}
  <div class="field">
    <label for="filter-page_size">Rows per page</label>
    <select id="filter-page_size" name="page_size">
      ${['25', '50', '100', '200'].map((size) => html`<option value="${size}"${(pageSize || '50') === size ? html` selected` : html``}>${size}</option>`)}
    </select>
  </div>
  <div class="actions-row">
    <button type="submit">Apply filters</button>
    <a href="${action}" class="button button-secondary">Clear</a>
  </div>
</form>`;
}

const SORTABLE: ReadonlyArray<{ column: string; label: string }> = [
  { column: 'requested_datetime', label: 'Received' },
  { column: 'updated_datetime', label: 'Updated' },
  { column: 'expected_datetime', label: 'Due' },
];

function sortHeader(parameters: QueueParameters, column: string, label: string): SafeHtml {
  const current = parameters.get('sort')?.[0] ?? '-requested_datetime';
  const active = current.replace(/^-/, '') === column;
  const descending = active && current.startsWith('-');
  // Clicking the active column flips it; a new column starts with the order that makes sense for it.
  const next = active ? (descending ? column : `-${column}`) : column === 'expected_datetime' ? column : `-${column}`;
  const ariaSort = active ? (descending ? 'descending' : 'ascending') : 'none';
  const arrow = active ? (descending ? ' ▼' : ' ▲') : '';
  return html`<th scope="col" aria-sort="${ariaSort}"><a href="${CONSOLE_BASE_PATH}/${queryStringOf(parameters, { sort: next, page: undefined })}">${label}<span aria-hidden="true">${arrow}</span><span class="visually-hidden">, sort ${next.startsWith('-') ? 'newest first' : 'oldest first'}</span></a></th>`;
}

function row(request: StaffRequestSummary, model: QueueViewModel): SafeHtml {
  const sla = slaOf(request, model.now);
  const label = STATUS_LABELS[request.detailed_status as DetailedStatus] ?? request.detailed_status;
  const assignee = request.assigned_to?.name;
  return html`<tr data-request-row data-id="${request.service_request_id}" data-version="${String(request.version)}">
  <td><input type="checkbox" name="id" value="${request.service_request_id}:${String(request.version)}" form="bulk-form" id="select-${request.service_request_id}" aria-label="Select request ${request.service_request_id}"></td>
  <td><a href="${CONSOLE_BASE_PATH}/requests/${request.service_request_id}" data-open>${request.service_request_id}</a></td>
  <td>${request.service_name}${request.suspected_duplicate_of ? html`<br><span class="tag tag-duplicate">Possible duplicate of ${request.suspected_duplicate_of}</span>` : html``}</td>
  <td>${truncate(request.description, 90)}<br><span class="muted">${request.address ?? ''}</span></td>
  <td>${label}</td>
  <td>${request.agency_responsible ?? ''}${model.assignmentAvailable ? html`<br><span class="muted">${assignee ? assignee : 'Unassigned'}</span>` : html``}</td>
  <td>${formatDateTime(request.requested_datetime, model.timeZone)}</td>
  <td>${formatDateTime(request.updated_datetime, model.timeZone)}</td>
  <td>${slaTag(sla)}${request.expected_datetime ? html`<br><span class="muted">${formatDateTime(request.expected_datetime, model.timeZone)}</span>` : html``}</td>
</tr>`;
}

function pagination(model: QueueViewModel): SafeHtml {
  const result = model.result;
  if (!result || (result.total <= result.page_size && !result.total_capped)) return html``;
  const capped = result.total_capped === true;
  // Past the counted matches, pages go on as long as they come back full.
  const pages = Math.max(
    pageCount(result.total, result.page_size),
    capped && result.requests.length === result.page_size ? result.page + 1 : result.page,
  );
  const link = (page: number, text: string, rel?: string): SafeHtml =>
    html`<a href="${CONSOLE_BASE_PATH}/${queryStringOf(model.parameters, { page: page === 1 ? undefined : String(page) })}"${rel ? html` rel="${rel}"` : html``}>${text}</a>`;
  const around = [1, result.page - 1, result.page, result.page + 1, ...(capped ? [] : [pages])].filter(
    (page, index, list) => page >= 1 && page <= pages && list.indexOf(page) === index,
  );
  around.sort((a, b) => a - b);
  return html`<nav class="pagination" aria-label="Pages of the queue">
  <ul>
    ${result.page > 1 ? html`<li>${link(result.page - 1, 'Previous', 'prev')}</li>` : html``}
    ${around.map((page) =>
      page === result.page
        ? html`<li><a aria-current="page" href="${CONSOLE_BASE_PATH}/${queryStringOf(model.parameters, { page: page === 1 ? undefined : String(page) })}">Page ${String(page)}</a></li>`
        : html`<li>${link(page, `Page ${page}`)}</li>`,
    )}
    ${result.page < pages ? html`<li>${link(result.page + 1, 'Next', 'next')}</li>` : html``}
  </ul>
  <span>Page ${String(result.page)} of ${capped ? `more than ${String(Math.max(pageCount(result.total, result.page_size), result.page))}` : String(pages)}</span>
</nav>`;
}

function bulkForm(model: QueueViewModel): SafeHtml {
  const returnTo = `${CONSOLE_BASE_PATH}/${queryStringOf(model.parameters)}`;
  return html`<form method="post" action="${CONSOLE_BASE_PATH}/bulk" id="bulk-form" class="filters no-print" aria-labelledby="bulk-title">
  <h2 id="bulk-title" class="visually-hidden">Change the selected requests</h2>
  <input type="hidden" name="_csrf" value="${model.csrfToken}">
  <input type="hidden" name="return_to" value="${returnTo}">
  <div class="field">
    <label for="bulk-action">With the selected requests</label>
    <select id="bulk-action" name="action">
      ${model.assignmentAvailable ? html`<option value="assign_me">Assign to me</option>` : html``}
      ${model.assignmentAvailable ? html`<option value="assign">Assign to the person chosen</option>` : html``}
      <option value="status">Change status to the one chosen</option>
      <option value="close">Close with the note or template</option>
    </select>
  </div>
  ${
    model.assignmentAvailable
      ? html`<div class="field">
    <label for="bulk-assignee">Person</label>
    <select id="bulk-assignee" name="assigned_to">
      <option value="">—</option>
      ${model.people.map((person) => html`<option value="${person.id}">${person.name}</option>`)}
    </select>
  </div>`
      : html``
  }
  <div class="field">
    <label for="bulk-status">Status</label>
    <select id="bulk-status" name="status">
      ${(Object.keys(STATUS_LABELS) as DetailedStatus[])
        .filter((status) => status !== 'duplicate')
        .map((status) => html`<option value="${status}">${STATUS_LABELS[status]}</option>`)}
    </select>
  </div>
  <div class="field">
    <label for="bulk-template">Template</label>
    <select id="bulk-template" name="template" data-template-select="bulk-note">
      <option value="">None</option>
      ${model.templates.map((template) => html`<option value="${template.id}" data-text="${template.text}">${template.title}</option>`)}
    </select>
  </div>
  <div class="field">
    <label for="bulk-note">Public note</label>
    <textarea id="bulk-note" name="status_notes" rows="2" maxlength="4000"></textarea>
  </div>
  <button type="submit">Apply to selected</button>
</form>`;
}

function savedViewsBlock(model: QueueViewModel): SafeHtml {
  const current = queryStringOf(model.parameters, { page: undefined });
  return html`<details class="no-print">
  <summary>Saved views (${String(model.savedViews.length)})</summary>
  ${
    model.savedViews.length > 0
      ? html`<ul>${model.savedViews.map(
          (view) => html`<li><a href="${CONSOLE_BASE_PATH}/${view.query}">${view.name}</a>
    <form method="post" action="${CONSOLE_BASE_PATH}/views/${view.id}/delete" class="inline-form">
      <input type="hidden" name="_csrf" value="${model.csrfToken}">
      <button type="submit" class="button-link">Delete<span class="visually-hidden"> the view ${view.name}</span></button>
    </form></li>`,
        )}</ul>`
      : html`<p>No saved views yet.</p>`
  }
  <form method="post" action="${CONSOLE_BASE_PATH}/views" class="actions-row">
    <input type="hidden" name="_csrf" value="${model.csrfToken}">
    <input type="hidden" name="query" value="${current}">
    <div class="field"><label for="view-name">Save these filters as</label>
    <input type="text" id="view-name" name="name" maxlength="100" required></div>
    <button type="submit" class="button-secondary">Save view</button>
  </form>
</details>`;
}

function shortcutsDialog(model: QueueViewModel): SafeHtml {
  const keys: Array<[string, string]> = [
    ['j', 'Next request'],
    ['k', 'Previous request'],
    ['Enter', 'Open the current request'],
    ...(model.assignmentAvailable ? ([['a', 'Assign the current request to me']] as Array<[string, string]>) : []),
    ['c', 'Close the current request with a template (choose it, then Apply)'],
    ['/', 'Search'],
    ['?', 'This list'],
  ];
  return html`<dialog id="shortcuts" class="shortcut-dialog" aria-labelledby="shortcuts-title">
  <h2 id="shortcuts-title">Keyboard shortcuts</h2>
  <dl class="summary-list">${keys.map(([key, what]) => html`<dt><kbd>${key}</kbd></dt><dd>${what}</dd>`)}</dl>
  <p>Shortcuts do nothing while you type in a field. Everything they do can also be reached with Tab.</p>
  <form method="dialog"><button type="submit">Close</button></form>
</dialog>`;
}

export function queueBody(model: QueueViewModel): SafeHtml {
  const result = model.result;
  const exportLink = `${CONSOLE_BASE_PATH}/export.csv${queryStringOf(model.parameters, { page: undefined, page_size: undefined })}`;
  const first = result ? (result.page - 1) * result.page_size + 1 : 0;
  const last = result ? first + result.requests.length - 1 : 0;
  return html`<h1>Queue</h1>
${filtersForm(model)}
${savedViewsBlock(model)}
<p class="actions-row no-print">
  <a href="${exportLink}" class="button button-secondary" download>Download CSV of this view</a>
  <a href="${CONSOLE_BASE_PATH}/map${queryStringOf(model.parameters, { page: undefined })}" class="button button-secondary">Show on the map</a>
  <button type="button" class="button-secondary" data-shortcuts-open>Keyboard shortcuts</button>
</p>
${
  result
    ? html`<p id="queue-count" aria-live="polite" data-queue-count>${
        result.total === 0
          ? 'No requests match these filters.'
          : result.total_capped
            ? `Showing ${first}–${last} of more than ${result.total.toLocaleString('en-US')} requests.`
            : `Showing ${first}–${last} of ${result.total} request${result.total === 1 ? '' : 's'}.`
      }</p>
<p class="no-print" aria-live="polite" data-live-status></p>
${bulkForm(model)}
<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)">
<table class="queue-table" data-queue-table>
  <caption class="visually-hidden">Requests matching the filters</caption>
  <thead><tr>
    <th scope="col"><span class="visually-hidden">Select</span></th>
    <th scope="col">Request</th>
    <th scope="col">Service</th>
    <th scope="col">Description and address</th>
    <th scope="col">Status</th>
    <th scope="col">Agency and assignee</th>
    ${SORTABLE.map((column) => sortHeader(model.parameters, column.column, column.label))}
  </tr></thead>
  <tbody>${result.requests.map((request) => row(request, model))}</tbody>
</table>
</div>
${pagination(model)}`
    : html``
}
${shortcutsDialog(model)}`;
}
