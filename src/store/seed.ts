// Start-up data: the configured jurisdiction, the demo catalog and the bootstrap API key.
import type { Config } from '../config.js';
import { DEMO_CATALOG } from './demo-catalog.js';
import { ensureKey } from './api-keys-store.js';
import { ensureJurisdiction, upsertCatalog } from './catalog-store.js';
import type { Db } from './db.js';
import { storedJurisdictionIds } from './jurisdictions-store.js';
import { jurisdictionMismatch } from '../errors.js';

type JurisdictionSettings = Pick<Config, 'jurisdictionId' | 'jurisdictionName' | 'timeZone'>;

/**
 * Creates the configured jurisdiction in an empty store, or updates its name and zone. A store that holds
 * other jurisdictions but not the configured one is refused (OPEN311_JURISDICTION_ID changed under an
 * existing store): silently adding a second one would make jurisdiction_id required on every call.
 */
export async function ensureConfiguredJurisdiction(db: Db, config: JurisdictionSettings): Promise<void> {
  const stored = await storedJurisdictionIds(db);
  if (stored.length > 0 && !stored.includes(config.jurisdictionId)) throw jurisdictionMismatch(config.jurisdictionId, stored);
  await ensureJurisdiction(db, {
    jurisdiction_id: config.jurisdictionId,
    name: config.jurisdictionName,
    time_zone: config.timeZone,
  });
}

/** Returns the codes of services that were created or changed. */
export async function seedDemoCatalog(db: Db, config: JurisdictionSettings): Promise<string[]> {
  await ensureConfiguredJurisdiction(db, config);
  return upsertCatalog(db, config.jurisdictionId, DEMO_CATALOG);
}

export async function ensureBootstrapKey(db: Db, key: string | undefined): Promise<void> {
  if (key) await ensureKey(db, 'bootstrap (OPEN311_BOOTSTRAP_API_KEY)', key, 'client');
}

export async function ensureBootstrapAdminKey(db: Db, key: string | undefined): Promise<void> {
  if (key) await ensureKey(db, 'bootstrap admin (OPEN311_BOOTSTRAP_ADMIN_KEY)', key, 'admin');
}
