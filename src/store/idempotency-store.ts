// Remembered answers of POSTs sent with an Idempotency-Key, per API key.
import type { Db } from './db.js';

export interface IdempotencyRecord {
  api_key_id: string;
  key: string;
  fingerprint: string;
}

export async function findRemembered(db: Db, apiKeyId: string, key: string): Promise<{ fingerprint: string; response: unknown } | undefined> {
  return db('idempotency_keys').select('fingerprint', 'response').where({ api_key_id: apiKeyId, idempotency_key: key }).first();
}

/** Call inside the transaction that stores what `response` acknowledges. */
export async function remember(trx: Db, record: IdempotencyRecord, response: unknown): Promise<void> {
  await trx('idempotency_keys').insert({
    api_key_id: record.api_key_id,
    idempotency_key: record.key,
    fingerprint: record.fingerprint,
    response: JSON.stringify(response),
  });
}

/** A unique-key violation: here, a concurrent POST with the same Idempotency-Key committed first. */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '23505';
