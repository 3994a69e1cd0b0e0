// The report flow: one question per page, each step a plain form POST (scripts only enhance). The state travels
// in a hidden field; the last step sends the report through the same intake as POST requests (schema, domain
// checks, rate limit, duplicate flagging, routing, media handling) with the site's own client key.
import type { Request, Response } from 'express';
import { tileOriginOf } from '../../../config.js';
import { createWithFreshRetry } from '../../../domain/intake.js';
import * as requests from '../../../domain/requests.js';
import { checkAttributes } from '../../../domain/requests.js';
import * as services from '../../../domain/services.js';
import type { Attribute, CreatedRequest, Jurisdiction, Service, ServiceRequest } from '../../../domain/types.js';
import { Open311Error } from '../../../errors.js';
import { ensureClientKeyId } from '../../../store/api-keys-store.js';
import { coerceCreateRequest } from '../../../validate/coerce.js';
import { validate } from '../../../validate/validate.js';
import { createSubmission, requestsQuery, servicePointOf } from '../../../validate/inputs.js';
import { pairValue, readFormBody } from '../../body.js';
import type { AppContext } from '../../context.js';
import { intakeOf } from '../../handlers.js';
import { html, type SafeHtml } from '../html.js';
import { LANGUAGE_COOKIE, isLanguage } from '../i18n/index.js';
import {
  answersOf,
  decodeFlowState,
  encodeFlowState,
  type FlowState,
  isStep,
  newFlowState,
  requestPairs,
  type Step,
} from './flow-state.js';
import { choiceField, errorSummary, type FieldErrors, fieldId, textArea, textField } from './forms.js';
import type { Geocoder } from './geocoder.js';
import { renderPage, type SiteView } from './layout.js';
import { isHeic, type PendingPhotos } from './pending-photos.js';

const SITE_KEY_NAME = 'resident site';
const FORM_ID = 'report-form';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^[0-9+()./ -]{5,40}$/;

export interface ReportDependencies {
  context: AppContext;
  geocoder: Geocoder | undefined;
  photos: PendingPhotos;
  jurisdiction: () => Promise<Jurisdiction>;
}

interface StepPage {
  step: Step;
  state: FlowState;
  errors?: FieldErrors;
  /** Text the resident typed into a search box of the "what" step. */
  search?: string;
  notice?: string;
}

const mark = (view: SiteView, required: boolean): string => view.t(required ? 'form.required' : 'form.optional');

function hiddenState(state: FlowState, step: Step): SafeHtml {
  return html`<input type="hidden" name="flow" value="${encodeFlowState(state)}"><input type="hidden" name="step" value="${step}">`;
}

function buttons(view: SiteView, step: Step, primary: string): SafeHtml {
  return html`<div class="button-group">
  <button type="submit" class="button" name="action" value="continue">${primary}</button>
  ${step === 'where' ? '' : html`<button type="submit" class="button button--secondary" name="action" value="back">${view.t('form.back')}</button>`}
</div>`;
}

function form(_view: SiteView, page: StepPage, body: SafeHtml, options: { multipart?: boolean } = {}): SafeHtml {
  return html`<form id="${FORM_ID}" method="post" action="/report/${page.step}" novalidate${options.multipart ? html` enctype="multipart/form-data"` : ''}>
${hiddenState(page.state, page.step)}
${body}
</form>`;
}

const progress = (view: SiteView, step: Step): SafeHtml => {
  const order: Step[] = ['where', 'what', 'details', 'contact', 'review'];
  const index = Math.max(0, order.indexOf(step === 'duplicates' ? 'details' : step));
  return html`<p class="caption">${view.t('report.progress', { step: index + 1, total: order.length })}</p>`;
};

function locationSummary(view: SiteView, state: FlowState): string {
  if (state.placedBy === 'geocoder' && state.foundName) return state.foundName;
  if (state.address) return state.address;
  if (state.lat !== undefined && state.long !== undefined)
    return view.t('report.where.pin_at', { lat: state.lat.toFixed(5), long: state.long.toFixed(5) });
  return '';
}

// --------------------------------------------------------------------------------------------- where

