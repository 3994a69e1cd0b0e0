// Staff accounts and what hangs off them: recovery codes, one-time sign-in links, failed sign-ins (for
// throttling), OpenID Connect sign-ins in flight and identity settings. Secrets are stored only as hashes
// (links, recovery codes) or as scrypt hashes (passwords); the TOTP secret must be kept to check codes.
import type { Knex } from 'knex';
import type { Db } from './db.js';
import { isStorableId } from './ids.js';

export type StaffRole = 'staff' | 'admin';

/** An account as every answer shows it: never a hash or a secret. */
export interface StaffAccount {
  id: string;
  email: string;
  display_name: string;
  role: StaffRole;
  agencies: string[];
  active: boolean;
  has_password: boolean;
  two_factor: boolean;
  created_at: Date;
  last_sign_in_at: Date | null;
  deactivated_at: Date | null;
}

/** The secret-bearing columns, for the sign-in code only. */
export interface StaffCredentials {
  password_hash: string | null;
  totp_secret: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: string | number | null;
}

export function accountColumns(db: Db | Knex.Transaction, alias = 'a') {
  return [
    db.raw(`${alias}.id::text AS id`),
    `${alias}.email`,
    `${alias}.display_name`,
    `${alias}.role`,
    `${alias}.agencies`,
    `${alias}.active`,
    db.raw(`(${alias}.password_hash IS NOT NULL) AS has_password`),
    db.raw(`(${alias}.totp_enabled_at IS NOT NULL) AS two_factor`),
    `${alias}.created_at`,
    `${alias}.last_sign_in_at`,
    `${alias}.deactivated_at`,
  ];
}

export async function countAccounts(db: Db): Promise<number> {
  const row = (await db('staff_accounts').count({ count: '*' }).first()) as { count: string | number } | undefined;
  return Number(row?.count ?? 0);
}

/** Inserts an account; undefined when the e-mail is taken (case-insensitively). */
export async function insertAccount(
  db: Db,
  input: { email: string; display_name: string; role: StaffRole; agencies: string[]; oidc_subject?: string },
): Promise<StaffAccount | undefined> {
  const rows = (await db.raw(
    `INSERT INTO staff_accounts (email, display_name, role, agencies, oidc_subject)
     VALUES (?, ?, ?, ?::text[], ?)
     ON CONFLICT ((lower(email))) DO NOTHING
     RETURNING id`,
    [input.email, input.display_name, input.role, input.agencies, input.oidc_subject ?? null],
  )) as { rows: Array<{ id: string | number }> };
  const id = rows.rows[0]?.id;
  return id === undefined ? undefined : findAccount(db, String(id));
}

export async function findAccount(db: Db, id: string): Promise<StaffAccount | undefined> {
  if (!isStorableId(id)) return undefined;
  return db('staff_accounts as a').select(accountColumns(db)).where('a.id', id).first();
}

export async function findAccountByEmail(db: Db, email: string): Promise<StaffAccount | undefined> {
  return db('staff_accounts as a').select(accountColumns(db)).whereRaw('lower(a.email) = lower(?)', [email]).first();
}

export async function findCredentials(db: Db, id: string): Promise<StaffCredentials | undefined> {
  if (!isStorableId(id)) return undefined;
  return db('staff_accounts').select('password_hash', 'totp_secret', 'totp_enabled_at', 'totp_last_step').where({ id }).first();
}

export async function listAccounts(db: Db): Promise<StaffAccount[]> {
  return db('staff_accounts as a').select(accountColumns(db)).orderBy('a.id');
}

export async function updateAccount(
  db: Db,
  id: string,
  change: { role?: StaffRole; agencies?: string[]; display_name?: string },
): Promise<StaffAccount | undefined> {
  if (!isStorableId(id)) return undefined;
  const update: Record<string, unknown> = {};
  if (change.role !== undefined) update.role = change.role;
  if (change.display_name !== undefined) update.display_name = change.display_name;
  if (change.agencies !== undefined) update.agencies = db.raw('?::text[]', [change.agencies]);
  if (Object.keys(update).length > 0) await db('staff_accounts').where({ id }).update(update);
  return findAccount(db, id);
}

/** Deactivates an account and ends its sessions and links in the same transaction (they stop at once). */
export async function deactivateAccount(db: Db, id: string): Promise<boolean> {
  if (!isStorableId(id)) return false;
  return db.transaction(async (trx) => {
    const count = await trx('staff_accounts').where({ id, active: true }).update({ active: false, deactivated_at: trx.fn.now() });
    await trx('staff_sessions').where({ staff_account_id: id }).delete();
    await trx('staff_sign_in_links').where({ staff_account_id: id }).whereNull('used_at').delete();
    return count > 0;
  });
}

export async function reactivateAccount(db: Db, id: string): Promise<boolean> {
  if (!isStorableId(id)) return false;
  return (await db('staff_accounts').where({ id, active: false }).update({ active: true, deactivated_at: null })) > 0;
}

export async function markSignedIn(db: Db, id: string): Promise<void> {
  await db('staff_accounts').where({ id }).update({ last_sign_in_at: db.fn.now() });
}

export async function setPasswordHash(db: Db, id: string, hash: string | null): Promise<void> {
  await db('staff_accounts').where({ id }).update({ password_hash: hash });
}

/** A secret waiting for its first code (enrolment), or null to turn two-factor off. */
export async function setTotpSecret(db: Db, id: string, secret: string | null): Promise<void> {
  await db('staff_accounts').where({ id }).update({ totp_secret: secret, totp_enabled_at: null, totp_last_step: null });
  if (secret === null) await db('staff_recovery_codes').where({ staff_account_id: id }).delete();
}

