// The whole catalog at once: export, and import (create or change every listed service, optionally retire the
// rest) in one transaction with one audit row.
import { badRequest } from '../../errors.js';
import * as catalogStore from '../../store/catalog-store.js';
import type { CatalogService } from '../../store/catalog-store.js';
import type { Db } from '../../store/db.js';
import * as routingStore from '../../store/routing-store.js';
import type { Jurisdiction } from '../types.js';
import { toCatalogService } from './services.js';
import { type Actor, DEFINITION_FIELDS, isObject, type Json } from './shared.js';

export interface CatalogDocument {
  jurisdiction_id: string;
  exported_at: Date;
  services: CatalogService[];
}

export async function exportCatalog(db: Db, jurisdiction: Jurisdiction, now = new Date()): Promise<CatalogDocument> {
  return {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    exported_at: now,
    services: await catalogStore.exportCatalog(db, jurisdiction.jurisdiction_id),
  };
}

export interface ImportResult {
  jurisdiction_id: string;
  /** Codes of the services created or changed. */
  changed: string[];
  /** Codes retired because they were not listed (retire_missing=true). */
  retired: string[];
  unchanged: number;
}

const DEFINITION_KEYS = new Set<string>(DEFINITION_FIELDS);

/**
 * Whether an unvalidated import item has the shape the normaliser reads (an object of definition fields whose
 * attributes and values are lists of objects), so it can be compared with the stored service as it is.
 */
function comparable(item: unknown): item is CatalogService {
  if (!isObject(item) || typeof item.service_code !== 'string') return false;
  if (!Object.keys(item).every((key) => DEFINITION_KEYS.has(key))) return false;
  if (item.attributes === undefined) return true;
  return (
    Array.isArray(item.attributes) &&
    item.attributes.every(
      (attribute: unknown) =>
        isObject(attribute) &&
        (attribute.values === undefined ||
          attribute.values === null ||
          (Array.isArray(attribute.values) && attribute.values.every(isObject))),
    )
  );
}

/**
 * The schema check of an import document (src/validate/catalog.ts catalogImportProblems), handed in by the
 * route: only the domain knows which listed services are unchanged, and those are not re-validated.
 */
export type ImportCheck = (document: unknown, unchanged: readonly boolean[]) => string[];

export async function importCatalog(
  db: Db,
  jurisdiction: Jurisdiction,
  body: unknown,
  retireMissing: boolean,
  actor: Actor,
  check: ImportCheck,
): Promise<ImportResult> {
  const id = jurisdiction.jurisdiction_id;
  const stored = new Map((await catalogStore.exportCatalog(db, id)).map((service) => [service.service_code, service]));
  // Like PUT, a listed service without `active` stays active or retired as it is.
  const items = (isObject(body) && Array.isArray(body.services) ? body.services : []).map((item: unknown) =>
    isObject(item) && item.active === undefined && typeof item.service_code === 'string' && stored.has(item.service_code)
      ? { ...item, active: stored.get(item.service_code)!.active ?? true }
      : item,
  );
  const document = isObject(body) && Array.isArray(body.services) ? { ...body, services: items } : body;
  // A listed service identical to the stored one is left alone without re-validation, so an export always
  // imports back (even a service created before today's rules, e.g. with a space in its code).
  const identical = items.map((item) => {
    if (!comparable(item)) return false;
    const current = stored.get(item.service_code);
    return current !== undefined && catalogStore.sameDefinition(current, item);
  });
  const problems = check(document, identical);
  const codes = items
    .map((item) => (isObject(item) ? item.service_code : undefined))
    .filter((code): code is string => typeof code === 'string');
  for (const code of new Set(codes.filter((code, index) => codes.indexOf(code) !== index))) {
    problems.push(`service_code ${code} is listed more than once: each service appears once in an import.`);
  }
  if (retireMissing && Array.isArray(items) && items.length === 0 && problems.length === 0) {
    problems.push('retire_missing=true with an empty services list would retire every service: list the services to keep.');
  }
  if (problems.length > 0) throw badRequest(...problems);
  const services = items.map((item, index) =>
    identical[index] ? stored.get((item as Json).service_code as string)! : toCatalogService(item as Json),
  );
  return db.transaction(async (trx) => {
    const changed = await catalogStore.upsertCatalog(trx, id, services);
    const listed = new Set(codes);
    const retired = retireMissing
      ? await catalogStore.retireServices(
          trx,
          id,
          [...stored.values()]
            .filter((service) => service.active !== false && !listed.has(service.service_code))
            .map((service) => service.service_code),
        )
      : [];
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'catalog',
      entity_id: id,
      action: 'import',
      changes: { changed, retired, retire_missing: retireMissing, listed: services.length },
    });
    return { jurisdiction_id: id, changed, retired, unchanged: services.length - changed.length };
  });
}