function whereStep(view: SiteView, page: StepPage): SafeHtml {
  const { t, config } = view;
  const { state, errors = new Map() } = page;
  const map = !state.noMap;
  const pinned = state.placedBy === 'map' && state.lat !== undefined && state.long !== undefined;
  return form(
    view,
    page,
    html`${progress(view, 'where')}
<h1 class="heading-l">${t('report.where.title')}</h1>
${errorSummary(t('error.summary'), errors)}
${
  map
    ? html`<div class="map-block" data-map-block hidden>
  <p class="hint" id="map-help">${t('report.where.map_help')}</p>
  <div class="report-map" id="report-map" data-tile-url="${config.mapTileUrl}" data-attribution="${config.mapAttribution}" data-lat="${state.lat ?? config.site.mapCentre.lat}" data-long="${state.long ?? config.site.mapCentre.long}" data-zoom="${pinned ? 17 : 14}" data-label="${t('report.where.map_label')}"><span class="crosshair" aria-hidden="true"></span></div>
  <p class="pin-status" id="pin-status" aria-live="polite" data-template="${t('report.where.pin_at')}">${pinned ? t('report.where.pin_at', { lat: state.lat!.toFixed(5), long: state.long!.toFixed(5) }) : t('report.where.no_pin')}</p>
  <div class="button-group">
    <button type="button" class="button button--secondary" data-locate data-locating="${t('report.where.locating')}" data-failed="${t('report.where.locate_failed')}">${t('report.where.use_location')}</button>
  </div>
</div>
<input type="hidden" name="lat" value="${pinned ? String(state.lat) : ''}">
<input type="hidden" name="long" value="${pinned ? String(state.long) : ''}">`
    : ''
}
${textField({
  name: 'address',
  label: map ? t('report.where.address_label_or') : t('report.where.address_label'),
  hint: t('report.where.address_hint'),
  value: state.address,
  error: errors.get(fieldId('address')),
  autocomplete: 'street-address',
  maxlength: 1000,
  errorPrefix: t('error.prefix'),
})}
${buttons(view, 'where', t('form.continue'))}
<p>${
      map
        ? html`<a href="/report?map=off">${t('report.where.without_map')}</a>`
        : html`<a href="/report">${t('report.where.with_map')}</a>`
    }</p>`,
  );
}

async function submitWhere(deps: ReportDependencies, view: SiteView, state: FlowState, pairs: Array<[string, string]>) {
  const errors: FieldErrors = new Map();
  const address = (pairValue(pairs, 'address') ?? '').trim().slice(0, 1000);
  const lat = Number(pairValue(pairs, 'lat') ?? '');
  const long = Number(pairValue(pairs, 'long') ?? '');
  const hasPin =
    (pairValue(pairs, 'lat') ?? '') !== '' &&
    Number.isFinite(lat) &&
    Number.isFinite(long) &&
    Math.abs(lat) <= 90 &&
    Math.abs(long) <= 180;
  const next: FlowState = { ...state };
  delete next.lat;
  delete next.long;
  delete next.placedBy;
  delete next.foundName;
  if (address === '') delete next.address;
  else next.address = address;
  if (hasPin) {
    next.lat = lat;
    next.long = long;
    next.placedBy = 'map';
  } else if (address !== '') {
    if (deps.geocoder) {
      const place = await deps.geocoder.search(address, view.language);
      if (place) {
        next.lat = place.lat;
        next.long = place.long;
        next.placedBy = 'geocoder';
        next.foundName = place.display_name;
      }
    }
  } else {
    errors.set(fieldId('address'), view.t(state.noMap ? 'report.where.error_address' : 'report.where.error_missing'));
  }
  return { state: next, errors };
}

// ---------------------------------------------------------------------------------------------- what

async function servicesAt(deps: ReportDependencies, state: FlowState): Promise<Service[]> {
  const jurisdiction = await deps.jurisdiction();
  const query = state.lat !== undefined && state.long !== undefined ? { lat: String(state.lat), long: String(state.long) } : {};
  return services.listServices(deps.context.db, jurisdiction, servicePointOf(query));
}

function matches(service: Service, search: string): boolean {
  if (search === '') return true;
  const haystack =
    `${service.service_name} ${service.description ?? ''} ${service.keywords ?? ''} ${service.group ?? ''}`.toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .every((word) => haystack.includes(word));
}

