// Admin pages (admins only): the catalog with a preview of each service's questions as residents are asked
// them, service areas (GeoJSON upload, shown on a map), routing rules and response-time targets, response
// templates, staff accounts with sign-in links, API keys, webhooks and their delivery log. Each reads and writes
// through the same functions as the staff API's admin routes; the editing forms are in admin-forms.ts.
import type { StaffService } from '../../../domain/catalog.js';
import type { AreaFeature } from '../../../domain/catalog.js';
import type { StaffAccount } from '../../../domain/staff-accounts.js';
import type { DeliveryRecord, WebhookRecord } from '../../../domain/webhooks.js';
import type { ApiKeyRecord } from '../../../store/api-keys-store.js';
import { type SafeHtml, html } from '../html.js';
import { ADMIN_PATH, questionsPreview, type Typed, webhookForm } from './admin-forms.js';
import { formatDateTime } from './display.js';
import { type FieldError, fieldError } from './layout.js';

export { ADMIN_PATH };

const SECTIONS: ReadonlyArray<[string, string, string]> = [
  ['services', 'Services and questions', 'What residents can report, and what they are asked.'],
  ['areas', 'Service areas', 'Districts and zones as GeoJSON polygons, on a map.'],
  ['routing', 'Routing and response times', 'Which agency gets each service, where, and how fast.'],
  ['templates', 'Response templates', 'Public notes staff pick when they change a request.'],
  ['staff', 'Staff accounts', 'People who use this console, and one-time sign-in links.'],
  ['keys', 'API keys', 'Keys for apps and integrations.'],
  ['webhooks', 'Webhooks', 'Where events are sent, and how each delivery went.'],
];

export function adminNav(current: string): SafeHtml {
  return html`<nav aria-label="Admin sections" class="admin-nav no-print"><ul>${SECTIONS.map(
    ([path, label]) =>
      html`<li><a href="${ADMIN_PATH}/${path}"${path === current ? html` aria-current="page"` : html``}>${label}</a></li>`,
  )}</ul></nav>`;
}

export function adminIndexBody(): SafeHtml {
  return html`<h1>Admin</h1>
<ul class="card-list">${SECTIONS.map(([path, label, what]) => html`<li><a href="${ADMIN_PATH}/${path}">${label}</a><br><span class="muted">${what}</span></li>`)}</ul>`;
}

export function servicesBody(services: StaffService[], csrfToken: string): SafeHtml {
  return html`<h1>Services and questions</h1>
${adminNav('services')}
<p class="actions-row"><a class="button" href="${ADMIN_PATH}/services/new">New service</a></p>
<p>The catalog can also be exported and imported as JSON (<code>/api/v1/catalog</code>).</p>
${services.map(
  (service) => html`<section class="admin-service" aria-labelledby="service-${service.service_code}">
  <h2 id="service-${service.service_code}">${service.service_name} <span class="muted">(${service.service_code})</span>${service.active ? html`` : html` <span class="tag">Retired</span>`}</h2>
  <dl class="summary-list">
    <dt>Group</dt><dd>${service.group ?? '—'}</dd>
    <dt>Type</dt><dd>${service.type}</dd>
    <dt>Agency</dt><dd>${service.agency_responsible ?? '—'}</dd>
    <dt>Response target</dt><dd>${service.response_hours === null ? 'None' : `${service.response_hours} hours`}</dd>
    <dt>Keywords</dt><dd>${service.keywords.join(', ') || '—'}</dd>
    <dt>Notice</dt><dd>${service.service_notice ?? '—'}</dd>
  </dl>
  <p class="actions-row"><a href="${ADMIN_PATH}/services/${encodeURIComponent(service.service_code)}/edit">Edit ${service.service_name} and its questions</a>${
    service.active
      ? html`<form method="post" action="${ADMIN_PATH}/services/${encodeURIComponent(service.service_code)}/retire" class="inline-form"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit" class="button-warning">Retire<span class="visually-hidden"> ${service.service_name}</span></button></form>`
      : html`<form method="post" action="${ADMIN_PATH}/services/${encodeURIComponent(service.service_code)}/reactivate" class="inline-form"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit">Offer again<span class="visually-hidden"> ${service.service_name}</span></button></form>`
  }</p>
  ${
    service.attributes.length > 0
      ? html`<details><summary>Preview of the ${String(service.attributes.length)} question${service.attributes.length === 1 ? '' : 's'} residents are asked</summary>
    ${questionsPreview(service.service_code, service.attributes)}
  </details>`
      : html`<p class="muted">No questions beyond the description and location.</p>`
  }
</section>`,
)}`;
}

