// Where services are offered and who gets them: service areas (PostGIS polygons), routing rules and availability.
import { badRequest, conflict, notFound } from '../../errors.js';
import * as catalogStore from '../../store/catalog-store.js';
import type { Db } from '../../store/db.js';
import * as routingStore from '../../store/routing-store.js';
import type { ServiceArea } from '../../store/routing-store.js';
import type { CatalogArea, CatalogAvailability, CatalogRouting } from '../../types/generated.js';
import type { Jurisdiction } from '../types.js';
import { getService, type StaffService } from './services.js';
import type { Actor, Checked } from './shared.js';

export interface AreaFeature {
  type: 'Feature';
  id: string;
  geometry: ServiceArea['geometry'];
  properties: { code: string; name: string; kind: string; created_at: Date };
}

const toFeature = (area: ServiceArea): AreaFeature => ({
  type: 'Feature',
  id: area.code,
  geometry: area.geometry,
  properties: { code: area.code, name: area.name, kind: area.kind, created_at: area.created_at },
});

export async function listAreas(
  db: Db,
  jurisdiction: Jurisdiction,
): Promise<{ type: 'FeatureCollection'; features: AreaFeature[] }> {
  return { type: 'FeatureCollection', features: (await routingStore.listAreas(db, jurisdiction.jurisdiction_id)).map(toFeature) };
}

export async function getArea(db: Db, jurisdiction: Jurisdiction, code: string): Promise<AreaFeature> {
  const area = await routingStore.findArea(db, jurisdiction.jurisdiction_id, code);
  if (!area) throw notFound(`Service area ${code} was not found.`);
  return toFeature(area);
}

export async function createArea(db: Db, jurisdiction: Jurisdiction, input: CatalogArea, actor: Actor): Promise<AreaFeature> {
  const geojson = JSON.stringify({ type: input.geometry.type, coordinates: input.geometry.coordinates });
  const { problem } = await routingStore.checkGeometry(db, geojson);
  if (problem) throw badRequest(`geometry is not a valid polygon: ${problem}.`);
  const area = { code: input.code, name: input.name.trim(), kind: (input.kind ?? 'district').trim() || 'district', geojson };
  return db.transaction(async (trx) => {
    const created = await routingStore.insertArea(trx, jurisdiction.jurisdiction_id, area);
    if (!created) throw conflict(`Service area ${input.code} already exists; delete it first to redraw it.`);
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'service_area',
      entity_id: input.code,
      action: 'create',
      changes: { code: area.code, name: area.name, kind: area.kind, geometry: created.geometry },
    });
    return toFeature(created);
  });
}

/**
 * Deletes an area that nothing uses any more. An area still named by a service's availability or routing
 * rules is refused with 409: dropping it silently would widen where the service is offered (no availability
 * rows = everywhere) or reroute its requests.
 */
export async function deleteArea(db: Db, jurisdiction: Jurisdiction, code: string, actor: Actor): Promise<void> {
  const id = jurisdiction.jurisdiction_id;
  await db.transaction(async (trx) => {
    const area = await routingStore.findArea(trx, id, code);
    if (!area) throw notFound(`Service area ${code} was not found.`);
    const uses = await routingStore.areaUses(trx, id, code);
    const problems = [
      ...(uses.availability.length > 0
        ? [
            `Service area ${code} is where ${uses.availability.join(', ')} ${uses.availability.length > 1 ? 'are' : 'is'} offered: change their availability first.`,
          ]
        : []),
      ...(uses.routing.length > 0
        ? [`Service area ${code} is used by the routing rules of ${uses.routing.join(', ')}: change their routing first.`]
        : []),
    ];
    if (problems.length > 0) throw conflict(...problems);
    await routingStore.deleteArea(trx, id, code);
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'service_area',
      entity_id: code,
      action: 'delete',
      changes: { code, name: area.name, kind: area.kind },
    });
  });
}