export async function enableTotp(db: Db, id: string, step: number, recoveryCodeHashes: string[]): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('staff_accounts').where({ id }).update({ totp_enabled_at: trx.fn.now(), totp_last_step: step });
    await replaceCodes(trx, id, recoveryCodeHashes);
  });
}

/** Records `step` as used; false when it (or a later one) already was — the code is being replayed. */
export async function claimTotpStep(db: Db, id: string, step: number): Promise<boolean> {
  const count = await db('staff_accounts')
    .where({ id })
    .andWhere((where) => where.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
    .update({ totp_last_step: step });
  return count > 0;
}

async function replaceCodes(trx: Knex.Transaction, id: string, hashes: string[]): Promise<void> {
  await trx('staff_recovery_codes').where({ staff_account_id: id }).delete();
  if (hashes.length > 0)
    await trx('staff_recovery_codes').insert(hashes.map((code_hash) => ({ staff_account_id: id, code_hash })));
}

export async function replaceRecoveryCodes(db: Db, id: string, hashes: string[]): Promise<void> {
  await db.transaction((trx) => replaceCodes(trx, id, hashes));
}

/** Uses one recovery code (once): true when it was unused. */
export async function useRecoveryCode(db: Db, id: string, hash: string): Promise<boolean> {
  const count = await db('staff_recovery_codes')
    .where({ staff_account_id: id, code_hash: hash })
    .whereNull('used_at')
    .update({ used_at: db.fn.now() });
  return count > 0;
}

export async function countUnusedRecoveryCodes(db: Db, id: string): Promise<number> {
  const row = (await db('staff_recovery_codes')
    .where({ staff_account_id: id })
    .whereNull('used_at')
    .count({ count: '*' })
    .first()) as { count: string | number } | undefined;
  return Number(row?.count ?? 0);
}

// ---- one-time sign-in links ----

export async function insertSignInLink(
  db: Db,
  input: { staff_account_id: string; token_hash: string; expires_at: Date; created_by: string },
): Promise<void> {
  await db('staff_sign_in_links').insert(input);
}

/** Marks the link used and returns its account, when it exists, is unused, unexpired and its account active. */
export async function consumeSignInLink(db: Db, tokenHash: string, now: Date): Promise<StaffAccount | undefined> {
  const rows = (await db.raw(
    `UPDATE staff_sign_in_links AS l SET used_at = ?
       FROM staff_accounts AS a
      WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ? AND a.id = l.staff_account_id AND a.active
      RETURNING l.staff_account_id::text AS id`,
    [now, tokenHash, now],
  )) as { rows: Array<{ id: string }> };
  const id = rows.rows[0]?.id;
  return id === undefined ? undefined : findAccount(db, id);
}

/** Whether a link could still be used (for the confirmation page, which must not use it up). */
export async function signInLinkUsable(db: Db, tokenHash: string, now: Date): Promise<boolean> {
  const row = await db('staff_sign_in_links as l')
    .join('staff_accounts as a', 'a.id', 'l.staff_account_id')
    .select('l.id')
    .where('l.token_hash', tokenHash)
    .whereNull('l.used_at')
    .where('l.expires_at', '>', now)
    .where('a.active', true)
    .first();
  return row !== undefined;
}

// ---- failed sign-ins ----

export async function recordSignInFailure(db: Db, subjects: string[]): Promise<void> {
  await db('staff_sign_in_failures').insert(subjects.map((subject) => ({ subject })));
}

export async function countRecentFailures(db: Db, subject: string, since: Date): Promise<number> {
  const row = (await db('staff_sign_in_failures')
    .where({ subject })
    .where('failed_at', '>', since)
    .count({ count: '*' })
    .first()) as { count: string | number } | undefined;
  return Number(row?.count ?? 0);
}

export async function clearSignInFailures(db: Db, subject: string): Promise<void> {
  await db('staff_sign_in_failures').where({ subject }).delete();
}

export async function pruneSignInFailures(db: Db, before: Date): Promise<void> {
  await db('staff_sign_in_failures').where('failed_at', '<', before).delete();
}

// ---- OpenID Connect sign-ins in flight ----

export async function saveOidcState(
  db: Db,
  input: { state_hash: string; code_verifier: string; nonce: string; next_path: string; expires_at: Date },
): Promise<void> {
  await db('staff_oidc_states').insert(input);
}

/** Takes (deletes) the state, so a callback cannot be replayed. */
export async function takeOidcState(
  db: Db,
  stateHash: string,
  now: Date,
): Promise<{ code_verifier: string; nonce: string; next_path: string } | undefined> {
  await db('staff_oidc_states').where('expires_at', '<', now).delete();
  const rows = await db('staff_oidc_states')
    .where({ state_hash: stateHash })
    .delete()
    .returning(['code_verifier', 'nonce', 'next_path']);
  return rows[0] as { code_verifier: string; nonce: string; next_path: string } | undefined;
}

export async function setOidcSubject(db: Db, id: string, subject: string): Promise<void> {
  await db('staff_accounts').where({ id }).update({ oidc_subject: subject });
}

// ---- settings ----

export async function readSetting(db: Db, name: string): Promise<unknown> {
  const row = (await db('identity_settings').select('value').where({ name }).first()) as { value: unknown } | undefined;
  return row?.value;
}

export async function writeSetting(db: Db, name: string, value: unknown): Promise<void> {
  await db('identity_settings')
    .insert({ name, value: JSON.stringify(value) })
    .onConflict('name')
    .merge();
}