function areaInput(
  id: string,
  name: string,
  label: string,
  value: string,
  errors: FieldError[] | undefined,
  maxlength: number,
): SafeHtml {
  const error = errors?.some((item) => item.field === id);
  return html`<div class="field${error ? ' field-has-error' : ''}"><label for="${id}">${label}</label>${fieldError(errors, id)}<input type="text" id="${id}" name="${name}" maxlength="${String(maxlength)}" value="${value}"${error ? html` aria-describedby="${id}-error" aria-invalid="true"` : html``}></div>`;
}

/** The areas form's field of a problem of the staff API's createArea (its messages start with the field). */
export function areaFieldOf(message: string): string {
  const field =
    /^(code|name|kind)\b/.exec(message)?.[1] ?? (/^Service area .+ already exists/.test(message) ? 'code' : 'geometry');
  return `area-${field}`;
}

export function areasBody(
  areas: AreaFeature[],
  csrfToken: string,
  map: { tileUrl: string; attribution: string },
  errors?: FieldError[],
  typed?: Record<string, string>,
): SafeHtml {
  return html`<h1>Service areas</h1>
${adminNav('areas')}
<div class="map" data-areas-map data-tile-url="${map.tileUrl}" data-attribution="${map.attribution}" role="region" aria-label="Map of the service areas listed below"></div>
<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)"><table>
  <caption>Service areas</caption>
  <thead><tr><th scope="col">Code</th><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Polygons</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${
    areas.length === 0
      ? html`<tr><td colspan="5">No service areas yet: every service is offered everywhere.</td></tr>`
      : areas.map(
          (area) => html`<tr data-area data-geometry="${JSON.stringify(area.geometry)}" data-name="${area.properties.name}">
    <th scope="row">${area.properties.code}</th><td>${area.properties.name}</td><td>${area.properties.kind}</td><td>${String(area.geometry.coordinates.length)}</td>
    <td><form method="post" action="${ADMIN_PATH}/areas/${area.properties.code}/delete" class="inline-form">
      <input type="hidden" name="_csrf" value="${csrfToken}">
      <button type="submit" class="button-link">Delete<span class="visually-hidden"> ${area.properties.name}</span></button>
    </form></td>
  </tr>`,
        )
  }</tbody>
</table></div>
<h2>Add an area</h2>
<form method="post" action="${ADMIN_PATH}/areas" class="${errors?.length ? 'has-error' : ''}" novalidate>
  <input type="hidden" name="_csrf" value="${csrfToken}">
  ${areaInput('area-code', 'code', 'Code', typed?.code ?? '', errors, 100)}
  ${areaInput('area-name', 'name', 'Name', typed?.name ?? '', errors, 255)}
  ${areaInput('area-kind', 'kind', 'Kind', typed?.kind ?? 'district', errors, 50)}
  <div class="field">
    <label for="area-file">GeoJSON file</label>
    <p class="hint" id="area-file-hint">A Polygon or MultiPolygon, or a Feature holding one. Choosing a file fills the text below.</p>
    <input type="file" id="area-file" accept=".geojson,.json,application/geo+json,application/json" data-geojson-file="area-geometry" aria-describedby="area-file-hint">
  </div>
  <div class="field">
    <label for="area-geometry">GeoJSON</label>
    <textarea id="area-geometry" name="geometry" rows="6" required${errors?.some((error) => error.field === 'area-geometry') ? html` aria-describedby="area-geometry-error" aria-invalid="true"` : html``}>${typed?.geometry ?? ''}</textarea>
    ${fieldError(errors, 'area-geometry')}
  </div>
  <button type="submit">Add the area</button>
</form>`;
}