/** The service a routing or availability change is for (404 first), then the checked input (400). */
async function serviceAndInput<T>(
  db: Db,
  jurisdictionId: string,
  code: string,
  checked: Checked<T>,
): Promise<{ serviceId: string; input: T }> {
  const serviceId = await routingStore.serviceIdOf(db, jurisdictionId, code);
  if (!serviceId) throw notFound(`service_code ${code} was not found.`);
  if (checked.value === undefined) throw badRequest(...checked.problems);
  return { serviceId, input: checked.value };
}

export async function replaceRouting(
  db: Db,
  jurisdiction: Jurisdiction,
  code: string,
  checked: Checked<CatalogRouting>,
  actor: Actor,
): Promise<StaffService> {
  const id = jurisdiction.jurisdiction_id;
  const { serviceId, input } = await serviceAndInput(db, id, code, checked);
  const rules = input.rules.map((rule) => ({ agency: rule.agency, area: rule.area ?? null }));
  const agencies = await routingStore.agencyIdsByCode(db, id, [...new Set(rules.map((rule) => rule.agency))]);
  const areas = await routingStore.areaIdsByCode(db, id, [
    ...new Set(rules.flatMap((rule) => (rule.area === null ? [] : [rule.area]))),
  ]);
  const problems: string[] = [];
  rules.forEach((rule, index) => {
    if (!agencies.has(rule.agency)) problems.push(`rules[${index}]: agency ${rule.agency} was not found.`);
    if (rule.area !== null && !areas.has(rule.area)) problems.push(`rules[${index}]: area ${rule.area} was not found.`);
  });
  const areaKeys = rules.map((rule) => rule.area);
  for (const area of new Set(areaKeys.filter((area, index) => areaKeys.indexOf(area) !== index))) {
    problems.push(area === null ? 'rules: only one rule may have no area.' : `rules: area ${area} has more than one rule.`);
  }
  if (problems.length > 0) throw badRequest(...problems);
  await db.transaction(async (trx) => {
    const before = (await routingStore.routingByService(trx, id, [code])).get(code) ?? [];
    await routingStore.replaceRoutingRules(
      trx,
      serviceId,
      rules.map((rule) => ({ agencyId: agencies.get(rule.agency)!, areaId: rule.area === null ? null : areas.get(rule.area)! })),
    );
    const after = (await routingStore.routingByService(trx, id, [code])).get(code) ?? [];
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'service',
      entity_id: code,
      action: 'routing',
      changes: JSON.stringify(before) === JSON.stringify(after) ? {} : { routing: { from: before, to: after } },
    });
  });
  return getService(db, jurisdiction, code);
}

export async function replaceAvailability(
  db: Db,
  jurisdiction: Jurisdiction,
  code: string,
  checked: Checked<CatalogAvailability>,
  actor: Actor,
): Promise<StaffService> {
  const id = jurisdiction.jurisdiction_id;
  const { serviceId, input } = await serviceAndInput(db, id, code, checked);
  const areas = await routingStore.areaIdsByCode(db, id, input.areas);
  const unknown = input.areas.filter((area) => !areas.has(area));
  if (unknown.length > 0) throw badRequest(...unknown.map((area) => `areas: service area ${area} was not found.`));
  await db.transaction(async (trx) => {
    const before = [...((await routingStore.availabilityByService(trx, id, [code])).get(code) ?? [])].sort();
    await routingStore.replaceAvailability(trx, serviceId, [...areas.values()]);
    const after = [...input.areas].sort();
    const changed = JSON.stringify(before) !== JSON.stringify(after);
    // Where a service is offered is part of the service list (GET services with lat/long).
    if (changed) await catalogStore.bumpCatalogChangeset(trx, id);
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'service',
      entity_id: code,
      action: 'availability',
      changes: changed ? { availability: { from: before, to: after } } : {},
    });
  });
  return getService(db, jurisdiction, code);
}
