// Server-side staff sessions, keyed by the SHA-256 of the session id (the store never holds a usable id).
// In the store, so they survive restarts and work across nodes.
import type { Db } from './db.js';
import { accountColumns, type StaffAccount } from './staff-accounts-store.js';

export type SessionMethod = 'password' | 'link' | 'oidc';

export interface SessionRecord {
  id_hash: string;
  staff_account_id: string;
  method: SessionMethod;
  second_factor_pending: boolean;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

export async function insertSession(
  db: Db,
  input: {
    id_hash: string;
    staff_account_id: string;
    method: SessionMethod;
    second_factor_pending: boolean;
    expires_at: Date;
    now: Date;
  },
): Promise<void> {
  await db('staff_sessions').insert({
    id_hash: input.id_hash,
    staff_account_id: input.staff_account_id,
    method: input.method,
    second_factor_pending: input.second_factor_pending,
    created_at: input.now,
    last_seen_at: input.now,
    expires_at: input.expires_at,
  });
}

/**
 * The session and its account, when the account is active; plus whether the identity settings require
 * two-factor sign-in (read in the same query, so a changed setting applies at the next request).
 */
export async function findSession(
  db: Db,
  idHash: string,
): Promise<
  | { session: SessionRecord; account: StaffAccount; require_two_factor: boolean; require_two_factor_for_admins: boolean }
  | undefined
> {
  const row = (await db('staff_sessions as s')
    .join('staff_accounts as a', 'a.id', 's.staff_account_id')
    .select([
      's.id_hash',
      db.raw('s.staff_account_id::text AS staff_account_id'),
      's.method',
      's.second_factor_pending',
      's.created_at AS session_created_at',
      's.last_seen_at',
      's.expires_at',
      db.raw(
        `COALESCE((SELECT value = 'true'::jsonb FROM identity_settings WHERE name = 'require_two_factor'), false) AS require_two_factor`,
      ),
      db.raw(
        `COALESCE((SELECT value = 'true'::jsonb FROM identity_settings WHERE name = 'require_two_factor_for_admins'), false) AS require_two_factor_for_admins`,
      ),
      ...accountColumns(db),
    ])
    .where('s.id_hash', idHash)
    .where('a.active', true)
    .first()) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  const session: SessionRecord = {
    id_hash: row.id_hash as string,
    staff_account_id: row.staff_account_id as string,
    method: row.method as SessionMethod,
    second_factor_pending: row.second_factor_pending as boolean,
    created_at: row.session_created_at as Date,
    last_seen_at: row.last_seen_at as Date,
    expires_at: row.expires_at as Date,
  };
  const account: StaffAccount = {
    id: row.id as string,
    email: row.email as string,
    display_name: row.display_name as string,
    role: row.role as StaffAccount['role'],
    agencies: row.agencies as string[],
    active: row.active as boolean,
    has_password: row.has_password as boolean,
    two_factor: row.two_factor as boolean,
    created_at: row.created_at as Date,
    last_sign_in_at: row.last_sign_in_at as Date | null,
    deactivated_at: row.deactivated_at as Date | null,
  };
  return {
    session,
    account,
    require_two_factor: row.require_two_factor as boolean,
    require_two_factor_for_admins: row.require_two_factor_for_admins as boolean,
  };
}

export async function touchSession(db: Db, idHash: string, now: Date): Promise<void> {
  await db('staff_sessions').where({ id_hash: idHash }).update({ last_seen_at: now });
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db('staff_sessions').where({ id_hash: idHash }).delete();
}

// Counts come from RETURNING: the embedded driver answers a DELETE with its raw result, not a row count.
export async function deleteSessionsOf(db: Db, accountId: string): Promise<number> {
  return (await db('staff_sessions').where({ staff_account_id: accountId }).delete().returning('id_hash')).length;
}

/** Every session of the account but the one whose id hashes to `keepIdHash`; how many ended. */
export async function deleteOtherSessionsOf(db: Db, accountId: string, keepIdHash: string): Promise<number> {
  const removed = await db('staff_sessions')
    .where({ staff_account_id: accountId })
    .whereNot({ id_hash: keepIdHash })
    .delete()
    .returning('id_hash');
  return removed.length;
}

export async function deleteExpiredSessions(db: Db, now: Date, idleSince: Date): Promise<number> {
  const removed = await db('staff_sessions')
    .where('expires_at', '<=', now)
    .orWhere('last_seen_at', '<=', idleSince)
    .delete()
    .returning('id_hash');
  return removed.length;
}