export function routingBody(
  services: StaffService[],
  agencies: Array<{ code: string; name: string }>,
  csrfToken: string,
  typed: Record<string, string> = Object.create(null),
  errors?: FieldError[],
): SafeHtml {
  const agencyField = (id: string, name: string, label: string, hint: string, maxlength: number) => {
    const error = errors?.some((item) => item.field === id);
    return html`<div class="field${error ? ' field-has-error' : ''}"><label for="${id}">${label}</label>
    <p class="hint" id="${id}-hint">${hint}</p>
    ${fieldError(errors, id)}
    <input type="text" id="${id}" name="${name}" maxlength="${String(maxlength)}" value="${typed[name] ?? ''}" aria-describedby="${id}-hint${error ? ` ${id}-error` : ''}"${error ? html` aria-invalid="true"` : html``}></div>`;
  };
  return html`<h1>Routing and response times</h1>
${adminNav('routing')}
<p>A request goes to the agency of the rule for the area its point is in, else the rule without an area, else the service’s agency. Where a service is offered is set on its Edit page too (in the API: <code>PUT /api/v1/services/{code}/availability</code>).</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)"><table>
  <caption>Routing per service</caption>
  <thead><tr><th scope="col">Service</th><th scope="col">Default agency</th><th scope="col">Rules (area → agency)</th><th scope="col">Offered in</th><th scope="col" class="number">Target (hours)</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${services.map(
    (service) => html`<tr><th scope="row">${service.service_name}</th><td>${service.agency_responsible ?? '—'}</td>
    <td>${service.routing.length === 0 ? '—' : html`<ul class="plain-list">${service.routing.map((rule) => html`<li>${rule.area ?? 'anywhere'} → ${rule.agency}</li>`)}</ul>`}</td>
    <td>${service.availability.length === 0 ? 'Everywhere' : service.availability.join(', ')}</td>
    <td class="number">${service.response_hours === null ? '—' : String(service.response_hours)}</td>
    <td><a href="${ADMIN_PATH}/routing/${encodeURIComponent(service.service_code)}">Edit<span class="visually-hidden"> the routing of ${service.service_name}</span></a></td></tr>`,
  )}</tbody>
</table></div>
<h2>Agencies</h2>
${
  agencies.length === 0
    ? html`<p>No agencies yet. A routing rule sends requests to one of them; add the departments, crews or contractors here.</p>`
    : html`<ul>${agencies.map((agency) => html`<li>${agency.name} <span class="muted">(${agency.code})</span></li>`)}</ul>`
}
<h3>Add an agency</h3>
<form method="post" action="${ADMIN_PATH}/agencies" class="admin-form" novalidate>
  <input type="hidden" name="_csrf" value="${csrfToken}">
  ${agencyField('agency-code', 'code', 'Code', 'Letters, digits, dots, underscores or hyphens, e.g. PARKS.', 100)}
  ${agencyField('agency-name', 'name', 'Name', 'What requests show as the agency responsible.', 255)}
  <button type="submit">Add the agency</button>
</form>`;
}

export function staffBody(
  people: StaffAccount[],
  csrfToken: string,
  timeZone: string,
  issued?: { email: string; url: string; expires_at: Date },
  errors?: FieldError[],
): SafeHtml {
  return html`<h1>Staff accounts</h1>
${adminNav('staff')}
${
  issued
    ? html`<div class="flash flash-success" role="status"><p>Sign-in link for ${issued.email} (works once, until ${formatDateTime(issued.expires_at, timeZone)}). Send it to them; it is not shown again:</p>
  <p><code class="secret" data-secret>${issued.url}</code></p></div>`
    : html``
}
<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)"><table>
  <caption>Staff accounts</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">Two-factor</th><th scope="col">Last sign-in</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${people.map(
    (
      person,
    ) => html`<tr><th scope="row">${person.display_name}${person.active ? html`` : html` <span class="tag">Deactivated</span>`}</th><td>${person.email}</td><td>${person.role}</td><td>${person.two_factor ? 'On' : 'Off'}</td>
    <td>${person.last_sign_in_at ? formatDateTime(person.last_sign_in_at, timeZone) : 'Never'}</td>
    <td>${
      person.active
        ? html`<form method="post" action="${ADMIN_PATH}/staff/${person.id}/link" class="inline-form"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit" class="button-link">New sign-in link<span class="visually-hidden"> for ${person.display_name}</span></button></form>`
        : html``
    }</td></tr>`,
  )}</tbody>
</table></div>
<h2>Add a person</h2>
<form method="post" action="${ADMIN_PATH}/staff" class="${errors?.length ? 'has-error' : ''}">
  <input type="hidden" name="_csrf" value="${csrfToken}">
  <div class="field"><label for="staff-name">Name</label><input type="text" id="staff-name" name="display_name" required maxlength="200"></div>
  <div class="field"><label for="staff-email">E-mail</label><input type="email" id="staff-email" name="email" required maxlength="320"${errors?.length ? html` aria-describedby="staff-email-error" aria-invalid="true"` : html``}>${fieldError(errors, 'staff-email')}</div>
  <div class="field"><label for="staff-role">Role</label><select id="staff-role" name="role"><option value="staff">Staff</option><option value="admin">Admin</option></select></div>
  <button type="submit">Add and make a sign-in link</button>
</form>`;
}

