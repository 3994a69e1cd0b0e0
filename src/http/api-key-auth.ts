// The API key of a GeoReport POST (requests, servicerequestupdates), the one home of that check: read through
// IntakeLookups (domain/intake.ts), the one lookup path of keys, remembered or fresh. A key outside the body
// is checked before the body is read; the key's rate limit and the jurisdiction come after it.
import type { Request } from 'express';
import type { Jurisdiction } from '../domain/types.js';
import { forbidden, rateLimited } from '../errors.js';
import type { ApiKeyRecord } from '../store/api-keys-store.js';
import type { FormPairs, QueryObject } from '../validate/coerce.js';
import { apiKeyOf, apiKeyOutsideBody, pairValue } from './body.js';
import type { AppContext } from './context.js';
import { jurisdictionIdOf } from '../validate/inputs.js';

export function apiKeyAuth(context: AppContext) {
  /**
   * Checks the key of a POST body first: an unauthenticated client learns nothing else. `remembered` may answer
   * from the keys creates remember (see domain/intake.ts); otherwise the key is read from the database.
   */
  async function authenticate(
    req: Request,
    pairs: FormPairs,
    options: { remembered: boolean; rateLimit: boolean },
  ): Promise<{ keyId: string; jurisdiction: Jurisdiction }> {
    return admit(req, pairs, await keyRecord(req, pairs, options.remembered), options.rateLimit);
  }

  /** The active key of the POST (403 otherwise). */
  async function keyRecord(req: Request, pairs: FormPairs, remembered: boolean): Promise<ApiKeyRecord> {
    const key = apiKeyOf(req, pairs);
    const record = key === undefined ? undefined : await context.intakeLookups.apiKey(key, !remembered);
    if (!record) throw forbidden(key === undefined ? 'api_key is required to submit this request.' : 'The api_key is not valid.');
    return record;
  }

  /** The key's rate limit and the jurisdiction of the POST. */
  async function admit(
    req: Request,
    pairs: FormPairs,
    record: ApiKeyRecord,
    rateLimit: boolean,
  ): Promise<{ keyId: string; jurisdiction: Jurisdiction }> {
    const wait = rateLimit ? (context.keyRateLimiter?.take(record.id) ?? 0) : 0;
    if (wait > 0) throw rateLimited(wait, 'API key');
    const jurisdictionId = pairValue(pairs, 'jurisdiction_id') ?? (req.query.jurisdiction_id as QueryObject[string]);
    const jurisdiction = await context.jurisdictions.resolve(jurisdictionIdOf({ jurisdiction_id: jurisdictionId }));
    return { keyId: record.id, jurisdiction };
  }

  /**
   * A key sent in the query string or Authorization is checked before the body is read: a client with an
   * invalid or revoked key gets its 403 without uploading anything (the body is never buffered).
   */
  async function refuseBadKeyBeforeBody(req: Request): Promise<void> {
    const key = apiKeyOutsideBody(req);
    if (key !== undefined && !(await context.intakeLookups.apiKey(key, true))) throw forbidden('The api_key is not valid.');
  }

  return { keyRecord, admit, refuseBadKeyBeforeBody, authenticate };
}
