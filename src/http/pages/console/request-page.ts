// One request as staff see it: every public field, the answers with their questions' labels, photos, the
// location on a map, the submitter's contact, one timeline (public history, internal notes, audit) and the
// actions. A change made on an old version is shown as a conflict with what changed, never applied silently.
import type { Attribute } from '../../../domain/types.js';
import { STATUS_LABELS, type DetailedStatus } from '../../../domain/workflow.js';
import type { StaffRequest } from '../../../store/staff-requests-store.js';
import { type SafeHtml, html, raw } from '../html.js';
import { formatDateTime, slaOf, slaTag } from './display.js';
import { CONSOLE_BASE_PATH, type FieldError, fieldError } from './layout.js';

export interface DuplicateCandidate {
  service_request_id: string;
  description: string | null;
  address: string | null;
  distance_meters: number;
  requested_datetime: Date;
  detailed_status: string;
}

/** What the person had seen and typed when their change met a newer version. */
export interface Conflict {
  seen: Record<string, string>;
  typed: Record<string, string>;
}

export interface RequestViewModel {
  request: StaffRequest;
  attributes: Attribute[];
  duplicates: DuplicateCandidate[];
  agencies: string[];
  people: Array<{ id: string; name: string }>;
  templates: Array<{ id: string; title: string; text: string }>;
  assignmentAvailable: boolean;
  assignee: string | null;
  timeZone: string;
  now: Date;
  csrfToken: string;
  map: { tileUrl: string; attribution: string };
  conflict?: Conflict | undefined;
  errors?: FieldError[] | undefined;
  /** What was typed in a form that came back with errors, so that it comes back filled. */
  typed?: Record<string, string> | undefined;
  /** The queue the person came from, for the back link. */
  backTo: string;
  /** The e-mails about this request (identity's notifications): what went out and when, never a follower's address. */
  notifications?: Array<{
    template: string;
    recipient_role: string;
    recipient?: string;
    status: string;
    created_at: Date | string;
    sent_at: Date | string | null;
  }>;
}

const statusLabel = (status: string): string => STATUS_LABELS[status as DetailedStatus] ?? status;

/** The values a conflict compares, as the person saw them (hidden fields of every change form). */
export function snapshotOf(request: StaffRequest): Record<string, string> {
  return {
    status: request.detailed_status,
    status_notes: request.status_notes ?? '',
    agency_responsible: request.agency_responsible ?? '',
    expected_datetime: request.expected_datetime ? new Date(request.expected_datetime).toISOString() : '',
  };
}

const SNAPSHOT_LABELS: Record<string, string> = {
  status: 'Status',
  status_notes: 'Public note',
  agency_responsible: 'Agency',
  expected_datetime: 'Expected',
};

function answerText(attribute: Attribute | undefined, values: string[], timeZone: string): string {
  // Stored as ISO in UTC; staff read it in the city's time like every other date of the page.
  if (attribute?.datatype === 'datetime') return values.map((value) => formatDateTime(value, timeZone) || value).join(', ');
  if (!attribute?.values) return values.join(', ');
  return values.map((value) => attribute.values?.find((option) => option.key === value)?.name ?? value).join(', ');
}

function details(model: RequestViewModel): SafeHtml {
  const request = model.request;
  const sla = slaOf(request, model.now);
  const rows: Array<[string, SafeHtml | string]> = [
    ['Status', html`${statusLabel(request.detailed_status)} <span class="muted">(${request.status})</span>`],
    ['Public note', request.status_notes ?? ''],
    ['Service', `${request.service_name} (${request.service_code})`],
    ['Description', request.description ?? ''],
    ['Title', request.title ?? ''],
    ['Address', request.address ?? ''],
    ['Address id', request.address_id ?? ''],
    ['ZIP code', request.zipcode ?? ''],
    ['Location', request.lat === null ? '' : `${request.lat?.toFixed(6)}, ${request.long?.toFixed(6)}`],
    ['Received', formatDateTime(request.requested_datetime, model.timeZone)],
    ['Updated', formatDateTime(request.updated_datetime, model.timeZone)],
    ['Expected', html`${formatDateTime(request.expected_datetime, model.timeZone)} ${slaTag(sla)}`],
    ['Closed', formatDateTime(request.closed_datetime, model.timeZone)],
    ['Agency', request.agency_responsible ?? ''],
    ...(model.assignmentAvailable ? ([['Assigned to', model.assignee ?? 'Nobody']] as Array<[string, string]>) : []),
    ['Service notice', request.service_notice ?? ''],
    ['Channel', request.channel ?? ''],
    [
      'Duplicate of',
      request.duplicate_of
        ? html`<a href="${CONSOLE_BASE_PATH}/requests/${request.duplicate_of}">Request ${request.duplicate_of}</a>`
        : '',
    ],
    [
      'Suspected duplicate of',
      request.suspected_duplicate_of
        ? html`<a href="${CONSOLE_BASE_PATH}/requests/${request.suspected_duplicate_of}">Request ${request.suspected_duplicate_of}</a>`
        : '',
    ],
    ['Version', String(request.version)],
  ];
  return html`<dl class="summary-list">${rows.map(([label, value]) => html`<dt>${label}</dt><dd>${value === '' ? html`<span class="muted">—</span>` : value}</dd>`)}</dl>`;
}

