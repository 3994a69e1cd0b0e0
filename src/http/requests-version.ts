// The change marker that validates cached request answers (lists, single requests, the map's clusters).
import type { Jurisdiction } from '../domain/types.js';
import * as requests from '../domain/requests.js';
import type { AppContext } from './context.js';

/**
 * While the change feed is live (LISTEN/NOTIFY, see store/change-feed.ts) its counter is the change marker:
 * no query at all. Otherwise (the embedded store, no direct connection) the marker is read at most every
 * 100 ms per jurisdiction: under heavy polling that spares the database, and the cache's own TTL (1 s)
 * bounds what it could miss.
 */
export function requestsVersionReader(context: AppContext): (jurisdiction: Jurisdiction) => Promise<string> {
  const versions = new Map<string, { at: number; value: Promise<string> }>();
  return (jurisdiction) => {
    if (!context.cache) return Promise.resolve('');
    const live = context.changes?.version();
    if (live !== undefined) return Promise.resolve(live);
    const now = Date.now();
    const known = versions.get(jurisdiction.jurisdiction_id);
    if (known && now - known.at < 100) return known.value;
    const value = context.reads.read((source) => requests.requestsVersion(source, jurisdiction));
    versions.set(jurisdiction.jurisdiction_id, { at: now, value });
    value.catch(() => versions.delete(jurisdiction.jurisdiction_id));
    return value;
  };
}