function whatStep(view: SiteView, page: StepPage, list: Service[]): SafeHtml {
  const { t } = view;
  const { state, errors = new Map(), search = '' } = page;
  const shown = list.filter((service) => matches(service, search));
  const groups = new Map<string, Service[]>();
  for (const service of shown) {
    const group = service.group ?? t('report.what.other_group');
    groups.set(group, [...(groups.get(group) ?? []), service]);
  }
  const error = errors.get(fieldId('service_code'));
  const firstId = fieldId('service_code');
  let index = 0;
  return form(
    view,
    page,
    html`${progress(view, 'what')}
${errorSummary(t('error.summary'), errors)}
<p class="caption">${t('report.what.location', { place: locationSummary(view, state) })}</p>
<div class="form-group${error ? ' form-group--error' : ''}">
<fieldset class="fieldset" aria-describedby="service-hint${error ? ` ${firstId}-error` : ''}">
  <legend class="legend"><h1 class="heading-l">${t('report.what.title')}</h1></legend>
  <p class="hint" id="service-hint">${t('report.what.hint')}</p>
  <div class="service-search" data-service-search>
    <label class="label" for="service-search">${t('report.what.search_label')}</label>
    <div class="search-row">
      <input class="input" id="service-search" name="search" type="search" value="${search}" autocomplete="off" data-service-search-input>
      <button type="submit" class="button button--secondary" name="action" value="search">${t('report.what.search_button')}</button>
    </div>
    <p class="hint" aria-live="polite" data-service-search-status data-template="${t('report.what.search_results')}">${search ? t('report.what.search_results', { count: shown.length }) : ''}</p>
  </div>
  ${error ? html`<p class="field-error" id="${firstId}-error"><span class="visually-hidden">${t('error.prefix')}</span> ${error}</p>` : ''}
  ${shown.length === 0 ? html`<p>${t('report.what.none')}</p>` : ''}
  ${[...groups].map(
    ([group, members]) => html`<div class="service-group" data-service-group>
    <h2 class="heading-s">${group}</h2>
    <div class="choices choices--radio">${members.map((service) => {
      const id = index === 0 ? firstId : `${firstId}-${index}`;
      index += 1;
      return html`<div class="choice" data-service-choice data-search-text="${`${service.service_name} ${service.description ?? ''} ${service.keywords ?? ''} ${service.group ?? ''}`.toLowerCase()}">
      <input class="choice__input" id="${id}" name="service_code" type="radio" value="${service.service_code}"${state.serviceCode === service.service_code ? html` checked` : ''}${service.description ? html` aria-describedby="${id}-hint"` : ''}>
      <label class="choice__label" for="${id}">${service.service_name}</label>
      ${service.description ? html`<p class="hint choice__hint" id="${id}-hint">${service.description}</p>` : ''}
    </div>`;
    })}</div>
  </div>`,
  )}
</fieldset>
</div>
${buttons(view, 'what', t('form.continue'))}`,
  );
}

// ------------------------------------------------------------------------------------------- details

const attributeName = (attribute: Attribute): string =>
  attribute.datatype === 'multivaluelist' ? `attribute[${attribute.code}][]` : `attribute[${attribute.code}]`;

/** A stored datetime answer (ISO) as the value of a datetime-local input, in the city's zone. */
function localDateTimeValue(value: string | undefined, timeZone: string): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/Z$|[+-]\d\d:\d\d$/.test(value)) return value;
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(date);
  const get = (type: string): string => parts.find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

function attributeField(view: SiteView, attribute: Attribute, state: FlowState, errors: FieldErrors, timeZone: string): SafeHtml {
  const { t } = view;
  const name = attributeName(attribute);
  const error = errors.get(fieldId(name));
  const values = answersOf(state, attribute.code);
  const hint = attribute.datatype_description ?? undefined;
  const common = {
    name,
    label: attribute.description,
    hint,
    error,
    mark: mark(view, attribute.required),
    errorPrefix: t('error.prefix'),
  };
  switch (attribute.datatype) {
    case 'singlevaluelist':
    case 'multivaluelist':
      return choiceField({
        name,
        legend: attribute.description,
        hint,
        error,
        mark: common.mark,
        multiple: attribute.datatype === 'multivaluelist',
        choices: (attribute.values ?? []).map((value) => ({ value: value.key, label: value.name })),
        selected: values,
        errorPrefix: t('error.prefix'),
      });
    case 'text':
      return textArea({ ...common, value: values[0], maxlength: 4000 });
    case 'number':
      return textField({ ...common, value: values[0], inputmode: 'decimal', className: 'input--short', maxlength: 40 });
    case 'datetime':
      return textField({ ...common, value: localDateTimeValue(values[0], timeZone), type: 'datetime-local' });
    default:
      return textField({ ...common, value: values[0], maxlength: 1000 });
  }
}

function photoList(view: SiteView, state: FlowState, removable: boolean): SafeHtml {
  if (state.photos.length === 0) return html``;
  return html`<ul class="photo-list">${state.photos.map(
    (id, index) =>
      html`<li class="photo-list__item"><img src="/report/photo/${id}" alt="${view.t('report.details.photo_alt', { number: index + 1 })}" width="120" height="90" class="photo-list__image">${
        removable
          ? html`<div class="choice choice--small"><input class="choice__input" type="checkbox" id="remove-photo-${index}" name="remove_photo" value="${id}"><label class="choice__label" for="remove-photo-${index}">${view.t('report.details.remove_photo', { number: index + 1 })}</label></div>`
          : ''
      }</li>`,
  )}</ul>`;
}

