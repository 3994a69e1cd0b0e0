// The site's reading pages: home, about, the confirmation after a report, a request's track page, the public
// map with its list, and the city's numbers. Each reads through the same domain functions as the API (public
// fields only) and renders with the message catalog.
import type { Request, Response } from 'express';
import { tileOriginOf } from '../../../config.js';
import * as requests from '../../../domain/requests.js';
import * as services from '../../../domain/services.js';
import * as stats from '../../../domain/stats.js';
import type { ExtendedServiceRequest, Jurisdiction, Service, ServiceRequest } from '../../../domain/types.js';
import { notFound, Open311Error } from '../../../errors.js';
import { requestsQuery, statsInput } from '../../../validate/inputs.js';
import type { AppContext } from '../../context.js';
import { FEEDS_PATH } from '../../feeds.js';
import { html, type SafeHtml } from '../html.js';
import { renderPage, type SiteView } from './layout.js';

const DAY = 24 * 3600 * 1000;
const MAP_LIST_SIZE = 50;
const NUMBERS_DAYS = 90;
const NUMBERS_WEEKS = 12;
const NUMBERS_CACHE_MS = 60_000;

export interface PageDependencies {
  context: AppContext;
  jurisdiction: () => Promise<Jurisdiction>;
}

/** Services by code (full list, blackbox included): blackbox requests are never shown on the site. */
async function serviceTable(deps: PageDependencies, jurisdiction: Jurisdiction): Promise<Map<string, Service>> {
  const list = await services.listServices(deps.context.db, jurisdiction);
  return new Map(list.map((service) => [service.service_code, service]));
}

function send(res: Response, view: SiteView, options: Parameters<typeof renderPage>[1], tileOrigin?: string): void {
  if (tileOrigin) res.locals.tileOrigins = [tileOrigin];
  res.type('html').set('Cache-Control', 'no-store').send(renderPage(view, options));
}

const statusText = (view: SiteView, status: string): SafeHtml =>
  html`<span class="status status--${status}"><span class="status__icon" aria-hidden="true">${status === 'closed' ? '✓' : '●'}</span> ${view.t(`status.${status}`)}</span>`;

