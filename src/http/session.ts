// The staff session cookie and CSRF checks, shared by the staff API (src/http/staff/auth.ts) and the staff
// pages (src/http/pages/console/). The cookie is HttpOnly, SameSite=Lax, Path=/, Secure (and __Host-) when
// PUBLIC_URL is https. A cookie-authenticated write must carry the session's CSRF token (X-CSRF-Token
// header, or the _csrf form field) and, when the browser sends Origin, come from this site.
import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import { csrfTokenMatches, resolveSession, type ActiveSession } from '../domain/sessions.js';
import { csrfRefused } from '../errors.js';
import type { AppContext } from './context.js';
import type { Actor } from './staff/auth.js';

export const isSecureSite = (config: Config): boolean => config.publicUrl.startsWith('https:');

const sessionCookieName = (config: Config): string => (isSecureSite(config) ? '__Host-open311_session' : 'open311_session');

/** One cookie's value from the Cookie header (at most 8 KiB read; no object keyed by outside input). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = (req.headers.cookie ?? '').slice(0, 8192);
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

export function setSessionCookie(res: Response, config: Config, id: string): void {
  res.cookie(sessionCookieName(config), id, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecureSite(config),
    path: '/',
    maxAge: config.sessionMaxHours * 3_600_000,
  });
}

export function clearSessionCookie(res: Response, config: Config): void {
  res.clearCookie(sessionCookieName(config), { httpOnly: true, sameSite: 'lax', secure: isSecureSite(config), path: '/' });
}

const SESSION_LOCAL = Symbol('session');

/** The live session of this request (looked up once per request), or undefined. */
export async function sessionOf(context: AppContext, req: Request, res: Response): Promise<ActiveSession | undefined> {
  const locals = res.locals as Record<symbol, ActiveSession | null | undefined>;
  if (locals[SESSION_LOCAL] !== undefined) return locals[SESSION_LOCAL] ?? undefined;
  const id = readCookie(req, sessionCookieName(context.config));
  const session = await resolveSession(context.db, id, {
    idleMinutes: context.config.sessionIdleMinutes,
    maxHours: context.config.sessionMaxHours,
  });
  locals[SESSION_LOCAL] = session ?? null;
  return session;
}

/** Forget the looked-up session of this request (after sign-in or sign-out changed it). */
export function forgetSession(res: Response): void {
  delete (res.locals as Record<symbol, unknown>)[SESSION_LOCAL];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method);

/** The browser says where the request comes from; when it does, it must be this site. */
export function sameOrigin(req: Request, config: Config): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  const own = new URL(config.publicUrl).origin;
  const requested = `${req.protocol}://${req.headers.host ?? ''}`;
  return origin === own || origin === requested;
}

/** Throws 403 unless the write carries this session's CSRF token and comes from this site. */
export function checkCsrf(req: Request, session: ActiveSession, config: Config, formToken?: unknown): void {
  const header = req.headers['x-csrf-token'];
  const token = typeof header === 'string' ? header : typeof formToken === 'string' ? formToken : undefined;
  if (!sameOrigin(req, config) || !csrfTokenMatches(session.id, token)) throw csrfRefused();
}

/** What a request's session cookie says: nobody, a person who must first set up two-factor, or a person. */
export type SessionPerson =
  | { kind: 'none' }
  | { kind: 'enrol'; session: ActiveSession }
  | { kind: 'person'; session: ActiveSession; actor: Actor };

/**
 * The one reading of the staff session for the staff API (staff/auth.ts) and the staff pages
 * (pages/console/session-middleware.ts), which differ only in how they answer: no live session (or a password
 * accepted with its second factor pending) is nobody; a write must carry the CSRF token (`formToken`: the
 * `_csrf` field of a form) and come from this site, checked before anything else is said; a person the
 * settings require to set up two-factor is told to.
 */
export async function sessionPerson(
  context: AppContext,
  req: Request,
  res: Response,
  formToken?: unknown,
): Promise<SessionPerson> {
  const session = await sessionOf(context, req, res);
  if (!session || session.second_factor_pending) return { kind: 'none' };
  if (!isSafeMethod(req.method)) checkCsrf(req, session, context.config, formToken);
  if (session.needs_two_factor_enrolment) return { kind: 'enrol', session };
  return { kind: 'person', session, actor: personActor(session) };
}

/** The actor a signed-in person's changes are recorded under. */
export function personActor(session: ActiveSession): Actor {
  return {
    kind: 'person',
    key_id: null,
    staff_id: session.account.id,
    name: session.account.display_name,
    role: session.account.role,
    email: session.account.email,
    agencies: session.account.agencies,
  };
}