function detailsStep(
  view: SiteView,
  page: StepPage,
  service: Service,
  attributes: Attribute[],
  timeZone: string,
  maxPhotos: number,
): SafeHtml {
  const { t } = view;
  const { state, errors = new Map() } = page;
  const notes = attributes.filter((attribute) => !attribute.variable);
  const questions = attributes.filter((attribute) => attribute.variable);
  const photoError = errors.get(fieldId('photo'));
  return form(
    view,
    page,
    html`${progress(view, 'details')}
<h1 class="heading-l">${t('report.details.title', { service: service.service_name })}</h1>
${errorSummary(t('error.summary'), errors)}
${notes.map((note) => html`<div class="inset-text">${note.description}</div>`)}
${questions.map((attribute) => attributeField(view, attribute, state, errors, timeZone))}
${textArea({
  name: 'description',
  label: t('report.details.description_label'),
  hint: t('report.details.description_hint'),
  value: state.description,
  error: errors.get(fieldId('description')),
  mark: mark(view, false),
  maxlength: 4000,
  errorPrefix: t('error.prefix'),
})}
<div class="form-group${photoError ? ' form-group--error' : ''}">
  <label class="label" for="${fieldId('photo')}">${t('report.details.photo_label')} <span class="mark">${mark(view, false)}</span></label>
  <p class="hint" id="${fieldId('photo')}-hint">${t('report.details.photo_hint', { count: maxPhotos })}</p>
  ${photoError ? html`<p class="field-error" id="${fieldId('photo')}-error"><span class="visually-hidden">${t('error.prefix')}</span> ${photoError}</p>` : ''}
  ${photoList(view, state, true)}
  ${
    state.photos.length < maxPhotos
      ? html`<input class="file-upload" id="${fieldId('photo')}" name="photo" type="file" multiple accept="image/jpeg,image/png,image/gif,image/webp" aria-describedby="${fieldId('photo')}-hint${photoError ? ` ${fieldId('photo')}-error` : ''}" data-photo-input data-heic-message="${t('report.details.photo_heic')}" data-shrinking="${t('report.details.photo_shrinking')}">`
      : ''
  }
  <p class="hint" aria-live="polite" data-photo-status></p>
</div>
${buttons(view, 'details', t('form.continue'))}`,
    { multipart: true },
  );
}

// ---------------------------------------------------------------------------------------- duplicates

async function nearbyOpen(deps: ReportDependencies, state: FlowState, service: Service): Promise<ServiceRequest[]> {
  if (state.lat === undefined || state.long === undefined || service.type === 'blackbox') return [];
  const jurisdiction = await deps.jurisdiction();
  const { config } = deps.context;
  const query = requestsQuery({
    service_code: service.service_code,
    status: 'open',
    lat: String(state.lat),
    long: String(state.long),
    radius: String(Math.max(config.duplicateRadiusMeters, 100)),
    start_date: new Date(Date.now() - config.duplicateWindowHours * 3600 * 1000).toISOString(),
  });
  return requests.newestRequests(deps.context.db, jurisdiction, query, 5);
}

function duplicatesStep(view: SiteView, page: StepPage, service: Service, nearby: ServiceRequest[], timeZone: string): SafeHtml {
  const { t, i18n } = view;
  return form(
    view,
    page,
    html`${progress(view, 'duplicates')}
<h1 class="heading-l">${t('report.duplicates.title')}</h1>
<p>${t('report.duplicates.intro', { service: service.service_name, count: nearby.length })}</p>
<ul class="card-list">${nearby.map(
      (request) => html`<li class="card">
  ${request.media_url ? html`<img class="card__photo" src="${request.media_url}" alt="${t('report.duplicates.photo_alt', { id: request.service_request_id })}" width="120" height="90">` : ''}
  <div class="card__body">
    <h2 class="heading-s">${t('request.number', { id: request.service_request_id })} · ${request.service_name}</h2>
    <p class="status status--${request.status}">${t(`status.${request.status}`)}</p>
    <p>${t('request.reported_at', { when: i18n.dateTime(request.requested_datetime, timeZone) })}</p>
    ${request.address ? html`<p>${request.address}</p>` : ''}
    ${request.description ? html`<p class="card__description">${request.description.slice(0, 200)}</p>` : ''}
    <p><a href="/requests/${request.service_request_id}" class="button button--secondary">${t('report.duplicates.follow')}<span class="visually-hidden"> ${t('request.number', { id: request.service_request_id })}</span></a></p>
  </div>
</li>`,
    )}</ul>
${buttons(view, 'duplicates', t('report.duplicates.continue'))}`,
  );
}

