// API keys: issued by an admin (staff API) or the command line, shown once, listed without the key, revoked
// by id. A revocation must not be outlived by keys remembered for creates (see domain/intake.ts).
import { notFound } from '../errors.js';
import { type ApiKeyRecord, createKey, type KeyRole, listKeys, revokeKey } from '../store/api-keys-store.js';
import type { Db } from '../store/db.js';
import { recordAudit } from '../store/routing-store.js';
import type { Actor } from './catalog/shared.js';

export const listApiKeys = (db: Db): Promise<ApiKeyRecord[]> => listKeys(db);

/** A new key (role client unless said), with the key itself: the only answer that shows it. */
export async function issueKey(
  db: Db,
  input: { name: string; role?: KeyRole },
  creator: { staff_id: string | null; name: string },
): Promise<ApiKeyRecord & { key: string }> {
  const { key, record } = await createKey(db, input.name.trim(), input.role ?? 'client', undefined, creator);
  return { ...record, key };
}

/** A key issued by a person or key of the staff API, with its audit row. */
export async function issueKeyAsStaff(
  db: Db,
  input: { name: string; role?: KeyRole },
  actor: Actor & { staff_id: string | null },
): Promise<ApiKeyRecord & { key: string }> {
  const issued = await issueKey(db, input, { staff_id: actor.staff_id, name: actor.name });
  await recordAudit(db, {
    actor,
    entity_type: 'api_key',
    entity_id: issued.id,
    action: 'create',
    changes: { name: issued.name, role: issued.role },
  });
  return issued;
}

/**
 * Revokes the active key with this id under who did it, with its audit row; false when there is none.
 * `forget` drops what creates remember.
 */
export async function revokeKeyAsStaff(db: Db, id: string, actor: Actor, forget: () => void): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id) || (await revokeKey(db, id)) === 0) return false;
  forget();
  await recordAudit(db, { actor, entity_type: 'api_key', entity_id: id, action: 'revoke', changes: { revoked: true } });
  return true;
}

/** Revokes the active key with this id (404 otherwise), audited under `actor`. */
export async function revokeKeyById(db: Db, id: string, actor: Actor, forget: () => void): Promise<void> {
  if (!(await revokeKeyAsStaff(db, id, actor, forget))) throw notFound(`No active key with id ${id.slice(0, 40)}.`);
}
