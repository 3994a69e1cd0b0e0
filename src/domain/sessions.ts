// Staff sessions: an opaque random id in a cookie, the SHA-256 of it in the store. Idle timeout and absolute
// lifetime from config; a new id at every sign-in (and after the second factor), so a session id planted
// before sign-in is worthless. The CSRF token is derived from the session id (HMAC-free: a hash with a
// distinct label), so it needs no storage and cannot be computed without the id.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/db.js';
import * as sessionsStore from '../store/sessions-store.js';
import type { SessionMethod } from '../store/sessions-store.js';
import type { StaffAccount } from '../store/staff-accounts-store.js';

export interface SessionPolicy {
  idleMinutes: number;
  maxHours: number;
}

export interface ActiveSession {
  /** The cookie value: only ever sent back in Set-Cookie. */
  id: string;
  account: StaffAccount;
  method: SessionMethod;
  second_factor_pending: boolean;
  /** Two-factor is required by the settings and this password account has not set it up yet. */
  needs_two_factor_enrolment: boolean;
  created_at: Date;
  expires_at: Date;
}

export const hashSessionId = (id: string): string => createHash('sha256').update(`session\0${id}`).digest('hex');

export const csrfTokenOf = (sessionId: string): string => createHash('sha256').update(`csrf\0${sessionId}`).digest('base64url');

export function csrfTokenMatches(sessionId: string, token: string | undefined): boolean {
  if (typeof token !== 'string' || token.length === 0 || token.length > 100) return false;
  const expected = Buffer.from(csrfTokenOf(sessionId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export async function startSession(
  db: Db,
  account: StaffAccount,
  method: SessionMethod,
  secondFactorPending: boolean,
  policy: SessionPolicy,
  now = new Date(),
): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  // Sessions nobody comes back to are removed here, at the next sign-in of anyone.
  await sessionsStore.deleteExpiredSessions(db, now, new Date(now.getTime() - policy.idleMinutes * 60_000));
  await sessionsStore.insertSession(db, {
    id_hash: hashSessionId(id),
    staff_account_id: account.id,
    method,
    second_factor_pending: secondFactorPending,
    // A session waiting for its second factor lives 10 minutes at most.
    expires_at: new Date(now.getTime() + (secondFactorPending ? 10 * 60_000 : policy.maxHours * 3_600_000)),
    now,
  });
  return id;
}

/** The live session for a cookie value, or undefined (unknown, expired, idle too long, account deactivated). */
export async function resolveSession(
  db: Db,
  id: string | undefined,
  policy: SessionPolicy,
  now = new Date(),
): Promise<ActiveSession | undefined> {
  if (!id || !SESSION_ID_PATTERN.test(id)) return undefined;
  const idHash = hashSessionId(id);
  const found = await sessionsStore.findSession(db, idHash);
  if (!found) return undefined;
  const { session, account } = found;
  const idleLimit = new Date(now.getTime() - policy.idleMinutes * 60_000);
  if (session.expires_at <= now || session.last_seen_at <= idleLimit) {
    await sessionsStore.deleteSession(db, idHash);
    return undefined;
  }
  // One write a minute at most per session, not one per request.
  if (now.getTime() - session.last_seen_at.getTime() > 60_000) await sessionsStore.touchSession(db, idHash, now);
  return {
    id,
    account,
    method: session.method,
    second_factor_pending: session.second_factor_pending,
    needs_two_factor_enrolment:
      (found.require_two_factor || (found.require_two_factor_for_admins && account.role === 'admin')) &&
      session.method !== 'oidc' &&
      !account.two_factor &&
      !session.second_factor_pending,
    created_at: session.created_at,
    expires_at: session.expires_at,
  };
}

export async function endSession(db: Db, id: string): Promise<void> {
  await sessionsStore.deleteSession(db, hashSessionId(id));
}

/** Ends every other session of the account than `keepId` (a changed password: whoever else had it is out). */
export async function endOtherSessions(db: Db, accountId: string, keepId: string): Promise<number> {
  return sessionsStore.deleteOtherSessionsOf(db, accountId, hashSessionId(keepId));
}

/** Ends every session of the account (sign out everywhere; deactivation does the same in its transaction). */
export async function endAllSessions(db: Db, accountId: string): Promise<number> {
  return sessionsStore.deleteSessionsOf(db, accountId);
}
