// Remembered answers of POSTs sent with an Idempotency-Key, per API key (written by the statement that stores
// the request: see insertRequests).
import type { Db } from './db.js';

export async function findRemembered(
  db: Db,
  apiKeyId: string,
  key: string,
): Promise<{ fingerprint: string; response: unknown } | undefined> {
  return db('idempotency_keys').select('fingerprint', 'response').where({ api_key_id: apiKeyId, idempotency_key: key }).first();
}

/** A unique-key violation: here, a concurrent POST with the same Idempotency-Key committed first. */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '23505';