function answers(model: RequestViewModel): SafeHtml {
  const entries = Object.entries(model.request.attributes ?? {});
  if (entries.length === 0) return html`<p class="muted">No answers to the service’s questions.</p>`;
  const byCode = new Map(model.attributes.map((attribute) => [attribute.code, attribute]));
  return html`<dl class="summary-list">${entries.map(([code, values]) => {
    const attribute = byCode.get(code);
    return html`<dt>${attribute?.description ?? code}</dt><dd>${answerText(attribute, values, model.timeZone)}</dd>`;
  })}</dl>`;
}

function photos(request: StaffRequest): SafeHtml {
  if (!request.media_urls || request.media_urls.length === 0) return html`<p class="muted">No photos.</p>`;
  return html`<ul class="photo-list">${request.media_urls.map(
    (url, index) =>
      html`<li><a href="${url}"><img src="${url}" alt="Photo ${String(index + 1)} sent with the request" loading="lazy" width="240"></a></li>`,
  )}</ul>`;
}

function contact(request: StaffRequest): SafeHtml {
  const submitter = request.submitter;
  const present = submitter && Object.values(submitter).some((value) => value);
  if (!present) return html`<p class="muted">The submitter left no contact details.</p>`;
  const name = [submitter.first_name, submitter.last_name].filter(Boolean).join(' ');
  return html`<dl class="summary-list">
  ${name ? html`<dt>Name</dt><dd>${name}</dd>` : html``}
  ${submitter.email ? html`<dt>Email</dt><dd><a href="mailto:${submitter.email}">${submitter.email}</a></dd>` : html``}
  ${submitter.phone ? html`<dt>Phone</dt><dd><a href="tel:${submitter.phone}">${submitter.phone}</a></dd>` : html``}
  ${submitter.account_id ? html`<dt>Account</dt><dd>${submitter.account_id}</dd>` : html``}
  ${submitter.device_id ? html`<dt>Device</dt><dd>${submitter.device_id}</dd>` : html``}
</dl>`;
}

function describeChanges(changes: unknown): string {
  if (!changes || typeof changes !== 'object') return '';
  const parts: string[] = [];
  for (const [field, value] of Object.entries(changes as Record<string, unknown>)) {
    if (field === 'internal_note') {
      parts.push('added an internal note');
      continue;
    }
    const change = value as { from?: unknown; to?: unknown } | null;
    const show = (item: unknown): string =>
      item === null || item === undefined || item === ''
        ? 'nothing'
        : field.endsWith('status')
          ? statusLabel(String(item))
          : String(item);
    if (change && typeof change === 'object' && 'to' in change)
      parts.push(`${field.replace(/_/g, ' ')}: ${show(change.from)} → ${show(change.to)}`);
  }
  return parts.join('; ');
}

function timeline(model: RequestViewModel): SafeHtml {
  type Entry = { at: Date; kind: 'public' | 'internal' | 'audit'; title: string; text: string; who?: string };
  const entries: Entry[] = [
    { at: new Date(model.request.requested_datetime), kind: 'public', title: 'Received', text: model.request.description ?? '' },
    ...model.request.history.map(
      (entry): Entry => ({
        at: new Date(entry.datetime),
        kind: entry.public ? 'public' : 'internal',
        title: entry.public
          ? `Public update: ${entry.summary ?? statusLabel(entry.detailed_status)}`
          : (entry.summary ?? 'Internal note'),
        text: entry.description ?? '',
      }),
    ),
    ...model.request.audit.map(
      (entry): Entry => ({
        at: new Date(entry.occurred_at),
        kind: 'audit',
        title: `Changed by ${entry.actor}`,
        text: describeChanges(entry.changes),
      }),
    ),
  ];
  entries.sort((a, b) => a.at.getTime() - b.at.getTime());
  const kindLabel = { public: 'Public', internal: 'Internal', audit: 'Audit' } as const;
  return html`<ol class="timeline">${entries.map(
    (entry) => html`<li class="entry-${entry.kind}">
  <p class="entry-meta"><span class="tag">${kindLabel[entry.kind]}</span> <time datetime="${entry.at.toISOString()}">${formatDateTime(entry.at, model.timeZone)}</time></p>
  <p><strong>${entry.title}</strong>${entry.text ? html`<br>${entry.text}` : html``}</p>
</li>`,
  )}</ol>`;
}

