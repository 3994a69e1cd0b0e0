// Services of the catalog (staff API, admin keys): their definitions with attributes and values, where they are
// offered and who gets them. Every change is checked (schema and uniqueness, every problem in one 400), bumps
// the discovery changeset, and writes an audit row in the same transaction.
import { badRequest, conflict, notFound } from '../../errors.js';
import * as catalogStore from '../../store/catalog-store.js';
import type { CatalogService } from '../../store/catalog-store.js';
import type { Db } from '../../store/db.js';
import * as routingStore from '../../store/routing-store.js';
import type { RoutingRule } from '../../store/routing-store.js';
import type { Attribute, Jurisdiction, ServiceType } from '../types.js';
import { type Actor, type Checked, DEFINITION_FIELDS, type Json } from './shared.js';

/** A service as the staff API shows it: the full definition plus where it is offered and who gets it. */
export interface StaffService {
  service_code: string;
  service_name: string;
  description: string | null;
  type: ServiceType;
  keywords: string[];
  group: string | null;
  service_notice: string | null;
  agency_responsible: string | null;
  response_hours: number | null;
  active: boolean;
  attributes: Attribute[];
  /** Area codes where the service is offered; empty: everywhere. */
  availability: string[];
  routing: RoutingRule[];
}

/** The stored shape of a valid definition, defaults filled in (the store's one normaliser). */
export const toCatalogService = (input: Json): CatalogService => catalogStore.normalise(input as unknown as CatalogService);

/** Field-by-field differences, for the audit trail. */
function differences(before: CatalogService, after: CatalogService): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of DEFINITION_FIELDS) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}

async function staffServices(db: Db, jurisdictionId: string, codes?: string[]): Promise<StaffService[]> {
  const [services, availability, routing] = await Promise.all([
    catalogStore.exportCatalog(db, jurisdictionId, codes),
    routingStore.availabilityByService(db, jurisdictionId, codes),
    routingStore.routingByService(db, jurisdictionId, codes),
  ]);
  return services.map((service) => ({
    ...catalogStore.normalise(service),
    availability: availability.get(service.service_code) ?? [],
    routing: routing.get(service.service_code) ?? [],
  }));
}

export async function listServices(db: Db, jurisdiction: Jurisdiction): Promise<StaffService[]> {
  return staffServices(db, jurisdiction.jurisdiction_id);
}

export async function getService(db: Db, jurisdiction: Jurisdiction, code: string): Promise<StaffService> {
  const [service] = await staffServices(db, jurisdiction.jurisdiction_id, [code]);
  if (!service) throw notFound(`service_code ${code} was not found.`);
  return service;
}

async function storedService(db: Db, jurisdictionId: string, code: string): Promise<CatalogService | undefined> {
  return (await catalogStore.exportCatalog(db, jurisdictionId, [code]))[0];
}

/** A new service from a checked definition (src/validate/catalog.ts checkServiceDefinition). */
export async function createService(
  db: Db,
  jurisdiction: Jurisdiction,
  definition: CatalogService,
  actor: Actor,
): Promise<StaffService> {
  const service = catalogStore.normalise(definition);
  const id = jurisdiction.jurisdiction_id;
  await db.transaction(async (trx) => {
    if (await storedService(trx, id, service.service_code)) {
      throw conflict(
        `service_code ${service.service_code} already exists (retired services keep their code); change it with PUT /api/v1/services/${service.service_code}.`,
      );
    }
    await catalogStore.saveService(trx, id, service);
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'service',
      entity_id: service.service_code,
      action: 'create',
      changes: { definition: service },
    });
  });
  return getService(db, jurisdiction, service.service_code);
}

export async function replaceService(
  db: Db,
  jurisdiction: Jurisdiction,
  code: string,
  checked: Checked<CatalogService>,
  actor: Actor,
): Promise<StaffService> {
  const id = jurisdiction.jurisdiction_id;
  const current = await storedService(db, id, code);
  if (!current) throw notFound(`service_code ${code} was not found; create it with POST /api/v1/services.`);
  if (checked.value === undefined) throw badRequest(...checked.problems);
  const service = catalogStore.normalise(checked.value);
  // Retiring is DELETE; a PUT without `active` keeps the service as active or retired as it is.
  if (checked.value.active === undefined) service.active = current.active ?? true;
  await db.transaction(async (trx) => {
    const before = (await storedService(trx, id, code)) ?? current;
    await catalogStore.saveService(trx, id, service);
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'service',
      entity_id: code,
      action: 'update',
      changes: differences(before, service),
    });
  });
  return getService(db, jurisdiction, code);
}

export async function retireService(db: Db, jurisdiction: Jurisdiction, code: string, actor: Actor): Promise<StaffService> {
  const id = jurisdiction.jurisdiction_id;
  await db.transaction(async (trx) => {
    const current = await storedService(trx, id, code);
    if (!current) throw notFound(`service_code ${code} was not found.`);
    const retired = await catalogStore.retireServices(trx, id, [code]);
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'service',
      entity_id: code,
      action: 'retire',
      changes: retired.length > 0 ? { active: { from: true, to: false } } : {},
    });
  });
  return getService(db, jurisdiction, code);
}