// ------------------------------------------------------------------------------------------- contact

function contactStep(view: SiteView, page: StepPage): SafeHtml {
  const { t, config } = view;
  const { state, errors = new Map() } = page;
  const required = config.site.requireContact;
  const common = { errorPrefix: t('error.prefix') };
  return form(
    view,
    page,
    html`${progress(view, 'contact')}
<h1 class="heading-l">${t(required ? 'report.contact.title_required' : 'report.contact.title')}</h1>
${errorSummary(t('error.summary'), errors)}
<p>${t(required ? 'report.contact.intro_required' : 'report.contact.intro')}</p>
${textField({ ...common, name: 'first_name', label: t('report.contact.first_name'), value: state.firstName, autocomplete: 'given-name', maxlength: 255, error: errors.get(fieldId('first_name')) })}
${textField({ ...common, name: 'last_name', label: t('report.contact.last_name'), value: state.lastName, autocomplete: 'family-name', maxlength: 255, error: errors.get(fieldId('last_name')) })}
${textField({ ...common, name: 'email', label: t('report.contact.email'), hint: t('report.contact.email_hint'), type: 'email', value: state.email, autocomplete: 'email', maxlength: 254, error: errors.get(fieldId('email')) })}
${textField({ ...common, name: 'phone', label: t('report.contact.phone'), type: 'tel', value: state.phone, autocomplete: 'tel', maxlength: 100, error: errors.get(fieldId('phone')) })}
<div class="inset-text"><h2 class="heading-s">${t('report.contact.privacy_title')}</h2><p>${t('report.contact.privacy', { city: config.site.cityName })}</p></div>
${buttons(view, 'contact', t('form.continue'))}`,
  );
}

// -------------------------------------------------------------------------------------------- review

function reviewStep(
  view: SiteView,
  page: StepPage,
  service: Service | undefined,
  attributes: Attribute[],
  timeZone: string,
): SafeHtml {
  const { t, i18n } = view;
  const { state, errors = new Map() } = page;
  const change = (step: Step, what: string): SafeHtml =>
    html`<button type="submit" class="link-button" name="action" value="goto:${step}">${t('review.change')}<span class="visually-hidden"> ${what}</span></button>`;
  const row = (label: string, value: SafeHtml | string, step: Step): SafeHtml =>
    html`<div class="summary-list__row"><dt class="summary-list__key">${label}</dt><dd class="summary-list__value">${value || t('review.not_given')}</dd><dd class="summary-list__actions">${change(step, label)}</dd></div>`;
  const answerText = (attribute: Attribute): string => {
    const values = answersOf(state, attribute.code);
    if (attribute.values)
      return values.map((key) => attribute.values?.find((value) => value.key === key)?.name ?? key).join(', ');
    if (attribute.datatype === 'datetime' && values[0]) {
      const date = new Date(values[0]);
      return Number.isNaN(date.getTime()) ? values[0] : i18n.dateTime(date, timeZone);
    }
    return values.join(', ');
  };
  const contact = [[state.firstName, state.lastName].filter(Boolean).join(' '), state.email, state.phone]
    .filter(Boolean)
    .join(', ');
  return form(
    view,
    page,
    html`${progress(view, 'review')}
<h1 class="heading-l">${t('review.title')}</h1>
${errorSummary(t('error.summary'), errors)}
<dl class="summary-list">
${row(t('review.location'), locationSummary(view, state), 'where')}
${row(t('review.problem'), service?.service_name ?? '', 'what')}
${attributes.filter((attribute) => attribute.variable).map((attribute) => row(attribute.description, answerText(attribute), 'details'))}
${row(t('review.description'), state.description ?? '', 'details')}
${row(t('review.photos'), state.photos.length > 0 ? photoList(view, state, false) : '', 'details')}
${row(t('review.contact'), contact, 'contact')}
</dl>
<div class="honeypot" aria-hidden="true">
  <label for="field-website">${t('review.honeypot')}</label>
  <input id="field-website" name="website" type="text" tabindex="-1" autocomplete="off" value="">
</div>
<h2 class="heading-m">${t('review.send_title')}</h2>
<p>${t('review.send_text')}</p>
<div class="button-group">
  <button type="submit" class="button" name="action" value="send" data-prevent-double-submit>${t('review.send')}</button>
  <button type="submit" class="button button--secondary" name="action" value="back">${t('form.back')}</button>
</div>`,
  );
}

// ----------------------------------------------------------------------------------------- the flow