const MAIL_LABELS = new Map([
  ['confirmation', 'Receipt'],
  ['update', 'Update'],
  ['closed', 'Closed ("not fixed?")'],
  ['follow-confirm', 'Follow confirmation'],
  ['alert', 'Area alert'],
  ['assigned', 'Assignment'],
]);
const RECIPIENT_LABELS = new Map([
  ['submitter', 'Submitter'],
  ['follower', 'A follower'],
  ['area', 'An area alert'],
  ['staff', 'Staff'],
]);

/** Which e-mails went out about the request and when: to whom only for the submitter and staff. */
function emails(model: RequestViewModel): SafeHtml {
  const list = model.notifications ?? [];
  if (list.length === 0) return html`<p>No e-mails about this request.</p>`;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="E-mails (scrolls sideways)"><table><thead><tr><th scope="col">E-mail</th><th scope="col">To</th><th scope="col">State</th><th scope="col">When</th></tr></thead><tbody>${list.map(
    (item) =>
      html`<tr><td>${MAIL_LABELS.get(item.template) ?? item.template}</td><td>${item.recipient ?? RECIPIENT_LABELS.get(item.recipient_role) ?? item.recipient_role}</td><td>${item.status}</td><td>${formatDateTime(item.sent_at ?? item.created_at, model.timeZone)}</td></tr>`,
  )}</tbody></table></div>`;
}

function hiddenState(model: RequestViewModel): SafeHtml {
  const snapshot = snapshotOf(model.request);
  return html`<input type="hidden" name="_csrf" value="${model.csrfToken}">
<input type="hidden" name="version" value="${String(model.request.version)}">
${Object.entries(snapshot).map(([name, value]) => html`<input type="hidden" name="seen_${name}" value="${value}">`)}`;
}

function conflictNotice(model: RequestViewModel): SafeHtml {
  const conflict = model.conflict;
  if (!conflict) return html``;
  const now = snapshotOf(model.request);
  const changed = Object.keys(SNAPSHOT_LABELS).filter((field) => (conflict.seen[field] ?? '') !== (now[field] ?? ''));
  const show = (field: string, value: string): string =>
    value === ''
      ? 'nothing'
      : field === 'status'
        ? statusLabel(value)
        : field === 'expected_datetime'
          ? formatDateTime(value, model.timeZone)
          : value;
  return html`<div class="error-summary" role="alert" tabindex="-1" data-error-summary aria-labelledby="conflict-title">
  <h2 id="conflict-title">Someone changed this request while you were working on it</h2>
  <p>Your change was <strong>not</strong> saved. Here is what changed since you opened the page; your text is still in the form below. Check it and send it again if it still applies.</p>
  ${
    changed.length > 0
      ? html`<table>
    <caption class="visually-hidden">Changes made by someone else</caption>
    <thead><tr><th scope="col">Field</th><th scope="col">When you opened it</th><th scope="col">Now</th></tr></thead>
    <tbody>${changed.map(
      (field) =>
        html`<tr><th scope="row">${SNAPSHOT_LABELS[field]}</th><td>${show(field, conflict.seen[field] ?? '')}</td><td>${show(field, now[field] ?? '')}</td></tr>`,
    )}</tbody>
  </table>`
      : html`<p>Only notes or other details changed; see the timeline.</p>`
  }
</div>`;
}

function templateSelect(model: RequestViewModel, id: string, target: string): SafeHtml {
  if (model.templates.length === 0) return html``;
  return html`<div class="field">
  <label for="${id}">Response template</label>
  <select id="${id}" name="template" data-template-select="${target}">
    <option value="">None</option>
    ${model.templates.map((template) => html`<option value="${template.id}" data-text="${template.text}">${template.title}</option>`)}
  </select>
</div>`;
}

function toLocalInput(value: Date | null, timeZone: string): string {
  if (!value) return '';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(value));
  const get = (type: string): string => parts.find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

function actions(model: RequestViewModel): SafeHtml {
  const request = model.request;
  const action = `${CONSOLE_BASE_PATH}/requests/${request.service_request_id}/change`;
  const typed = model.conflict?.typed ?? model.typed ?? {};
  const errors = model.errors;
  return html`<section aria-labelledby="actions-title" class="no-print">
<h2 id="actions-title">Work this request</h2>
<form method="post" action="${action}" class="${errors?.some((error) => error.field === 'change-status') ? 'has-error' : ''}">
  ${hiddenState(model)}
  <input type="hidden" name="action" value="status">
  <fieldset>
    <legend>Status and public note</legend>
    <div class="field">
      <label for="change-status">Status</label>
      <select id="change-status" name="status" data-status-select>
        ${(Object.keys(STATUS_LABELS) as DetailedStatus[])
          .filter((status) => status !== 'duplicate')
          .map(
            (status) =>
              html`<option value="${status}"${(typed.status ?? request.detailed_status) === status ? html` selected` : html``}>${STATUS_LABELS[status]}</option>`,
          )}
      </select>
      ${fieldError(errors, 'change-status')}
    </div>
    ${templateSelect(model, 'change-template', 'change-note')}
    <div class="field">
      <label for="change-note">Public note</label>
      <p class="hint" id="change-note-hint">Residents see this in the GeoReport answer (status_notes).</p>
      <textarea id="change-note" name="status_notes" rows="3" maxlength="4000" aria-describedby="change-note-hint">${typed.status_notes ?? request.status_notes ?? ''}</textarea>
    </div>
    <button type="submit">Save status and note</button>
  </fieldset>
</form>
<form method="post" action="${action}">
  ${hiddenState(model)}
  <input type="hidden" name="action" value="internal_note">
  <div class="field ${errors?.some((error) => error.field === 'internal-note') ? 'has-error' : ''}">
    <label for="internal-note">Internal note</label>
    <p class="hint" id="internal-note-hint">Staff only; never shown to the public.</p>
    <textarea id="internal-note" name="internal_note" rows="2" maxlength="4000" aria-describedby="internal-note-hint${errors?.some((error) => error.field === 'internal-note') ? ' internal-note-error' : ''}">${typed.internal_note ?? ''}</textarea>
    ${fieldError(errors, 'internal-note')}
  </div>
  <button type="submit" class="button-secondary">Add internal note</button>
</form>
<form method="post" action="${action}">
  ${hiddenState(model)}
  <input type="hidden" name="action" value="route">
  <fieldset>
    <legend>Agency and expected date</legend>
    <div class="field">
      <label for="route-agency">Agency</label>
      <select id="route-agency" name="agency_responsible">
        <option value="">None</option>
        ${[...new Set([...model.agencies, ...(request.agency_responsible ? [request.agency_responsible] : [])])].map(
          (agency) =>
            html`<option value="${agency}"${(typed.agency_responsible ?? request.agency_responsible) === agency ? html` selected` : html``}>${agency}</option>`,
        )}
      </select>
    </div>
    <div class="field">
      <label for="route-expected">Expected by</label>
      <p class="hint" id="route-expected-hint">Local time (${model.timeZone}); leave empty for no target.</p>
      <input type="datetime-local" id="route-expected" name="expected_datetime" value="${typed.expected_datetime ?? toLocalInput(request.expected_datetime, model.timeZone)}" aria-describedby="route-expected-hint">
    </div>
    <button type="submit" class="button-secondary">Save agency and date</button>
  </fieldset>
</form>
${
  model.assignmentAvailable
    ? html`<form method="post" action="${action}">
  ${hiddenState(model)}
  <input type="hidden" name="action" value="assign">
  <fieldset>
    <legend>Assignment</legend>
    <div class="actions-row">
      <button type="submit" name="assigned_to" value="me" class="button-secondary" data-assign-me>Assign to me</button>
      <div class="field">
        <label for="assign-person">Person</label>
        <select id="assign-person" name="assigned_to_person">
          <option value="">Nobody</option>
          ${model.people.map((person) => html`<option value="${person.id}">${person.name}</option>`)}
        </select>
      </div>
      <button type="submit" name="assigned_to" value="person" class="button-secondary">Assign to this person</button>
    </div>
  </fieldset>
</form>`
    : html``
}
${duplicatesBlock(model)}
</section>`;
}

function duplicatesBlock(model: RequestViewModel): SafeHtml {
  const request = model.request;
  if (request.status === 'closed') return html``;
  const action = `${CONSOLE_BASE_PATH}/requests/${request.service_request_id}/duplicate`;
  const duplicateError = model.errors?.some((error) => error.field === 'duplicate-original');
  return html`<section aria-labelledby="duplicates-title">
<h3 id="duplicates-title">Mark as a duplicate</h3>
${
  model.duplicates.length > 0
    ? html`<p>Open requests of the same service nearby:</p>
<ul class="duplicate-list">${model.duplicates.map(
        (candidate) => html`<li>
  <a href="${CONSOLE_BASE_PATH}/requests/${candidate.service_request_id}">Request ${candidate.service_request_id}</a>,
  ${String(Math.round(candidate.distance_meters))} m away, ${formatDateTime(candidate.requested_datetime, model.timeZone)}:
  ${candidate.description ?? ''} <span class="muted">${candidate.address ?? ''}</span>
  <form method="post" action="${action}" class="inline-form">
    ${hiddenState(model)}
    <input type="hidden" name="original" value="${candidate.service_request_id}">
    <button type="submit" class="button-secondary">Duplicate of ${candidate.service_request_id}</button>
  </form>
</li>`,
      )}</ul>`
    : html`<p class="muted">No open request of the same service nearby.</p>`
}
<form method="post" action="${action}" class="actions-row">
  ${hiddenState(model)}
  <div class="field${duplicateError ? ' field-has-error' : ''}">
    <label for="duplicate-original">Original request number</label>
    ${fieldError(model.errors, 'duplicate-original')}
    <input type="text" id="duplicate-original" name="original" inputmode="numeric" size="10" value="${model.typed?.original ?? ''}"${duplicateError ? html` aria-describedby="duplicate-original-error" aria-invalid="true"` : html``}>
  </div>
  <button type="submit" class="button-secondary">Mark as duplicate</button>
</form>
</section>`;
}

function mapBlock(model: RequestViewModel): SafeHtml {
  const request = model.request;
  if (request.lat === null || request.long === null) return html`<p class="muted">No location was given.</p>`;
  return html`<div class="map" id="request-map" data-map data-lat="${String(request.lat)}" data-long="${String(request.long)}"
  data-tile-url="${model.map.tileUrl}" data-attribution="${model.map.attribution}" data-label="${`Request ${request.service_request_id}: ${request.service_name}`}"
  role="region" aria-label="Map of the request’s location"></div>
<p class="muted">${request.lat.toFixed(6)}, ${request.long?.toFixed(6)} — <a href="${CONSOLE_BASE_PATH}/map?lat=${String(request.lat)}&amp;long=${String(request.long)}&amp;radius=300">requests within 300 m</a></p>`;
}

export function requestBody(model: RequestViewModel): SafeHtml {
  const request = model.request;
  return html`<p class="no-print"><a href="${model.backTo}">Back to the queue</a></p>
<h1>Request ${request.service_request_id}: ${request.service_name}</h1>
${conflictNotice(model)}
<p class="actions-row no-print">
  <a class="button button-secondary" href="${CONSOLE_BASE_PATH}/requests/${request.service_request_id}/work-order">Printable work order</a>
  <a class="button button-secondary" href="/open311/v2/requests/${request.service_request_id}.json">Public GeoReport answer</a>
</p>
<div class="two-columns">
<div>
  <h2>Details</h2>
  ${details(model)}
  <h2>Answers</h2>
  ${answers(model)}
  <h2>Photos</h2>
  ${photos(request)}
  <h2>Submitter</h2>
  ${contact(request)}
  <h2>Timeline</h2>
  ${timeline(model)}
  <h2>E-mails</h2>
  ${emails(model)}
</div>
<div>
  <h2>Location</h2>
  ${mapBlock(model)}
  ${actions(model)}
</div>
</div>`;
}

/** The printable work order: what a crew needs on paper, with a QR code back to this page. */
export function workOrderBody(model: RequestViewModel, qrSvg: string, pageUrl: string): SafeHtml {
  const request = model.request;
  return html`<p class="no-print"><a href="${CONSOLE_BASE_PATH}/requests/${request.service_request_id}">Back to the request</a>
  <button type="button" data-print>Print</button></p>
<h1>Work order: request ${request.service_request_id}</h1>
<div class="two-columns">
<div>
  ${details(model)}
  <h2>Answers</h2>
  ${answers(model)}
  <h2>Submitter</h2>
  ${contact(request)}
</div>
<div>
  <figure class="work-order-qr">
    ${raw(qrSvg)}
    <figcaption>Scan to open this request: ${pageUrl}</figcaption>
  </figure>
  ${mapBlock(model)}
  <h2>Crew notes</h2>
  <p class="print-only">________________________________________________</p>
  <p class="print-only">________________________________________________</p>
  <p class="print-only">Done on ____ / ____ / ________ by ____________________</p>
</div>
</div>`;
}
