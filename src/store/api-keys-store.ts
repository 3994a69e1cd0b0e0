// API keys, stored as SHA-256 hashes: the clear key is shown once at creation and never stored.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.js';

export type KeyRole = 'client' | 'staff' | 'admin';

export interface ApiKeyRecord {
  id: string;
  name: string;
  key_prefix: string;
  role: KeyRole;
  created_at: Date;
  revoked_at: Date | null;
}

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

function generateKey(): string {
  return `o311_${randomBytes(24).toString('base64url')}`;
}

const prefixOf = (key: string): string => key.slice(0, 12);

function columns(db: Db) {
  return [db.raw('id::text AS id'), 'name', 'key_prefix', 'role', 'created_at', 'revoked_at'];
}

export async function createKey(
  db: Db,
  name: string,
  role: KeyRole = 'client',
  key = generateKey(),
  createdBy?: { staff_id: string | null; name: string },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const [record] = (await db('api_keys')
    .insert({
      name,
      key_hash: hashKey(key),
      key_prefix: prefixOf(key),
      role,
      // Who made the key: a person (staff account) or, through another key or the command line, its name.
      created_by_staff_id: createdBy?.staff_id ?? null,
      created_by_name: createdBy?.name ?? null,
    })
    .returning(columns(db) as string[])) as ApiKeyRecord[];
  return { key, record: { ...record!, id: String(record!.id) } };
}

/** Makes `key` valid (un-revoking it if needed) without ever storing it in clear. */
export async function ensureKey(db: Db, name: string, key: string, role: KeyRole): Promise<void> {
  await db('api_keys')
    .insert({ name, key_hash: hashKey(key), key_prefix: prefixOf(key), role })
    .onConflict('key_hash')
    .merge({ revoked_at: null, role });
}

/**
 * The active key whose hash matches. The lookup is by hash, so the time it takes does not depend on how much
 * of a guessed key is right (no byte-by-byte comparison of secrets happens).
 */
export async function findActiveKey(db: Db, key: string): Promise<ApiKeyRecord | undefined> {
  return findActiveKeyByHash(db, hashKey(key));
}

export async function findActiveKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRecord | undefined> {
  return db('api_keys').select(columns(db)).where({ key_hash: keyHash }).whereNull('revoked_at').first();
}

/** Whether the key with this id exists and is not revoked (one primary-key read). */
export async function isKeyActive(db: Db, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) return false;
  return (await db('api_keys').first(db.raw('1 AS found')).where({ id }).whereNull('revoked_at')) !== undefined;
}

export async function listKeys(db: Db): Promise<ApiKeyRecord[]> {
  return db('api_keys').select(columns(db)).orderBy('id');
}

/** Revokes by id, name or key prefix; returns how many keys were revoked. */
export async function revokeKey(db: Db, selector: string): Promise<number> {
  const query = db('api_keys').whereNull('revoked_at');
  if (/^\d+$/.test(selector)) query.where('id', selector);
  else query.where((where) => where.where('name', selector).orWhere('key_prefix', selector));
  return query.update({ revoked_at: db.fn.now() });
}

/**
 * The id of the client key a first-party client of this server (the resident site) files requests with, created
 * on first use under `name`; its clear value is never needed. A revoked key stays revoked: undefined then.
 */
export async function ensureClientKeyId(db: Db, name: string): Promise<string | undefined> {
  const existing: { id: string; revoked_at: Date | null } | undefined = await db('api_keys')
    .select(db.raw('id::text AS id'), 'revoked_at')
    .where({ name, role: 'client' })
    .orderBy('id', 'desc')
    .first();
  if (existing) return existing.revoked_at === null ? existing.id : undefined;
  return (await createKey(db, name, 'client')).record.id;
}
