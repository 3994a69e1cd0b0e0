// The console's one seam to staff identity: every console route asks this file who is signed in, what their
// CSRF token is, and which actor a change is recorded under. INTERIM: until identity's session middleware
// (issue #12) is on main, a person signs in by pasting a staff API key at /staff/key-sign-in; the cookie holds
// the key's hash (never the key). This file is switched to identity's requireStaffPage/csrfToken when it lands.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { Open311Error } from '../../../errors.js';
import { findActiveKey, findActiveKeyByHash, hashKey } from '../../../store/api-keys-store.js';
import type { Jurisdiction } from '../../../domain/types.js';
import type { AppContext } from '../../context.js';
import { readFormBody } from './form.js';
import { CONSOLE_BASE_PATH, type ConsolePerson, readCookie } from './layout.js';

const SESSION_COOKIE = 'console_session';

export interface ConsoleUser extends ConsolePerson {
  /** Who a change is recorded under (the workflow's Actor). */
  actor: { key_id: string; name: string };
  /** The id assignment uses for "assigned to me". */
  staff_id: string;
  csrf_token: string;
}

const csrfOf = (sessionValue: string): string => createHash('sha256').update(`csrf:${sessionValue}`, 'utf8').digest('base64url');

export const consoleUserOf = (res: Response): ConsoleUser => res.locals.consoleUser as ConsoleUser;
export const maybeConsoleUserOf = (res: Response): ConsoleUser | undefined => res.locals.consoleUser as ConsoleUser | undefined;

/** Pages behind sign-in: not signed in → 303 to the sign-in page (with where to come back to). */
export function requireConsole(context: AppContext, role: 'staff' | 'admin' = 'staff') {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const session = readCookie(req.headers.cookie, SESSION_COOKIE);
    const record = session && /^[0-9a-f]{64}$/.test(session) ? await findActiveKeyByHash(context.db, session) : undefined;
    if (!record || record.role === 'client') {
      const back = encodeURIComponent(req.originalUrl.slice(0, 1000));
      res.redirect(303, `${CONSOLE_BASE_PATH}/key-sign-in?return_to=${back}`);
      return;
    }
    if (role === 'admin' && record.role !== 'admin') throw new Open311Error(403, ['This page is for administrators.']);
    res.locals.consoleUser = {
      name: record.name,
      role: record.role === 'admin' ? 'admin' : 'staff',
      actor: { key_id: record.id, name: record.name },
      staff_id: record.id,
      csrf_token: csrfOf(session!),
    } satisfies ConsoleUser;
    next();
  };
}

/** Every console POST: the form's _csrf must be the session's token. */
export function checkCsrf(req: Request, res: Response, form: Record<string, string | string[]>): void {
  const sent = form._csrf;
  const expected = consoleUserOf(res).csrf_token;
  const ok =
    typeof sent === 'string' &&
    sent.length === expected.length &&
    timingSafeEqual(Buffer.from(sent, 'utf8'), Buffer.from(expected, 'utf8'));
  if (!ok) throw new Open311Error(403, ['This form has expired. Go back, reload the page and try again.']);
  void req;
}

/** The interim sign-in by staff key (replaced by identity's /staff/sign-in). */
export function interimSignInRouter(context: AppContext, renderSignIn: (error?: string) => string): Router {
  const router = express.Router();
  router.get('/key-sign-in', (_req, res) => {
    res.set('Content-Type', 'text/html; charset=utf-8').set('Cache-Control', 'no-store').send(renderSignIn());
  });
  router.post('/key-sign-in', async (req, res) => {
    const form = await readFormBody(req);
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    const record = key ? await findActiveKey(context.db, key) : undefined;
    if (!record || record.role === 'client') {
      res
        .status(400)
        .set('Content-Type', 'text/html; charset=utf-8')
        .set('Cache-Control', 'no-store')
        .send(renderSignIn('Enter a valid staff or admin key.'));
      return;
    }
    res.cookie(SESSION_COOKIE, hashKey(key), { path: CONSOLE_BASE_PATH, httpOnly: true, sameSite: 'strict' });
    const back = typeof req.query.return_to === 'string' ? req.query.return_to : '';
    res.redirect(303, back.startsWith(`${CONSOLE_BASE_PATH}/`) && !back.startsWith('//') ? back : `${CONSOLE_BASE_PATH}/`);
  });
  router.post('/sign-out', (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { path: CONSOLE_BASE_PATH });
    res.redirect(303, `${CONSOLE_BASE_PATH}/key-sign-in`);
  });
  return router;
}

/** What the console needs from staff identity beyond sign-in: people, assignment and response templates. */
export interface Team {
  assignmentAvailable: boolean;
  people: Array<{ id: string; name: string }>;
  templates: Array<{ id: string; title: string; text: string }>;
  /** The queue query with "assigned_to=me" resolved to the person's id. */
  queueQuery(query: Record<string, string>): Record<string, string>;
  withAssignees<T extends { service_request_id: string }>(rows: T[]): Promise<T[]>;
  templateText(id: string | undefined): string | undefined;
  assign(jurisdiction: Jurisdiction, id: string, version: number, assignee: string | undefined): Promise<void>;
}

export async function teamOf(_context: AppContext, _res: Response): Promise<Team> {
  // INTERIM: no staff accounts yet (issue #12), so no people, assignment or templates.
  return {
    assignmentAvailable: false,
    people: [],
    templates: [],
    queueQuery: (query) => {
      const copy = { ...query };
      delete copy.assigned_to;
      return copy;
    },
    withAssignees: async (rows) => rows,
    templateText: () => undefined,
    assign: async () => {
      throw new Open311Error(400, ['Assignment needs staff accounts, which are not set up yet.']);
    },
  };
}