export function keysBody(
  keys: ApiKeyRecord[],
  csrfToken: string,
  timeZone: string,
  created?: { name: string; key: string },
): SafeHtml {
  return html`<h1>API keys</h1>
${adminNav('keys')}
${
  created
    ? html`<div class="flash flash-success" role="status"><p>The key “${created.name}”. Copy it now: it is stored only as a hash and never shown again.</p>
  <p><code class="secret" data-secret>${created.key}</code></p></div>`
    : html``
}
<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)"><table>
  <caption>API keys</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">Starts with</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${keys.map(
    (
      key,
    ) => html`<tr><th scope="row">${key.name}</th><td><code>${key.key_prefix}…</code></td><td>${key.role}</td><td>${formatDateTime(key.created_at, timeZone)}</td>
    <td>${key.revoked_at ? `Revoked ${formatDateTime(key.revoked_at, timeZone)}` : 'Active'}</td>
    <td>${
      key.revoked_at
        ? html``
        : html`<form method="post" action="${ADMIN_PATH}/keys/${key.id}/revoke" class="inline-form"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit" class="button-link">Revoke<span class="visually-hidden"> ${key.name}</span></button></form>`
    }</td></tr>`,
  )}</tbody>
</table></div>
<h2>Create a key</h2>
<form method="post" action="${ADMIN_PATH}/keys">
  <input type="hidden" name="_csrf" value="${csrfToken}">
  <div class="field"><label for="key-name">Name</label><input type="text" id="key-name" name="name" required maxlength="200"></div>
  <div class="field"><label for="key-role">Role</label><select id="key-role" name="role"><option value="client">Client (apps that POST requests)</option><option value="staff">Staff API</option><option value="admin">Admin API</option></select></div>
  <button type="submit">Create the key</button>
</form>`;
}

export function webhooksBody(
  hooks: Array<WebhookRecord & { deliveries: DeliveryRecord[] }>,
  csrfToken: string,
  timeZone: string,
  form: { typed: Typed; errors?: FieldError[] | undefined; created?: { url: string; secret: string } | undefined },
): SafeHtml {
  return html`<h1>Webhooks</h1>
${adminNav('webhooks')}
${
  form.created
    ? html`<div class="flash flash-success" role="status"><p>Added the webhook for ${form.created.url}. Its signing secret (copy it now: it is never shown again):</p>
  <p><code class="secret" data-secret>${form.created.secret}</code></p></div>`
    : html``
}
${
  hooks.length === 0
    ? html`<p>No webhooks.</p>`
    : hooks.map(
        (hook) => html`<section aria-labelledby="hook-${hook.id}">
  <h2 id="hook-${hook.id}">${hook.url}${hook.active ? html`` : html` <span class="tag">Inactive</span>`}</h2>
  <p>Events: ${hook.events.join(', ')} · created ${formatDateTime(hook.created_at, timeZone)}${hook.created_by ? ` by ${hook.created_by}` : ''}</p>
  ${
    hook.active
      ? html`<form method="post" action="${ADMIN_PATH}/webhooks/${hook.id}/deactivate"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit" class="button-warning">Deactivate<span class="visually-hidden"> ${hook.url}</span></button></form>`
      : html`<form method="post" action="${ADMIN_PATH}/webhooks/${hook.id}/activate"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit">Activate again<span class="visually-hidden"> ${hook.url}</span></button></form>`
  }
  <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)"><table>
    <caption>Recent deliveries to ${hook.url}</caption>
    <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col" class="number">Attempts</th><th scope="col">Last answer</th><th scope="col">Created</th><th scope="col">Delivered / next try</th></tr></thead>
    <tbody>${
      hook.deliveries.length === 0
        ? html`<tr><td colspan="6">No deliveries yet.</td></tr>`
        : hook.deliveries.map(
            (
              delivery,
            ) => html`<tr><th scope="row">${delivery.event_type} <span class="muted">${delivery.event_id}</span></th><td>${delivery.status}</td><td class="number">${String(delivery.attempts)}</td>
      <td>${delivery.last_status_code === null ? (delivery.last_error ?? '—') : String(delivery.last_status_code)}</td><td>${formatDateTime(delivery.created_at, timeZone)}</td>
      <td>${delivery.delivered_at ? formatDateTime(delivery.delivered_at, timeZone) : delivery.next_attempt_at ? `next ${formatDateTime(delivery.next_attempt_at, timeZone)}` : '—'}</td></tr>`,
          )
    }</tbody>
  </table></div>
</section>`,
      )
}
${webhookForm(csrfToken, form.typed, form.errors)}`;
}
