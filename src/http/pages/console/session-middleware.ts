// Staff pages' access, for every page under /staff/ (the console and the account pages). Exports:
//
//   requireStaffPage(context, role = 'staff')  Express middleware. A browser without a live session is sent
//       (303) to /staff/sign-in?next=<this path>. With one, res.locals.actor is the same Actor the staff API
//       sets (src/http/staff/auth.ts: kind 'person', staff_id, name, role, email, agencies) and
//       res.locals.session the ActiveSession. A role too low → 403 page. A write (POST/PUT/PATCH/DELETE)
//       must carry the session's CSRF token — the `_csrf` field of a form body (parse it first with
//       `formBody`) or the X-CSRF-Token header — and, when the browser sends Origin, come from this site;
//       otherwise 403. When the settings require two-factor and this person has none yet, every page but
//       /staff/account redirects there.
//   formBody        express.urlencoded with small limits, for staff page forms (run before requireStaffPage
//       on POST routes so the _csrf field can be read).
//   csrfToken(res)  the session's CSRF token (a string), e.g. for a <meta> read by web/js code that sends
//       X-CSRF-Token with fetch().
//   csrfField(res)  SafeHtml `<input type="hidden" name="_csrf" value="…">` for every form that POSTs.
//   safeNext(value) a same-site /staff/ path to return to after sign-in, or '/staff/'.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ActiveSession } from '../../../domain/sessions.js';
import { csrfTokenOf } from '../../../domain/sessions.js';
import { forbidden, unauthorized } from '../../../errors.js';
import type { AppContext } from '../../context.js';
import { isSafeMethod, personActor, sessionPerson } from '../../session.js';
import { html, type SafeHtml } from '../html.js';

export const SIGN_IN_PATH = '/staff/sign-in';
export const ACCOUNT_PATH = '/staff/account';

/** Form bodies of staff pages: at most 64 KiB and 50 fields, flat (no nesting). */
export const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 50 });

/** Only paths under /staff/ of this site: never an open redirect. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) return '/staff/';
  if (!/^\/staff(\/|$)/.test(value) || value.startsWith('//') || /[\\\s]/.test(value)) return '/staff/';
  if (value.startsWith(SIGN_IN_PATH)) return '/staff/';
  return value;
}

export function requireStaffPage(context: AppContext, role: 'staff' | 'admin' = 'staff') {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const person = await sessionPerson(context, req, res, (req.body as Record<string, unknown> | undefined)?._csrf);
    if (person.kind === 'none') {
      if (!isSafeMethod(req.method)) throw unauthorized('Your session has ended; sign in again.');
      res.redirect(303, `${SIGN_IN_PATH}?next=${encodeURIComponent(safeNext(req.originalUrl))}`);
      return;
    }
    if (person.kind === 'enrol' && !req.originalUrl.startsWith(ACCOUNT_PATH)) {
      res.redirect(303, `${ACCOUNT_PATH}?enrol=1`);
      return;
    }
    const session = person.session;
    const actor = person.kind === 'person' ? person.actor : personActor(session);
    if (role === 'admin' && actor.role !== 'admin') throw forbidden('This page is for administrators.');
    res.locals.session = session;
    res.locals.actor = actor;
    next();
  };
}

export function csrfToken(res: Response): string {
  const session = res.locals.session as ActiveSession | undefined;
  if (!session) throw new Error('csrfToken() needs requireStaffPage before it');
  return csrfTokenOf(session.id);
}

export function csrfField(res: Response): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrfToken(res)}">`;
}