export function createPages(deps: PageDependencies, viewOf: (req: Request, res: Response) => SiteView) {
  const { context } = deps;
  const { config } = context;
  const tileOrigin = tileOriginOf(config.mapTileUrl);
  // The numbers are aggregates over 90 days: computed at most once a minute per process (concurrent readers share
  // one computation), so a busy page does not run the trends' SQL for every visitor.
  let cachedNumbers: { at: number; value: ReturnType<typeof numbers> } | undefined;
  const currentNumbers = (): ReturnType<typeof numbers> => {
    if (!cachedNumbers || Date.now() - cachedNumbers.at > NUMBERS_CACHE_MS) {
      const value = numbers(deps);
      cachedNumbers = { at: Date.now(), value };
      value.catch(() => {
        if (cachedNumbers?.value === value) cachedNumbers = undefined;
      });
    }
    return cachedNumbers.value;
  };

  function requestCard(view: SiteView, request: ServiceRequest, timeZone: string): SafeHtml {
    const { t, i18n } = view;
    return html`<li class="request-item" data-request data-id="${request.service_request_id}" data-lat="${request.lat ?? ''}" data-long="${request.long ?? ''}" data-status="${request.status}" data-title="${`${t('request.number', { id: request.service_request_id })} · ${request.service_name}`}">
  <h3 class="heading-s"><a href="/requests/${request.service_request_id}">${t('request.number', { id: request.service_request_id })} · ${request.service_name}</a></h3>
  <p>${statusText(view, request.status)} · ${t('request.reported_at', { when: i18n.dateTime(request.requested_datetime, timeZone) })}</p>
  ${request.address ? html`<p>${request.address}</p>` : ''}
</li>`;
  }

  async function mapList(req: Request, view: SiteView) {
    const jurisdiction = await deps.jurisdiction();
    const table = await serviceTable(deps, jurisdiction);
    const listed = [...table.values()].filter((service) => service.type !== 'blackbox');
    const one = (name: string): string => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');
    const serviceCode =
      table.has(one('service_code')) && table.get(one('service_code'))!.type !== 'blackbox' ? one('service_code') : '';
    const status = ['open', 'closed'].includes(one('status')) ? one('status') : '';
    const bbox = /^-?[\d.]+,-?[\d.]+,-?[\d.]+,-?[\d.]+$/.test(one('bbox')) ? one('bbox') : '';
    const query: Record<string, string> = {};
    if (serviceCode) query.service_code = serviceCode;
    else query.service_code = listed.map((service) => service.service_code).join(',');
    if (status) query.status = status;
    if (bbox) query.bbox = bbox;
    let found: ServiceRequest[] = [];
    if (query.service_code) {
      try {
        found = await requests.newestRequests(context.db, jurisdiction, requestsQuery(query), MAP_LIST_SIZE * 2);
      } catch (error) {
        if (!(error instanceof Open311Error) || error.status !== 400) throw error;
      }
    }
    const shown = found.filter((request) => table.get(request.service_code)?.type !== 'blackbox').slice(0, MAP_LIST_SIZE);
    const list = html`<div id="map-results" data-map-results>
<h2 class="heading-m" id="results-title">${view.t('map.results', { count: shown.length })}</h2>
${shown.length === 0 ? html`<p>${view.t('map.empty')}</p>` : html`<ul class="request-list" aria-labelledby="results-title">${shown.map((request) => requestCard(view, request, jurisdiction.time_zone))}</ul>`}
</div>`;
    return { list, listed, serviceCode, status, bbox };
  }

  return {
    async home(req: Request, res: Response): Promise<void> {
      const view = viewOf(req, res);
      const { t } = view;
      send(res, view, {
        title: t('home.title'),
        main: html`<h1 class="heading-xl">${t('home.heading', { city: config.site.cityName })}</h1>
<p class="lead">${t('home.lead')}</p>
<p><a class="button button--start" href="/report">${t('home.start')}</a></p>
<p><a href="/report?map=off">${t('home.start_without_map')}</a></p>
<div class="columns">
  <section class="column"><h2 class="heading-m"><a href="/map">${t('nav.map')}</a></h2><p>${t('home.map_text')}</p></section>
  <section class="column"><h2 class="heading-m"><a href="/numbers">${t('nav.numbers')}</a></h2><p>${t('home.numbers_text')}</p></section>
  <section class="column"><h2 class="heading-m">${t('home.track_title')}</h2>
    <form method="get" action="/requests" class="track-form">
      <label class="label" for="track-id">${t('home.track_label')}</label>
      <div class="search-row"><input class="input input--short" id="track-id" name="id" inputmode="numeric" autocomplete="off"><button type="submit" class="button button--secondary">${t('home.track_button')}</button></div>
    </form>
  </section>
</div>`,
      });
    },

    async about(req: Request, res: Response): Promise<void> {
      const view = viewOf(req, res);
      const { t } = view;
      send(res, view, {
        title: t('nav.about'),
        current: 'about',
        main: html`<h1 class="heading-l">${t('about.title', { city: config.site.cityName })}</h1>
${config.site.about ? config.site.about.split(/\n{2,}/).map((paragraph) => html`<p>${paragraph}</p>`) : html`<p>${t('about.default', { city: config.site.cityName })}</p>`}
<h2 class="heading-m">${t('about.privacy_title')}</h2>
<p>${t('report.contact.privacy', { city: config.site.cityName })}</p>
<h2 class="heading-m">${t('about.contact_title')}</h2>
<p>${config.site.contact}</p>
<h2 class="heading-m">${t('about.api_title')}</h2>
<p>${t('about.api_text')} <a href="/open311/v2/discovery.json">/open311/v2/discovery.json</a></p>`,
      });
    },

    /** After a send: the request number (a batch service's token resolves to it) and the tracking link. */
    async sent(req: Request, res: Response): Promise<void> {
      const view = viewOf(req, res);
      const { t } = view;
      const jurisdiction = await deps.jurisdiction();
      let id = typeof req.query.request === 'string' && /^\d{1,20}$/.test(req.query.request) ? req.query.request : undefined;
      const token = typeof req.query.token === 'string' && /^[\w-]{1,200}$/.test(req.query.token) ? req.query.token : undefined;
      if (!id && token) {
        try {
          id = (await requests.getRequestIdForToken(context.db, jurisdiction, token)).service_request_id;
        } catch (error) {
          if (!(error instanceof Open311Error) || error.status !== 404) throw error;
        }
      }
      send(res, view, {
        title: t('sent.title'),
        current: 'report',
        main: html`<div class="panel panel--confirmation">
  <h1 class="panel__title">${t('sent.title')}</h1>
  ${id ? html`<div class="panel__body">${t('sent.number')}<br><strong class="request-number">${id}</strong></div>` : ''}
</div>
${
  id
    ? html`<p>${t('sent.track_text')}</p><p><a class="button" href="/requests/${id}">${t('sent.track')}</a></p>`
    : token
      ? html`<p>${t('sent.token_text', { token })}</p><p><a href="/report/sent?token=${token}">${t('sent.token_check')}</a></p>`
      : html`<p>${t('sent.no_number')}</p>`
}
<p><a href="/report">${t('sent.another')}</a></p>`,
      });
    },

    /** /requests?id=… from the home page's form. */
    async findById(req: Request, res: Response): Promise<void> {
      const id = typeof req.query.id === 'string' ? req.query.id.trim().replace(/^#/, '') : '';
      res.redirect(303, /^\d{1,20}$/.test(id) ? `/requests/${id}` : '/');
    },

    async track(req: Request, res: Response): Promise<void> {
      const view = viewOf(req, res);
      const { t, i18n } = view;
      const jurisdiction = await deps.jurisdiction();
      const id = String(req.params.id ?? '');
      const request = (await requests.getRequestWithExtensions(context.db, jurisdiction, id, true)) as ExtendedServiceRequest;
      const service = (await serviceTable(deps, jurisdiction)).get(request.service_code);
      if (service?.type === 'blackbox') throw notFound(`No service request with id ${id}.`);
      const zone = jurisdiction.time_zone;
      const photos =
        request.extended_attributes.media_urls.length > 0
          ? request.extended_attributes.media_urls
          : request.media_url
            ? [request.media_url]
            : [];
      const hasPoint = request.lat !== null && request.long !== null;
      const history = [
        { at: request.requested_datetime, text: t('track.history_created') },
        ...request.notes
          .filter((note) => note.type !== 'opened')
          .map((note) => ({ at: note.datetime, text: note.summary ?? note.description ?? t('track.note_update') })),
      ];
      send(
        res,
        view,
        {
          title: t('request.number', { id: request.service_request_id }),
          feed: {
            title: t('request.number', { id: request.service_request_id }),
            path: `${FEEDS_PATH}/requests/${encodeURIComponent(request.service_request_id)}.atom`,
          },
          scripts: hasPoint ? ['site-track'] : [],
          map: hasPoint,
          main: html`<p class="caption">${request.service_name}</p>
<h1 class="heading-l">${t('request.number', { id: request.service_request_id })}</h1>
<p class="status-line">${statusText(view, request.status)}</p>
<dl class="summary-list summary-list--plain">
  <div class="summary-list__row"><dt class="summary-list__key">${t('track.reported')}</dt><dd class="summary-list__value">${i18n.dateTime(request.requested_datetime, zone)}</dd></div>
  ${request.updated_datetime ? html`<div class="summary-list__row"><dt class="summary-list__key">${t('track.updated')}</dt><dd class="summary-list__value">${i18n.dateTime(request.updated_datetime, zone)}</dd></div>` : ''}
  ${request.expected_datetime ? html`<div class="summary-list__row"><dt class="summary-list__key">${t('track.expected')}</dt><dd class="summary-list__value">${i18n.dateTime(request.expected_datetime, zone)}</dd></div>` : ''}
  ${request.agency_responsible ? html`<div class="summary-list__row"><dt class="summary-list__key">${t('track.agency')}</dt><dd class="summary-list__value">${request.agency_responsible}</dd></div>` : ''}
  <div class="summary-list__row"><dt class="summary-list__key">${t('track.location')}</dt><dd class="summary-list__value">${request.address ?? (hasPoint ? t('report.where.pin_at', { lat: request.lat!.toFixed(5), long: request.long!.toFixed(5) }) : '')}</dd></div>
  ${request.description ? html`<div class="summary-list__row"><dt class="summary-list__key">${t('review.description')}</dt><dd class="summary-list__value">${request.description}</dd></div>` : ''}
  ${request.status_notes ? html`<div class="summary-list__row"><dt class="summary-list__key">${t('track.status_notes')}</dt><dd class="summary-list__value">${request.status_notes}</dd></div>` : ''}
</dl>
${request.service_notice ? html`<div class="inset-text">${request.service_notice}</div>` : ''}
${hasPoint ? html`<div class="track-map" id="track-map" data-tile-url="${config.mapTileUrl}" data-attribution="${config.mapAttribution}" data-lat="${request.lat!}" data-long="${request.long!}" data-label="${t('track.map_label')}" hidden></div>` : ''}
${photos.length > 0 ? html`<h2 class="heading-m">${t('review.photos')}</h2><ul class="photo-list">${photos.map((url, index) => html`<li class="photo-list__item"><a href="${url}"><img src="${url}" alt="${t('report.details.photo_alt', { number: index + 1 })}" class="photo-list__image photo-list__image--large" width="240" height="180"></a></li>`)}</ul>` : ''}
<h2 class="heading-m">${t('track.history')}</h2>
<ol class="timeline">${history.map((entry) => html`<li><time datetime="${entry.at.toISOString()}">${i18n.dateTime(entry.at, zone)}</time> — ${entry.text}</li>`)}</ol>
<h2 class="heading-m">${t('track.follow_title')}</h2>
${
  config.smtpUrl
    ? html`<form method="post" action="/requests/${request.service_request_id}/follow" class="follow-form">
  <input type="hidden" name="locale" value="${view.language}">
  <div class="form-group">
    <label class="label" for="follow-email">${t('track.follow_email')}</label>
    <p class="hint" id="follow-email-hint">${t('track.follow_hint')}</p>
    <input class="input" id="follow-email" name="email" type="email" autocomplete="email" maxlength="254" aria-describedby="follow-email-hint">
  </div>
  <button type="submit" class="button">${t('track.follow_button')}</button>
</form>`
    : ''
}
<p>${t('track.follow_text')} <a href="/requests/${request.service_request_id}">${config.publicUrl}/requests/${request.service_request_id}</a></p>`,
        },
        hasPoint ? tileOrigin : undefined,
      );
    },

    async map(req: Request, res: Response): Promise<void> {
      const view = viewOf(req, res);
      const { t } = view;
      const { list, listed, serviceCode, status, bbox } = await mapList(req, view);
      if (req.query.fragment === 'list') {
        res.type('html').set('Cache-Control', 'no-store').send(list.value);
        return;
      }
      const centre = config.site.mapCentre;
      send(
        res,
        view,
        {
          title: t('map.title'),
          current: 'map',
          scripts: ['site-map'],
          map: true,
          main: html`<h1 class="heading-l">${t('map.title')}</h1>
<p>${t('map.intro')}</p>
<form method="get" action="/map" class="filters" data-map-filters>
  <div class="form-group form-group--inline">
    <label class="label" for="filter-service">${t('map.filter_service')}</label>
    <select class="select" id="filter-service" name="service_code"><option value="">${t('map.all_services')}</option>${listed.map((service) => html`<option value="${service.service_code}"${service.service_code === serviceCode ? html` selected` : ''}>${service.service_name}</option>`)}</select>
  </div>
  <div class="form-group form-group--inline">
    <label class="label" for="filter-status">${t('map.filter_status')}</label>
    <select class="select" id="filter-status" name="status"><option value="">${t('map.all_statuses')}</option><option value="open"${status === 'open' ? html` selected` : ''}>${t('status.open')}</option><option value="closed"${status === 'closed' ? html` selected` : ''}>${t('status.closed')}</option></select>
  </div>
  <input type="hidden" name="bbox" value="${bbox}" data-bbox>
  <button type="submit" class="button button--secondary">${t('map.apply')}</button>
</form>
<div class="map-layout">
  <div class="public-map" id="public-map" data-tile-url="${config.mapTileUrl}" data-attribution="${config.mapAttribution}" data-lat="${centre.lat}" data-long="${centre.long}" data-label="${t('map.map_label')}" data-open="${t('status.open')}" data-closed="${t('status.closed')}" hidden></div>
  <div class="map-list">${list}</div>
</div>
<p class="hint">${t('map.legend')}</p>
${config.smtpUrl ? html`<p><a href="/alerts/new?locale=${view.language}">${t('map.alerts')}</a></p>` : ''}`,
        },
        tileOrigin,
      );
    },

    async numbers(req: Request, res: Response): Promise<void> {
      const view = viewOf(req, res);
      const { t, i18n } = view;
      const data = await currentNumbers();
      const zone = data.timeZone;
      send(res, view, {
        title: t('numbers.title'),
        current: 'numbers',
        main: html`<h1 class="heading-l">${t('numbers.title')}</h1>
<p>${t('numbers.intro', { days: NUMBERS_DAYS })}</p>
<div class="stat-row">
  <p class="stat"><span class="stat__value">${i18n.number(data.open)}</span> <span class="stat__label">${t('numbers.open')}</span></p>
  <p class="stat"><span class="stat__value">${i18n.number(data.closed)}</span> <span class="stat__label">${t('numbers.closed')}</span></p>
</div>
<h2 class="heading-m" id="weekly-title">${t('numbers.weekly_title', { weeks: NUMBERS_WEEKS })}</h2>
<div class="bars" aria-hidden="true">${data.weeks.map((week) => html`<span class="bar bar--h${Math.round((week.count / Math.max(1, ...data.weeks.map((item) => item.count))) * 10)}"></span>`)}</div>
<table class="table" aria-labelledby="weekly-title">
  <thead><tr><th scope="col">${t('numbers.week_of')}</th><th scope="col" class="numeric">${t('numbers.requests')}</th></tr></thead>
  <tbody>${data.weeks.map((week) => html`<tr><th scope="row">${i18n.date(week.start, zone)}</th><td class="numeric">${i18n.number(week.count)}</td></tr>`)}</tbody>
</table>
<p><a href="/numbers/weekly.csv" download>${t('numbers.download', { what: t('numbers.weekly_title', { weeks: NUMBERS_WEEKS }) })}</a></p>
<h2 class="heading-m" id="close-title">${t('numbers.close_title', { days: NUMBERS_DAYS })}</h2>
<table class="table" aria-labelledby="close-title">
  <thead><tr><th scope="col">${t('numbers.service')}</th><th scope="col" class="numeric">${t('numbers.closed_count')}</th><th scope="col" class="numeric">${t('numbers.median')}</th></tr></thead>
  <tbody>${data.closeTimes.map((row) => html`<tr><th scope="row">${row.service_name}</th><td class="numeric">${i18n.number(row.closed)}</td><td class="numeric">${row.median_hours === null ? '—' : t('numbers.hours', { hours: i18n.number(row.median_hours, 1) })}</td></tr>`)}</tbody>
</table>
<p><a href="/numbers/time-to-close.csv" download>${t('numbers.download', { what: t('numbers.close_title', { days: NUMBERS_DAYS }) })}</a></p>`,
      });
    },

    async numbersCsv(req: Request, res: Response): Promise<void> {
      const data = await currentNumbers();
      const which = String(req.params.which ?? '');
      const quote = (value: string | number | null): string => {
        const text = value === null ? '' : String(value);
        // A leading =, +, - or @ would be read as a formula by spreadsheets.
        const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
        return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
      };
      let body: string;
      if (which === 'weekly') {
        body = `week_start,requests\r\n${data.weeks.map((week) => `${week.start.toISOString().slice(0, 10)},${week.count}`).join('\r\n')}\r\n`;
      } else if (which === 'time-to-close') {
        body = `service_code,service_name,closed,median_hours\r\n${data.closeTimes
          .map((row) => [row.service_code, row.service_name, row.closed, row.median_hours].map(quote).join(','))
          .join('\r\n')}\r\n`;
      } else throw notFound(`There is no resource at ${req.path.slice(0, 200)}.`);
      res
        .status(200)
        .set({
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="${which}.csv"`,
          'Cache-Control': 'public, max-age=300',
        })
        .send(body);
    },
  };
}

/** The public numbers, from the staff trends' own SQL (src/domain/stats.ts → src/store/stats-store.ts). */
export async function numbers(deps: PageDependencies, now = new Date()) {
  const { context } = deps;
  const jurisdiction = await deps.jurisdiction();
  const id = jurisdiction.jurisdiction_id;
  const since = new Date(now.getTime() - NUMBERS_DAYS * DAY).toISOString();
  const weeksSince = new Date(now.getTime() - NUMBERS_WEEKS * 7 * DAY).toISOString();
  const [byStatus, weekly, closing, table] = await Promise.all([
    stats.counts(
      context.db,
      context.jurisdictions,
      statsInput('stats-input.json', { jurisdiction_id: id, group_by: 'status', interval: 'none', start_date: since }),
      now,
    ),
    stats.counts(
      context.db,
      context.jurisdictions,
      statsInput('stats-input.json', { jurisdiction_id: id, group_by: 'status', interval: 'week', start_date: weeksSince }),
      now,
    ),
    stats.timeToClose(
      context.db,
      context.jurisdictions,
      statsInput('stats-time-to-close-input.json', { jurisdiction_id: id, start_date: since }),
      now,
    ),
    serviceTable(deps, jurisdiction),
  ]);
  const count = (key: string): number =>
    byStatus.document.rows.filter((row) => row.key === key).reduce((sum, row) => sum + row.count, 0);
  const perWeek = new Map<number, number>();
  for (const row of weekly.document.rows) {
    if (!row.bucket) continue;
    const at = new Date(row.bucket).getTime();
    perWeek.set(at, (perWeek.get(at) ?? 0) + row.count);
  }
  return {
    timeZone: jurisdiction.time_zone,
    open: count('open'),
    closed: count('closed'),
    weeks: [...perWeek].sort(([a], [b]) => a - b).map(([at, total]) => ({ start: new Date(at), count: total })),
    closeTimes: closing.document.rows
      .filter((row) => table.get(row.service_code)?.type !== 'blackbox')
      .map((row) => ({
        service_code: row.service_code,
        service_name: table.get(row.service_code)?.service_name ?? row.service_code,
        closed: row.closed,
        median_hours: row.median_hours,
      })),
  };
}
