// The staff console's URL map (/staff/…), top to bottom. Every page reads through the staff API's domain
// functions (workflow, catalog, stats); every action is a form POST checked for CSRF and answered with a
// 303 back to the page that asked (PRG), so a reload never repeats a write.
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { tileOriginOf } from '../../../config.js';
import { createArea, deleteArea, listAgencies, listAreas, listServices } from '../../catalog-actions.js';
import * as accounts from '../../../domain/staff-accounts.js';
import { issueKeyAsStaff, revokeKeyAsStaff } from '../../../domain/api-keys.js';
import { requestNotifications } from '../../../domain/notifications.js';
import { listKeys, type KeyRole } from '../../../store/api-keys-store.js';
import { ADMIN_PATH, adminIndexBody, areaFieldOf, areasBody, keysBody, staffBody } from './admin-pages.js';
import { adminEditingRoutes } from './admin-routes.js';
import * as savedViews from '../../../domain/saved-views.js';
import * as workflow from '../../workflow-actions.js';
import { badRequest, notFound, Open311Error } from '../../../errors.js';
import { csvHeader, csvRows } from '../../../serialize/csv.js';
import type { AppContext } from '../../context.js';
import { notFoundHandler } from '../../error-handler.js';
import { refuseNul } from '../../format.js';
import { html, type SafeHtml } from '../html.js';
import { pageSecurityHeaders } from '../security.js';
import { formOf, formValue, formValues } from './form.js';
import { consoleFormBody, consoleUserOf, requireConsole, teamOf } from './guard.js';
import { CONSOLE_BASE_PATH, type FieldError, setFlash } from './layout.js';
import { apiQueryOf, QUEUE_COUNT_LIMIT, queueBody, queueParametersOf, queryStringOf } from './queue-page.js';
import { type PageOptions, renderErrorPage, sendConsolePage } from './render.js';
import { mapBody } from './map-page.js';
import * as stats from '../../../domain/stats.js';
import { tableCsv, trendTables, trendsBody } from './trends-page.js';
import { type DuplicateCandidate, type RequestViewModel, requestBody, workOrderBody } from './request-page.js';
import QRCode from 'qrcode';
import { getServiceDefinition } from '../../../domain/services.js';
import { statsInput } from '../../../validate/inputs.js';

/** Where a form asked to go back to: a console path only (never another site). */
export function safeReturnTo(value: string | undefined, fallback: string): string {
  if (!value || value.length > 2000) return fallback;
  if (!value.startsWith(`${CONSOLE_BASE_PATH}/`) || value.startsWith('//') || /[\\\s]/.test(value)) return fallback;
  return value;
}