const PREVIOUS: Record<Step, Step> = {
  where: 'where',
  what: 'where',
  details: 'what',
  duplicates: 'details',
  contact: 'details',
  review: 'contact',
};

export function createReportFlow(deps: ReportDependencies, renderOf: (req: Request, res: Response) => SiteView) {
  const { context } = deps;
  const { config } = context;
  let siteKey: Promise<string | undefined> | undefined;
  const siteKeyId = (): Promise<string | undefined> => {
    siteKey ??= ensureClientKeyId(context.db, SITE_KEY_NAME).catch((error: unknown) => {
      siteKey = undefined;
      throw error;
    });
    return siteKey;
  };

  async function serviceOf(state: FlowState): Promise<{ service: Service; attributes: Attribute[] } | undefined> {
    if (!state.serviceCode) return undefined;
    const jurisdiction = await deps.jurisdiction();
    // The full list: a blackbox service or one offered elsewhere still has a definition to show.
    const service = (await services.listServices(context.db, jurisdiction)).find(
      (item) => item.service_code === state.serviceCode,
    );
    if (!service) return undefined;
    const definition = await services.getServiceDefinition(context.db, jurisdiction, service.service_code);
    return { service, attributes: [...definition.attributes].sort((a, b) => a.order - b.order) };
  }

  async function render(req: Request, res: Response, page: StepPage, status = 200): Promise<void> {
    const view = renderOf(req, res);
    const jurisdiction = await deps.jurisdiction();
    const zone = jurisdiction.time_zone;
    let main: SafeHtml;
    let title: string;
    const scripts = ['site-report'];
    let map = false;
    // Steps that need a service fall back to choosing one.
    const chosen = ['details', 'duplicates', 'review'].includes(page.step) ? await serviceOf(page.state) : undefined;
    if (['details', 'duplicates'].includes(page.step) && !chosen) page = { ...page, step: 'what' };
    switch (page.step) {
      case 'where':
        title = view.t('report.where.title');
        main = whereStep(view, page);
        map = !page.state.noMap;
        break;
      case 'what':
        title = view.t('report.what.title');
        main = whatStep(view, page, await servicesAt(deps, page.state));
        break;
      case 'details':
        title = view.t('report.details.title', { service: chosen!.service.service_name });
        main = detailsStep(view, page, chosen!.service, chosen!.attributes, zone, config.mediaMaxFiles);
        break;
      case 'duplicates':
        title = view.t('report.duplicates.title');
        main = duplicatesStep(view, page, chosen!.service, await nearbyOpen(deps, page.state, chosen!.service), zone);
        break;
      case 'contact':
        title = view.t(config.site.requireContact ? 'report.contact.title_required' : 'report.contact.title');
        main = contactStep(view, page);
        break;
      default:
        title = view.t('review.title');
        main = reviewStep(view, page, chosen?.service, chosen?.attributes ?? [], zone);
    }
    const hasErrors = (page.errors?.size ?? 0) > 0;
    if (map) res.locals.tileOrigins = [tileOriginOf(config.mapTileUrl)];
    res
      .status(hasErrors && status === 200 ? 400 : status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(renderPage(view, { title, main, scripts, map, current: 'report', form: FORM_ID, hasErrors }));
  }

  /** The step after `step` once its answers are in (the duplicates step only when there are some). */
  async function nextStep(step: Step, state: FlowState): Promise<Step> {
    if (state.reviewing && step !== 'details' && step !== 'what') return 'review';
    switch (step) {
      case 'where':
        return 'what';
      case 'what':
        return 'details';
      case 'details': {
        const chosen = await serviceOf(state);
        if (chosen && (await nearbyOpen(deps, state, chosen.service)).length > 0) return 'duplicates';
        return state.reviewing ? 'review' : 'contact';
      }
      case 'duplicates':
        return state.reviewing ? 'review' : 'contact';
      default:
        return 'review';
    }
  }

  /** Takes the answers of a step into the state; `check` decides whether problems stop the resident. */
  async function takeStep(
    view: SiteView,
    step: Step,
    state: FlowState,
    pairs: Array<[string, string]>,
    files: Array<{ bytes: Buffer }>,
    filesLeftOut?: 'size' | 'count',
  ): Promise<{ state: FlowState; errors: FieldErrors }> {
    const { t } = view;
    const errors: FieldErrors = new Map();
    const value = (name: string): string => (pairValue(pairs, name) ?? '').trim();
    switch (step) {
      case 'where':
        return submitWhere(deps, view, state, pairs);
      case 'what': {
        const code = value('service_code');
        const available = await servicesAt(deps, state);
        if (!available.some((service) => service.service_code === code)) {
          errors.set(fieldId('service_code'), t('report.what.error'));
          return { state, errors };
        }
        const next = { ...state };
        if (next.serviceCode !== code) next.answers = [];
        next.serviceCode = code;
        return { state: next, errors };
      }
      case 'details': {
        const chosen = await serviceOf(state);
        if (!chosen) return { state, errors };
        const jurisdiction = await deps.jurisdiction();
        const next: FlowState = { ...state, answers: [] };
        for (const attribute of chosen.attributes.filter((item) => item.variable)) {
          const values = pairs
            .filter(([name]) => name === attributeName(attribute))
            .map(([, answer]) => answer.trim())
            .filter((answer) => answer !== '');
          // The domain's own attribute rules decide; the message beside the field says it in the resident's words.
          const checked = checkAttributes(
            [attribute],
            values.length > 0 ? { [attribute.code]: values } : {},
            jurisdiction.time_zone,
          );
          const stored = checked.answers[attribute.code];
          if (checked.problems.length > 0) {
            const kind = values.length === 0 ? 'required' : attribute.datatype;
            errors.set(fieldId(attributeName(attribute)), t(`error.attribute.${kind}`, { question: attribute.description }));
            // Kept as typed, so the form comes back filled.
            if (values.length > 0) next.answers.push([attribute.code, values]);
          } else if (stored) next.answers.push([attribute.code, attribute.datatype === 'datetime' ? values : stored]);
        }
        const description = value('description');
        if (description === '') delete next.description;
        else next.description = description.slice(0, 4000);
        if (description.length > 4000) errors.set(fieldId('description'), t('error.too_long', { max: 4000 }));
        const removed = new Set(pairs.filter(([name]) => name === 'remove_photo').map(([, id]) => id));
        if (removed.size > 0) {
          await deps.photos.remove(next.photos.filter((id) => removed.has(id)));
          next.photos = next.photos.filter((id) => !removed.has(id));
        }
        for (const file of files) {
          if (next.photos.length >= config.mediaMaxFiles) {
            errors.set(fieldId('photo'), t('report.details.photo_too_many', { count: config.mediaMaxFiles }));
            break;
          }
          if (isHeic(file.bytes)) {
            errors.set(fieldId('photo'), t('report.details.photo_heic'));
            continue;
          }
          try {
            next.photos = [...next.photos, await deps.photos.add(file.bytes)];
          } catch (error) {
            if (!(error instanceof Open311Error)) throw error;
            errors.set(fieldId('photo'), t('report.details.photo_invalid'));
          }
        }
        // Files the body reader left out (too large, or too many at once): said on the field, the rest kept.
        if (filesLeftOut === 'size')
          errors.set(
            fieldId('photo'),
            t('report.details.photo_too_large', {
              size:
                config.mediaMaxBytes >= 1024 * 1024
                  ? `${Math.floor(config.mediaMaxBytes / (1024 * 1024))} MB`
                  : `${Math.floor(config.mediaMaxBytes / 1024)} KB`,
            }),
          );
        else if (filesLeftOut === 'count')
          errors.set(fieldId('photo'), t('report.details.photo_too_many', { count: config.mediaMaxFiles }));
        // The schema of POST requests, on what would be sent now (lengths, types).
        try {
          validate('create-request-input.json', coerceCreateRequest(requestPairs(next)));
        } catch (error) {
          if (!(error instanceof Open311Error)) throw error;
          if (!errors.has(fieldId('description'))) errors.set(fieldId('description'), error.errors[0]?.description ?? '');
        }
        return { state: next, errors };
      }
      case 'contact': {
        const next: FlowState = { ...state };
        const fields: Array<[keyof FlowState, string]> = [
          ['firstName', 'first_name'],
          ['lastName', 'last_name'],
          ['email', 'email'],
          ['phone', 'phone'],
        ];
        for (const [key, name] of fields) {
          const given = value(name).slice(0, name === 'email' ? 254 : name === 'phone' ? 100 : 255);
          if (given === '') delete next[key];
          else (next as unknown as Record<string, string>)[key] = given;
        }
        if (next.email && !EMAIL.test(next.email)) errors.set(fieldId('email'), t('report.contact.error_email'));
        if (next.phone && !PHONE.test(next.phone)) errors.set(fieldId('phone'), t('report.contact.error_phone'));
        if (config.site.requireContact && !next.email && !next.phone)
          errors.set(fieldId('email'), t('report.contact.error_required'));
        return { state: next, errors };
      }
      default:
        return { state, errors };
    }
  }

  async function send(req: Request, res: Response, state: FlowState, pairs: Array<[string, string]>): Promise<void> {
    const view = renderOf(req, res);
    const refuse = (message: string, status = 400) =>
      render(req, res, { step: 'review', state, errors: new Map([['field-send', message]]) }, status);
    // The honeypot: people never see it, form-filling robots do.
    if ((pairValue(pairs, 'website') ?? '') !== '') return refuse(view.t('review.error_robot'));
    const wait = context.addressRateLimiter?.take(req.ip ?? 'unknown') ?? 0;
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      return refuse(view.t('review.error_rate', { seconds: wait }), 429);
    }
    const keyId = await siteKeyId();
    if (!keyId) return refuse(view.t('review.error_closed'), 503);
    const jurisdiction = await deps.jurisdiction();
    const uploads: Array<{ bytes: Buffer }> = [];
    for (const id of state.photos) {
      const photo = await deps.photos.read(id);
      if (photo) uploads.push({ bytes: photo.bytes });
    }
    let created: CreatedRequest;
    try {
      created = await createWithFreshRetry(context.intakeLookups, ({ fresh }) =>
        requests.createRequestIdempotently(
          intakeOf(context, fresh, 'web'),
          jurisdiction,
          // The page's language is the report's: its e-mails are written in it.
          createSubmission([...requestPairs(state), ['locale', view.language]]),
          keyId,
          state.key,
          uploads,
        ),
      );
    } catch (error) {
      if (!(error instanceof Open311Error) || error.status >= 500) throw error;
      return refuse(error.errors.map((item) => item.description).join(' '), error.status);
    }
    context.events?.poke();
    await deps.photos.remove(state.photos);
    const target = created.service_request_id
      ? `/report/sent?request=${encodeURIComponent(created.service_request_id)}`
      : created.token
        ? `/report/sent?token=${encodeURIComponent(created.token)}`
        : '/report/sent';
    res.redirect(303, target);
  }

  return {
    async start(req: Request, res: Response): Promise<void> {
      await render(req, res, { step: 'where', state: newFlowState(req.query.map === 'off') });
    },

    async photo(req: Request, res: Response): Promise<void> {
      const photo = await deps.photos.read(String(req.params.id ?? ''));
      if (!photo) {
        res.status(404).type('text').send('Not found');
        return;
      }
      res.set({ 'Content-Type': photo.contentType, 'Cache-Control': 'private, no-store', 'X-Content-Type-Options': 'nosniff' });
      res.send(photo.bytes);
    },

    async step(req: Request, res: Response): Promise<void> {
      const step = String(req.params.step ?? '');
      if (!isStep(step)) {
        res.redirect(303, '/report');
        return;
      }
      const { pairs, files, filesLeftOut } = await readFormBody(req, {
        maxFileBytes: config.mediaMaxBytes,
        maxFiles: config.mediaMaxFiles,
        budget: deps.context.uploadBudget,
        leaveOutOversizeFiles: true,
      });
      let state = decodeFlowState(pairValue(pairs, 'flow'));
      const action = pairValue(pairs, 'action') ?? 'continue';
      const language = pairValue(pairs, 'switch_language');
      if (isLanguage(language)) {
        // A language switch keeps everything typed on this page too, without judging it yet.
        res.cookie(LANGUAGE_COOKIE, language, { maxAge: 365 * 24 * 3600 * 1000, sameSite: 'lax', path: '/', httpOnly: true });
        res.locals.language = language;
        const view = renderOf(req, res);
        const taken = await takeStep(view, step, state, pairs, files, filesLeftOut);
        return render(req, res, { step, state: taken.state, search: pairValue(pairs, 'search') ?? '' });
      }
      const view = renderOf(req, res);
      if (step === 'review' && action === 'send') return send(req, res, state, pairs);
      if (action === 'back') {
        const taken = step === 'review' ? { state } : await takeStep(view, step, state, pairs, files, filesLeftOut);
        return render(req, res, { step: PREVIOUS[step], state: { ...taken.state, reviewing: false } });
      }
      if (action.startsWith('goto:')) {
        const target = action.slice('goto:'.length);
        if (isStep(target)) return render(req, res, { step: target, state: { ...state, reviewing: true } });
      }
      if (step === 'what' && action === 'search') {
        return render(req, res, { step, state, search: (pairValue(pairs, 'search') ?? '').trim().slice(0, 100) });
      }
      if (step === 'review') return send(req, res, state, pairs);
      const taken = await takeStep(view, step, state, pairs, files, filesLeftOut);
      state = taken.state;
      if (taken.errors.size > 0) return render(req, res, { step, state, errors: taken.errors });
      return render(req, res, { step: await nextStep(step, state), state });
    },
  };
}
