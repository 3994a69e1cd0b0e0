// Which jurisdiction a request is for (digest §1.7): with one jurisdiction in the store the parameter is
// optional; with several it is required. A value that is not ours is a 404.
import { badRequest, notFound } from '../errors.js';
import type { Db } from '../store/db.js';
import { listJurisdictions } from '../store/catalog-store.js';
import type { Jurisdiction } from './types.js';

export interface JurisdictionRegistry {
  resolve(jurisdictionId: string | undefined): Promise<Jurisdiction>;
}

// Short cache: the list is read on every GeoReport call, changes rarely, and other server processes
// (cluster workers) may change it, so it must not be cached forever either.
const CACHE_MILLISECONDS = 5000;

export function createJurisdictionRegistry(db: Db): JurisdictionRegistry {
  let cached: { at: number; list: Jurisdiction[] } | undefined;
  async function all(): Promise<Jurisdiction[]> {
    if (!cached || Date.now() - cached.at > CACHE_MILLISECONDS) {
      cached = { at: Date.now(), list: await listJurisdictions(db) };
    }
    return cached.list;
  }
  return {
    async resolve(jurisdictionId) {
      const list = await all();
      if (jurisdictionId === undefined) {
        if (list.length === 1) return list[0]!;
        if (list.length === 0) throw notFound('This server has no jurisdiction configured yet.');
        throw badRequest('jurisdiction_id was not provided: this server serves several jurisdictions.');
      }
      const found = list.find((jurisdiction) => jurisdiction.jurisdiction_id === jurisdictionId);
      if (!found) throw notFound(`jurisdiction_id ${jurisdictionId} was not found.`);
      return found;
    },
  };
}
