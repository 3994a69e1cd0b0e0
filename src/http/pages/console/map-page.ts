// The map of the queue: the same filters and the same queue query; the map's box filters the list (the
// bbox parameter), and the list beside the map is the accessible way to the same requests. Markers differ by
// shape and letter, not only by colour.
import { STATUS_LABELS, type DetailedStatus } from '../../../domain/workflow.js';
import type { StaffRequestSummary } from '../../../store/staff-requests-store.js';
import { type SafeHtml, html } from '../html.js';
import { formatDateTime, slaOf, slaTag } from './display.js';
import { CONSOLE_BASE_PATH } from './layout.js';
import { type QueueViewModel, filtersForm, queryStringOf } from './queue-page.js';

export interface MapViewModel
  extends Pick<QueueViewModel, 'parameters' | 'services' | 'agencies' | 'people' | 'assignmentAvailable' | 'timeZone' | 'now'> {
  result: { total: number; requests: StaffRequestSummary[] } | undefined;
  map: { tileUrl: string; attribution: string };
}

/** Marker of a status: the same three kinds web/js/lib/map.ts draws. */
export function markerKindOf(status: string, detailed: string): { letter: string; label: string } {
  if (status === 'closed') return { letter: 'C', label: 'Closed' };
  if (detailed === 'in_progress' || detailed === 'acknowledged' || detailed === 'on_hold')
    return { letter: 'P', label: 'In progress' };
  return { letter: 'O', label: 'Open' };
}

export function mapBody(model: MapViewModel): SafeHtml {
  const result = model.result;
  const located = result?.requests.filter((request) => request.lat !== null && request.long !== null) ?? [];
  return html`<h1>Map of the queue</h1>
${filtersForm(model, `${CONSOLE_BASE_PATH}/map`)}
<p class="actions-row no-print"><a class="button button-secondary" href="${CONSOLE_BASE_PATH}/${queryStringOf(model.parameters)}" data-queue-link>Show as the queue</a></p>
<div class="two-columns map-layout">
<div>
  <div class="map map-large" id="queue-map" data-queue-map data-tile-url="${model.map.tileUrl}" data-attribution="${model.map.attribution}"
    data-bbox="${model.parameters.get('bbox')?.join(',') ?? ''}" role="region" aria-label="Map of the requests in the list"></div>
  <div class="field no-print">
    <input type="checkbox" id="follow-map" data-follow-map checked>
    <label for="follow-map" class="inline-label">Filter the list to the map’s area as it moves</label>
  </div>
  <h2 class="visually-hidden">Legend</h2>
  <ul class="legend" aria-label="Marker legend">
    <li><span class="console-marker console-marker-circle legend-marker" aria-hidden="true">O</span> Open</li>
    <li><span class="console-marker console-marker-square legend-marker" aria-hidden="true">P</span> In progress (acknowledged, in progress, on hold)</li>
    <li><span class="console-marker console-marker-diamond legend-marker" aria-hidden="true"><span>C</span></span> Closed</li>
  </ul>
</div>
<div data-map-list>
  <h2 id="map-list-title">Requests in this view</h2>
  <p aria-live="polite" data-map-count>${
    result
      ? result.total === 0
        ? 'No requests match these filters.'
        : `${result.total} request${result.total === 1 ? '' : 's'} match; ${located.length} with a location shown${result.total > result.requests.length ? ` (the first ${result.requests.length})` : ''}.`
      : ''
  }</p>
  <ol class="map-list" aria-labelledby="map-list-title">${(result?.requests ?? []).map((request) => {
    const kind = markerKindOf(request.status, request.detailed_status);
    return html`<li data-map-item data-id="${request.service_request_id}" data-lat="${request.lat === null ? '' : String(request.lat)}" data-long="${request.long === null ? '' : String(request.long)}"
      data-status="${request.status}" data-detailed="${request.detailed_status}" data-label="${`Request ${request.service_request_id}: ${request.service_name}, ${kind.label}`}">
    <a href="${CONSOLE_BASE_PATH}/requests/${request.service_request_id}"><span class="map-list-letter" aria-hidden="true">${kind.letter}</span> Request ${request.service_request_id}: ${request.service_name}</a>
    — ${STATUS_LABELS[request.detailed_status as DetailedStatus] ?? request.detailed_status}, ${slaTag(slaOf(request, model.now))}
    <br><span class="muted">${request.address ?? (request.lat === null ? 'No location' : `${request.lat?.toFixed(5)}, ${request.long?.toFixed(5)}`)} · ${formatDateTime(request.requested_datetime, model.timeZone)}</span>
  </li>`;
  })}</ol>
</div>
</div>`;
}
