// The staff console's URL map (/staff/…), top to bottom. Every page reads through the staff API's domain
// functions (workflow, catalog, stats); every action is a form POST checked for CSRF and answered with a
// 303 back to the page that asked (PRG), so a reload never repeats a write.
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { tileOriginOf } from '../../../config.js';
import { listAgencies, listServices } from '../../../domain/catalog.js';
import * as savedViews from '../../../domain/saved-views.js';
import * as workflow from '../../../domain/workflow.js';
import { Open311Error } from '../../../errors.js';
import { csvHeader, csvRows } from '../../../serialize/csv.js';
import type { AppContext } from '../../context.js';
import { notFoundHandler } from '../../error-handler.js';
import { refuseNul } from '../../format.js';
import { html } from '../html.js';
import { pageSecurityHeaders } from '../security.js';
import { formValue, formValues, readFormBody } from './form.js';
import { checkCsrf, consoleUserOf, interimSignInRouter, requireConsole, teamOf } from './guard.js';
import { CONSOLE_BASE_PATH, type FieldError, setFlash } from './layout.js';
import { apiQueryOf, queueBody, queueParametersOf, queryStringOf } from './queue-page.js';
import { renderErrorPage, sendConsolePage } from './render.js';
import { renderLayout } from './layout.js';

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
  router.use(
    interimSignInRouter(context, (error) =>
      renderLayout({
        title: 'Sign in',
        cityName: config.jurisdictionName,
        section: 'none',
        errors: error ? [{ field: 'key', message: error }] : undefined,
        body: html`<h1>Sign in</h1>
<form method="post" class="${error ? 'has-error' : ''}">
  <div class="field">
    <label for="key">Staff key</label>
    <input type="password" id="key" name="key" autocomplete="off" required${error ? html` aria-describedby="key-error" aria-invalid="true"` : html``}>
    ${error ? html`<p class="field-error" id="key-error"><span class="visually-hidden">Error:</span> ${error}</p>` : html``}
  </div>
  <button type="submit">Sign in</button>
</form>`,
      }),
    ),
  );
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
      result = await workflow.queue(db, current, team.queueQuery(apiQueryOf(parameters)));
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
          agencies: [...new Set(agencies.map((agency) => agency.name))],
          people: team.people,
          result: result ? { ...result, requests: await team.withAssignees(result.requests) } : undefined,
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
    const result = await workflow.queue(db, current, team.queueQuery(apiQueryOf(queueParametersOf(req.query))));
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
    const query = team.queueQuery({ ...apiQueryOf(parameters), page_size: '500' });
    const first = await workflow.queue(db, current, { ...query, page: '1' });
    res
      .status(200)
      .set('Content-Type', 'text/csv; charset=utf-8')
      .set('Content-Disposition', 'attachment; filename="queue.csv"')
      .set('Cache-Control', 'no-store');
    res.write(csvHeader());
    res.write(csvRows(first.requests, current.time_zone));
    const pages = Math.min(Math.ceil(first.total / 500), 400);
    for (let page = 2; page <= pages; page += 1) {
      const next = await workflow.queue(db, current, { ...query, page: String(page) });
      res.write(csvRows(next.requests, current.time_zone));
    }
    res.end();
  });

  // Bulk actions on the selected rows. Each checkbox carries the version the person saw ("id:version"), so a
  // row someone else changed in the meantime is left alone and reported, never overwritten.
  router.post('/bulk', async (req, res) => {
    const form = await readFormBody(req);
    checkCsrf(req, res, form);
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
    const note = formValue(form, 'status_notes') ?? team.templateText(formValue(form, 'template'));
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
          await workflow.changeRequest(db, current, id!, body, undefined, user.actor);
        } else {
          throw new Open311Error(400, ['Choose what to do with the selected requests.']);
        }
        done += 1;
      } catch (error) {
        if (error instanceof Open311Error && error.status === 412) conflicts.push(id!);
        else if (error instanceof Open311Error && error.status < 500)
          failures.push(`${id}: ${error.errors[0]?.description ?? ''}`);
        else throw error;
      }
    }
    if (done > 0) {
      context.cache?.bump();
      context.events?.poke();
    }
    const parts = [`${done} request${done === 1 ? '' : 's'} changed.`];
    if (conflicts.length > 0)
      parts.push(
        `Left alone because someone changed them after you loaded the page: ${conflicts.join(', ')}. Review them and try again.`,
      );
    if (failures.length > 0) parts.push(`Not changed: ${failures.join('; ')}`);
    setFlash(res, { kind: conflicts.length + failures.length > 0 ? 'warning' : 'success', text: parts.join(' ') });
    res.redirect(303, back);
  });

  // --- Saved views ---------------------------------------------------------------------------------------
  router.post('/views', async (req, res) => {
    const form = await readFormBody(req);
    checkCsrf(req, res, form);
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
    const form = await readFormBody(req);
    checkCsrf(req, res, form);
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

/** The filter field an API error names, so the error summary links to the right control. */
function fieldOf(description: string): string {
  const name = /^(\w+)/.exec(description)?.[1] ?? 'q';
  return `filter-${['start_date', 'end_date', 'bbox', 'q', 'status', 'service_code', 'agency', 'sort', 'page_size'].includes(name) ? name : 'q'}`;
}