export function consoleRouter(context: AppContext): Router {
  const { db, config } = context;
  const router = express.Router();
  router.use(pageSecurityHeaders([tileOriginOf(config.mapTileUrl)]));
  router.use((req: Request, res: Response, next: NextFunction) => {
    res.locals.errorPage = (error: Open311Error) => renderErrorPage(context, req, res, error);
    next();
  });
  router.use(refuseNul);
  router.use((req: Request, res: Response, next: NextFunction) => {
    // /staff and /staff/ are the same page; relative links need the slash.
    if (/^\/staff(\?|$)/.test(req.originalUrl)) res.redirect(301, req.originalUrl.replace(/^\/staff/, '/staff/'));
    else next();
  });
  // Bodies first: the session check reads the CSRF token of a POST from them.
  router.use(consoleFormBody);
  router.use(requireConsole(context, 'staff'));

  const jurisdiction = () => context.jurisdictions.resolve(undefined);

  // --- Queue -------------------------------------------------------------------------------------------
  router.get('/', async (req, res) => {
    const current = await jurisdiction();
    const user = consoleUserOf(res);
    const parameters = queueParametersOf(req.query);
    const team = await teamOf(context, res);
    const [services, agencies, views] = await Promise.all([
      listServices(db, current),
      listAgencies(db, current),
      savedViews.listSavedViews(db, user.staff_id),
    ]);
    let result: Awaited<ReturnType<typeof workflow.queue>> | undefined;
    let errors: FieldError[] | undefined;
    try {
      result = await workflow.queue(db, current, apiQueryOf(parameters), team.actor, QUEUE_COUNT_LIMIT);
    } catch (error) {
      if (!(error instanceof Open311Error) || error.status !== 400) throw error;
      errors = error.errors.map((item) => ({ field: fieldOf(item.description), message: item.description }));
    }
    sendConsolePage(
      context,
      req,
      res,
      {
        title: 'Queue',
        section: 'queue',
        errors,
        scripts: ['queue'],
        data: { 'live-url': `${CONSOLE_BASE_PATH}/queue/changes${queryStringOf(parameters)}` },
        body: queueBody({
          parameters,
          services: services.filter((service) => service.active),
          agencies: agencyNames(agencies, services),
          people: team.people,
          result: result ? { ...result, requests: result.requests } : undefined,
          timeZone: current.time_zone,
          now: new Date(),
          csrfToken: user.csrf_token,
          savedViews: views,
          templates: team.templates,
          meId: user.staff_id,
          assignmentAvailable: team.assignmentAvailable,
        }),
      },
      errors ? 400 : 200,
    );
  });

  // Live updates: a small fingerprint of the current page of the queue; the page polls it with If-None-Match
  // and fetches the fresh table only when it changed.
  router.get('/queue/changes', async (req, res) => {
    res.locals.format = 'json';
    const current = await jurisdiction();
    const team = await teamOf(context, res);
    const result = await workflow.queue(db, current, apiQueryOf(queueParametersOf(req.query)), team.actor, QUEUE_COUNT_LIMIT);
    const rows = result.requests.map((request) => `${request.service_request_id}:${request.version}`);
    const fingerprint = createHash('sha256')
      .update(`${result.total}|${rows.join(',')}`)
      .digest('base64url')
      .slice(0, 27);
    const etag = `"${fingerprint}"`;
    res.set('Cache-Control', 'no-cache').set('ETag', etag);
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.json({ total: result.total, rows, fingerprint });
  });

  // CSV of exactly the current filter (every page of it), streamed page by page through the same queue.
  router.get('/export.csv', async (req, res) => {
    const current = await jurisdiction();
    const team = await teamOf(context, res);
    const parameters = queueParametersOf(req.query);
    parameters.delete('page');
    parameters.delete('page_size');
    const query = { ...apiQueryOf(parameters), page_size: '500' };
    const first = await workflow.queue(db, current, { ...query, page: '1' }, team.actor);
    res
      .status(200)
      .set('Content-Type', 'text/csv; charset=utf-8')
      .set('Content-Disposition', 'attachment; filename="queue.csv"')
      .set('Cache-Control', 'no-store');
    res.write(csvHeader());
    res.write(csvRows(first.requests, current.time_zone));
    const pages = Math.min(Math.ceil(first.total / 500), 400);
    for (let page = 2; page <= pages; page += 1) {
      const next = await workflow.queue(db, current, { ...query, page: String(page) }, team.actor);
      res.write(csvRows(next.requests, current.time_zone));
    }
    res.end();
  });

  // Bulk actions on the selected rows. Each checkbox carries the version the person saw ("id:version"), so a
  // row someone else changed in the meantime is left alone and reported, never overwritten.
  router.post('/bulk', async (req, res) => {
    const form = formOf(req);
    const current = await jurisdiction();
    const user = consoleUserOf(res);
    const team = await teamOf(context, res);
    const back = safeReturnTo(formValue(form, 'return_to'), `${CONSOLE_BASE_PATH}/`);
    const selected = formValues(form, 'id')
      .map((value) => /^(\d{1,18}):(\d{1,9})$/.exec(value))
      .filter((match): match is RegExpExecArray => match !== null)
      .slice(0, 500);
    if (selected.length === 0) {
      setFlash(res, { kind: 'error', text: 'Select at least one request first.' });
      res.redirect(303, back);
      return;
    }
    const action = formValue(form, 'action');
    const note = formValue(form, 'status_notes');
    const template = team.templateFields(formValue(form, 'template'));
    let done = 0;
    const conflicts: string[] = [];
    const failures: string[] = [];
    for (const [, id, version] of selected) {
      try {
        if (action === 'assign_me' || action === 'assign') {
          await team.assign(
            current,
            id!,
            Number(version),
            action === 'assign_me' ? user.staff_id : formValue(form, 'assigned_to'),
          );
        } else if (action === 'status' || action === 'close') {
          const body: Record<string, unknown> = { version: Number(version) };
          body.status = action === 'close' ? 'closed' : formValue(form, 'status');
          if (note) body.status_notes = note;
          Object.assign(body, template);
          await workflow.changeRequest(db, current, id!, body, undefined, user.actor);
        } else {
          throw badRequest('Choose what to do with the selected requests.');
        }
        done += 1;
      } catch (error) {
        if (error instanceof Open311Error && error.status === 412) conflicts.push(id!);
        else if (error instanceof Open311Error && error.status < 500)
          failures.push(`${id}: ${error.errors[0]?.description ?? ''}`);
        else throw error;
      }
    }
    if (done > 0) context.events?.poke();
    const parts = [`${done} request${done === 1 ? '' : 's'} changed.`];
    if (conflicts.length > 0)
      parts.push(
        `Left alone because someone changed them after you loaded the page: ${conflicts.join(', ')}. Review them and try again.`,
      );
    if (failures.length > 0) parts.push(`Not changed: ${failures.join('; ')}`);
    setFlash(res, { kind: conflicts.length + failures.length > 0 ? 'warning' : 'success', text: parts.join(' ') });
    res.redirect(303, back);
  });

  // --- Map of the queue -----------------------------------------------------------------------------------
  router.get('/map', async (req, res) => {
    const current = await jurisdiction();
    const parameters = queueParametersOf(req.query);
    const team = await teamOf(context, res);
    const [services, agencies] = await Promise.all([listServices(db, current), listAgencies(db, current)]);
    let result: Awaited<ReturnType<typeof workflow.queue>> | undefined;
    let errors: FieldError[] | undefined;
    try {
      // The map shows up to 500 markers: one page of the largest size the queue allows.
      result = await workflow.queue(db, current, { ...apiQueryOf(parameters), page_size: '500', page: '1' }, team.actor);
    } catch (error) {
      if (!(error instanceof Open311Error) || error.status !== 400) throw error;
      errors = error.errors.map((item) => ({ field: fieldOf(item.description), message: item.description }));
    }
    sendConsolePage(
      context,
      req,
      res,
      {
        title: 'Map',
        section: 'map',
        errors,
        styles: ['leaflet'],
        scripts: ['map'],
        body: mapBody({
          parameters,
          services: services.filter((service) => service.active),
          agencies: agencyNames(agencies, services),
          people: team.people,
          assignmentAvailable: team.assignmentAvailable,
          timeZone: current.time_zone,
          now: new Date(),
          result,
          map: { tileUrl: config.mapTileUrl, attribution: config.mapAttribution },
        }),
      },
      errors ? 400 : 200,
    );
  });

  // --- Trends ------------------------------------------------------------------------------------------------
  const trendsInput = async (req: Request) => {
    const current = await jurisdiction();
    const day = (date: Date): string =>
      new Intl.DateTimeFormat('en-CA', { timeZone: current.time_zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
        date,
      );
    const text = (name: string): string | undefined => {
      const value = req.query[name];
      return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
    };
    const raw = req.query.service_code;
    const codes = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
      .filter((value): value is string => typeof value === 'string')
      .flatMap((value) => value.split(','))
      .filter((value) => value !== '')
      .slice(0, 200);
    const now = new Date();
    const input = {
      start_date: text('start_date') ?? day(new Date(now.getTime() - 89 * 86_400_000)),
      end_date: text('end_date') ?? day(now),
      service_code: codes,
    };
    const base: Record<string, string> = { start_date: input.start_date, end_date: input.end_date };
    if (codes.length > 0) base.service_code = codes.join(',');
    const spanDays = (Date.parse(input.end_date) - Date.parse(input.start_date)) / 86_400_000;
    const reports = {
      counts: (
        await stats.counts(
          db,
          context.jurisdictions,
          statsInput('stats-input.json', { ...base, group_by: 'service_code', interval: 'week' }),
          now,
        )
      ).document,
      backlog: (
        await stats.backlog(
          db,
          context.jurisdictions,
          statsInput('stats-backlog-input.json', { ...base, interval: spanDays > 900 ? 'week' : 'day' }),
          now,
        )
      ).document,
      timeToClose: (await stats.timeToClose(db, context.jurisdictions, statsInput('stats-time-to-close-input.json', base), now))
        .document,
      overdue: (await stats.overdue(db, context.jurisdictions, statsInput('stats-overdue-input.json', base), now)).document,
      hotspots: (await stats.hotspots(db, context.jurisdictions, statsInput('stats-hotspots-input.json', base), now)).document,
    };
    const search = new URLSearchParams(base).toString();
    return { current, input, reports, query: `?${search}` };
  };

  router.get('/trends', async (req, res) => {
    const services = await listServices(db, await jurisdiction());
    try {
      const { current, input, reports, query } = await trendsInput(req);
      sendConsolePage(context, req, res, {
        title: 'Trends',
        section: 'trends',
        styles: ['uplot', 'leaflet'],
        scripts: ['trends'],
        body: trendsBody(trendTables(reports, services, current.time_zone), input, services, query, {
          tileUrl: config.mapTileUrl,
          attribution: config.mapAttribution,
        }),
      });
    } catch (error) {
      if (!(error instanceof Open311Error) || error.status !== 400) throw error;
      sendConsolePage(
        context,
        req,
        res,
        {
          title: 'Trends',
          section: 'trends',
          errors: error.errors.map((item) => ({ field: 'trends-start', message: item.description })),
          body: html`<h1>Trends</h1><p><a href="${CONSOLE_BASE_PATH}/trends">Show the last 90 days</a></p>`,
        },
        400,
      );
    }
  });

  router.get('/trends/:name.csv', async (req, res) => {
    const services = await listServices(db, await jurisdiction());
    const { current, reports } = await trendsInput(req);
    const table = trendTables(reports, services, current.time_zone)[String(req.params.name)];
    if (!table) throw notFound('There is no such trend.');
    res
      .status(200)
      .set('Content-Type', 'text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="${String(req.params.name)}.csv"`)
      .set('Cache-Control', 'no-store')
      .send(tableCsv(table));
  });

  // --- One request ---------------------------------------------------------------------------------------
  const requestModel = async (req: Request, res: Response, id: string, extra: Partial<RequestViewModel> = {}) => {
    const current = await jurisdiction();
    const request = await workflow.getForStaff(db, current, id);
    const team = await teamOf(context, res);
    const [definition, agencies, services, duplicates, notifications] = await Promise.all([
      getServiceDefinition(db, current, request.service_code).catch(() => ({ attributes: [] })),
      listAgencies(db, current),
      listServices(db, current),
      request.status === 'open'
        ? workflow.findDuplicates(db, current, id, {}, { radius_meters: 200, window_hours: config.duplicateWindowHours })
        : Promise.resolve([]),
      requestNotifications(db, current, id),
    ]);
    const assignee = request.assigned_to?.name ?? null;
    const referer = req.headers.referer;
    const backTo =
      referer && referer.startsWith(`${config.publicUrl}${CONSOLE_BASE_PATH}/?`)
        ? referer.slice(config.publicUrl.length)
        : `${CONSOLE_BASE_PATH}/`;
    return {
      request,
      attributes: definition.attributes,
      duplicates: duplicates as unknown as DuplicateCandidate[],
      agencies: agencyNames(agencies, services),
      people: team.people,
      templates: team.templates,
      assignmentAvailable: team.assignmentAvailable,
      assignee,
      timeZone: current.time_zone,
      now: new Date(),
      csrfToken: consoleUserOf(res).csrf_token,
      map: { tileUrl: config.mapTileUrl, attribution: config.mapAttribution },
      backTo,
      notifications,
      ...extra,
    } satisfies RequestViewModel;
  };
  const idParameter = (req: Request): string => String(req.params.service_request_id ?? '');
  const showRequest = async (req: Request, res: Response, status: number, extra: Partial<RequestViewModel> = {}) => {
    const model = await requestModel(req, res, idParameter(req), extra);
    sendConsolePage(
      context,
      req,
      res,
      {
        title: `Request ${model.request.service_request_id}`,
        section: 'queue',
        errors: extra.errors,
        styles: ['leaflet'],
        scripts: ['request'],
        body: requestBody(model),
      },
      status,
    );
  };

  router.get('/requests/:service_request_id', async (req, res) => showRequest(req, res, 200));

  router.get('/requests/:service_request_id/work-order', async (req, res) => {
    const model = await requestModel(req, res, idParameter(req));
    const pageUrl = `${config.publicUrl}${CONSOLE_BASE_PATH}/requests/${model.request.service_request_id}`;
    const svg = await QRCode.toString(pageUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
    sendConsolePage(context, req, res, {
      title: `Work order ${model.request.service_request_id}`,
      section: 'queue',
      styles: ['leaflet'],
      scripts: ['request'],
      body: workOrderBody(model, svg.replace('<svg ', '<svg role="img" aria-label="QR code of the request page" '), pageUrl),
    });
  });

  router.post('/requests/:service_request_id/change', async (req, res) => {
    const form = formOf(req);
    const current = await jurisdiction();
    const user = consoleUserOf(res);
    const team = await teamOf(context, res);
    const id = idParameter(req);
    const version = Number(formValue(form, 'version'));
    const action = formValue(form, 'action');
    const typed: Record<string, string> = Object.create(null);
    for (const name of ['status', 'status_notes', 'internal_note', 'agency_responsible', 'expected_datetime'])
      if (typeof form[name] === 'string') typed[name] = form[name] as string;
    let message: string;
    try {
      if (action === 'status') {
        const note = formValue(form, 'status_notes');
        const template = team.templateFields(formValue(form, 'template'));
        // An empty note clears it, unless a template supplies the text.
        const notes = note !== undefined ? { status_notes: note } : template.template_id ? {} : { status_notes: null };
        await workflow.changeRequest(
          db,
          current,
          id,
          { version, status: formValue(form, 'status'), ...notes, ...template },
          undefined,
          user.actor,
        );
        message = 'Saved the status and public note.';
      } else if (action === 'internal_note') {
        const note = formValue(form, 'internal_note');
        if (!note) {
          await showRequest(req, res, 400, { errors: [{ field: 'internal-note', message: 'Write the internal note first.' }] });
          return;
        }
        await workflow.changeRequest(db, current, id, { version, internal_note: note }, undefined, user.actor);
        message = 'Added the internal note.';
      } else if (action === 'route') {
        await workflow.changeRequest(
          db,
          current,
          id,
          {
            version,
            agency_responsible: formValue(form, 'agency_responsible') ?? null,
            expected_datetime: formValue(form, 'expected_datetime') ?? null,
          },
          undefined,
          user.actor,
        );
        message = 'Saved the agency and expected date.';
      } else if (action === 'assign') {
        const target = formValue(form, 'assigned_to') === 'me' ? user.staff_id : formValue(form, 'assigned_to_person');
        await team.assign(current, id, version, target);
        message = target ? 'Saved the assignment.' : 'Removed the assignment.';
      } else {
        throw badRequest('Choose an action.');
      }
    } catch (error) {
      if (error instanceof Open311Error && error.status === 412) {
        const seen: Record<string, string> = Object.create(null);
        for (const name of ['status', 'status_notes', 'agency_responsible', 'expected_datetime'])
          seen[name] = typeof form[`seen_${name}`] === 'string' ? (form[`seen_${name}`] as string) : '';
        await showRequest(req, res, 409, { conflict: { seen, typed } });
        return;
      }
      if (error instanceof Open311Error && error.status === 400) {
        const field = action === 'internal_note' ? 'internal-note' : action === 'route' ? 'route-expected' : 'change-status';
        await showRequest(req, res, 400, {
          errors: error.errors.map((item) => ({ field, message: item.description })),
          conflict: undefined,
          typed,
        });
        return;
      }
      throw error;
    }
    context.events?.poke();
    setFlash(res, { kind: 'success', text: message });
    res.redirect(303, `${CONSOLE_BASE_PATH}/requests/${id}`);
  });

  router.post('/requests/:service_request_id/duplicate', async (req, res) => {
    const form = formOf(req);
    const current = await jurisdiction();
    const id = idParameter(req);
    const original = formValue(form, 'original');
    try {
      await workflow.markDuplicate(
        db,
        current,
        id,
        { original: original ?? '', version: Number(formValue(form, 'version')) },
        undefined,
        consoleUserOf(res).actor,
      );
    } catch (error) {
      if (error instanceof Open311Error && error.status === 412) {
        const seen: Record<string, string> = Object.create(null);
        for (const name of ['status', 'status_notes', 'agency_responsible', 'expected_datetime'])
          seen[name] = typeof form[`seen_${name}`] === 'string' ? (form[`seen_${name}`] as string) : '';
        await showRequest(req, res, 409, { conflict: { seen, typed: {} } });
        return;
      }
      if (error instanceof Open311Error && (error.status === 400 || error.status === 404)) {
        await showRequest(req, res, 400, {
          errors: error.errors.map((item) => ({ field: 'duplicate-original', message: item.description })),
          typed: { original: original ?? '' },
        });
        return;
      }
      throw error;
    }
    context.events?.poke();
    setFlash(res, { kind: 'success', text: `Closed as a duplicate of request ${original}.` });
    res.redirect(303, `${CONSOLE_BASE_PATH}/requests/${id}`);
  });

  // --- Admin (admins only) ----------------------------------------------------------------------------------
  router.use('/admin', requireConsole(context, 'admin'));
  const adminPage = (
    req: Request,
    res: Response,
    title: string,
    body: SafeHtml,
    extra: Partial<PageOptions> = {},
    status = 200,
  ) => sendConsolePage(context, req, res, { title, section: 'admin', body, ...extra }, status);
  const mapConfig = { tileUrl: config.mapTileUrl, attribution: config.mapAttribution };

  router.get('/admin', (req, res) => adminPage(req, res, 'Admin', adminIndexBody()));
  const showAreas = async (req: Request, res: Response, status = 200, errors?: FieldError[], typed?: Record<string, string>) => {
    const areas = await listAreas(db, await jurisdiction());
    adminPage(
      req,
      res,
      'Service areas',
      areasBody(areas.features, consoleUserOf(res).csrf_token, mapConfig, errors, typed),
      {
        styles: ['leaflet'],
        scripts: ['admin'],
        errors,
      },
      status,
    );
  };
  router.get('/admin/areas', async (req, res) => showAreas(req, res));
  router.post('/admin/areas', async (req, res) => {
    const form = formOf(req);
    const typed: Record<string, string> = Object.create(null);
    for (const name of ['code', 'name', 'kind', 'geometry']) typed[name] = formValue(form, name) ?? '';
    let geometry: unknown;
    try {
      const parsed = JSON.parse(typed.geometry ?? '') as {
        type?: string;
        geometry?: unknown;
        features?: Array<{ geometry?: unknown }>;
      };
      geometry =
        parsed.type === 'Feature'
          ? parsed.geometry
          : parsed.type === 'FeatureCollection'
            ? parsed.features?.[0]?.geometry
            : parsed;
    } catch {
      await showAreas(
        req,
        res,
        400,
        [{ field: 'area-geometry', message: 'The GeoJSON could not be read: check that it is complete.' }],
        typed,
      );
      return;
    }
    try {
      await createArea(
        db,
        await jurisdiction(),
        { code: typed.code, name: typed.name, kind: typed.kind || undefined, geometry },
        consoleUserOf(res).actor,
      );
    } catch (error) {
      if (!(error instanceof Open311Error) || error.status >= 500) throw error;
      await showAreas(
        req,
        res,
        400,
        error.errors.map((item) => ({ field: areaFieldOf(item.description), message: item.description })),
        typed,
      );
      return;
    }
    setFlash(res, { kind: 'success', text: `Added the area ${typed.name}.` });
    res.redirect(303, `${ADMIN_PATH}/areas`);
  });
  router.post('/admin/areas/:code/delete', async (req, res) => {
    try {
      await deleteArea(db, await jurisdiction(), String(req.params.code ?? ''), consoleUserOf(res).actor);
      setFlash(res, { kind: 'success', text: `Deleted the area ${String(req.params.code)}.` });
    } catch (error) {
      if (!(error instanceof Open311Error) || error.status >= 500) throw error;
      setFlash(res, { kind: 'error', text: error.errors.map((item) => item.description).join(' ') });
    }
    res.redirect(303, `${ADMIN_PATH}/areas`);
  });

  const showStaff = async (
    req: Request,
    res: Response,
    status = 200,
    issued?: { email: string; url: string; expires_at: Date },
    errors?: FieldError[],
  ) => {
    const current = await jurisdiction();
    adminPage(
      req,
      res,
      'Staff accounts',
      staffBody(await accounts.listAccounts(db), consoleUserOf(res).csrf_token, current.time_zone, issued, errors),
      { errors },
      status,
    );
  };
  router.get('/admin/staff', async (req, res) => showStaff(req, res));
  // A new sign-in link is shown once, in the answer to the POST that made it (it is a secret: no redirect
  // could carry it without storing it).
  router.post('/admin/staff', async (req, res) => {
    const form = formOf(req);
    const role = formValue(form, 'role') === 'admin' ? 'admin' : 'staff';
    try {
      const account = await accounts.createAccount(db, {
        email: formValue(form, 'email') ?? '',
        display_name: formValue(form, 'display_name') ?? '',
        role,
      });
      const link = await accounts.issueSignInLink(db, account, consoleUserOf(res).name, config.publicUrl);
      await accounts.auditAccount(db, consoleUserOf(res).actor, account.id, 'create', { email: account.email, role });
      await showStaff(req, res, 201, { email: account.email, url: link.url, expires_at: link.expires_at });
    } catch (error) {
      if (!(error instanceof Open311Error) || error.status >= 500) throw error;
      await showStaff(
        req,
        res,
        400,
        undefined,
        error.errors.map((item) => ({ field: 'staff-email', message: item.description })),
      );
    }
  });
  router.post('/admin/staff/:id/link', async (req, res) => {
    const account = await accounts.getAccount(db, String(req.params.id ?? ''));
    const link = await accounts.issueSignInLink(db, account, consoleUserOf(res).name, config.publicUrl);
    await accounts.auditAccount(db, consoleUserOf(res).actor, account.id, 'sign_in_link', {});
    await showStaff(req, res, 201, { email: account.email, url: link.url, expires_at: link.expires_at });
  });

  const showKeys = async (req: Request, res: Response, status = 200, created?: { name: string; key: string }) => {
    const current = await jurisdiction();
    adminPage(
      req,
      res,
      'API keys',
      keysBody(await listKeys(db), consoleUserOf(res).csrf_token, current.time_zone, created),
      {},
      status,
    );
  };
  router.get('/admin/keys', async (req, res) => showKeys(req, res));
  router.post('/admin/keys', async (req, res) => {
    const form = formOf(req);
    const name = formValue(form, 'name');
    const role = formValue(form, 'role');
    if (!name || name.length > 200 || !['client', 'staff', 'admin'].includes(role ?? '')) {
      setFlash(res, { kind: 'error', text: 'Give the key a name (at most 200 characters) and a role.' });
      res.redirect(303, `${ADMIN_PATH}/keys`);
      return;
    }
    // Through the domain, as the staff API does: the key records who made it, and the audit names them.
    const { key } = await issueKeyAsStaff(db, { name, role: role as KeyRole }, consoleUserOf(res).actor);
    await showKeys(req, res, 201, { name, key });
  });
  router.post('/admin/keys/:id/revoke', async (req, res) => {
    const id = String(req.params.id ?? '');
    const revoked = await revokeKeyAsStaff(db, id, consoleUserOf(res).actor, () => context.intakeLookups.forget());
    setFlash(
      res,
      revoked ? { kind: 'success', text: 'Revoked the key.' } : { kind: 'error', text: 'No active key with that id.' },
    );
    res.redirect(303, `${ADMIN_PATH}/keys`);
  });

  adminEditingRoutes(router, context, adminPage);

  // --- Saved views ---------------------------------------------------------------------------------------
  router.post('/views', async (req, res) => {
    const form = formOf(req);
    const query = formValue(form, 'query');
    try {
      const name = await savedViews.saveView(db, consoleUserOf(res).staff_id, formValue(form, 'name'), query);
      setFlash(res, { kind: 'success', text: `Saved the view “${name}”.` });
    } catch (error) {
      if (!(error instanceof Open311Error) || error.status !== 400) throw error;
      setFlash(res, { kind: 'error', text: error.errors[0]?.description ?? 'The view could not be saved.' });
    }
    res.redirect(303, `${CONSOLE_BASE_PATH}/${query ?? ''}`);
  });
  router.post('/views/:id/delete', async (req, res) => {
    const removed = await savedViews.deleteView(db, consoleUserOf(res).staff_id, String(req.params.id));
    setFlash(
      res,
      removed ? { kind: 'success', text: 'Deleted the view.' } : { kind: 'error', text: 'That view no longer exists.' },
    );
    res.redirect(303, `${CONSOLE_BASE_PATH}/`);
  });

  router.use(notFoundHandler);
  return router;
}

/** Agencies to choose from: the agencies table and every service's default agency (requests carry names). */
function agencyNames(agencies: Array<{ name: string }>, services: Array<{ agency_responsible: string | null }>): string[] {
  const names = new Set([
    ...agencies.map((agency) => agency.name),
    ...services.map((service) => service.agency_responsible ?? ''),
  ]);
  names.delete('');
  return [...names].sort();
}

/** The filter field an API error names, so the error summary links to the right control. */
function fieldOf(description: string): string {
  const name = /^(\w+)/.exec(description)?.[1] ?? 'q';
  return `filter-${['start_date', 'end_date', 'bbox', 'q', 'status', 'service_code', 'group', 'agency', 'sort', 'page_size'].includes(name) ? name : 'q'}`;
}
