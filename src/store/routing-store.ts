// Routing administration: agencies, service areas (PostGIS polygons), the routing rules and availability of
// services, and the audit rows of admin changes. Ids are cast to text (pg gives int8 as text, PGlite as number).
import type { Db } from './db.js';

export interface Agency {
  code: string;
  name: string;
  created_at: Date;
}

export interface ServiceArea {
  code: string;
  name: string;
  kind: string;
  /** GeoJSON MultiPolygon, [longitude, latitude] positions. */
  geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
  created_at: Date;
}

export interface RoutingRule {
  agency: string;
  area: string | null;
}

// ---- agencies ----

export async function listAgencies(db: Db, jurisdictionId: string): Promise<Agency[]> {
  return db('agencies').select('code', 'name', 'created_at').where({ jurisdiction_id: jurisdictionId }).orderBy('code');
}

export async function findAgency(db: Db, jurisdictionId: string, code: string): Promise<Agency | undefined> {
  return db('agencies').select('code', 'name', 'created_at').where({ jurisdiction_id: jurisdictionId, code }).first();
}

/** Inserts the agency; undefined when the code is taken. */
export async function insertAgency(
  db: Db,
  jurisdictionId: string,
  agency: { code: string; name: string },
): Promise<Agency | undefined> {
  const [row] = (await db('agencies')
    .insert({ jurisdiction_id: jurisdictionId, code: agency.code, name: agency.name })
    .onConflict(['jurisdiction_id', 'code'])
    .ignore()
    .returning(['code', 'name', 'created_at'])) as Agency[];
  return row;
}

export async function renameAgency(db: Db, jurisdictionId: string, code: string, name: string): Promise<Agency | undefined> {
  const [row] = (await db('agencies')
    .where({ jurisdiction_id: jurisdictionId, code })
    .update({ name })
    .returning(['code', 'name', 'created_at'])) as Agency[];
  return row;
}

// ---- service areas ----

function areaColumns(db: Db) {
  return ['code', 'name', 'kind', db.raw('ST_AsGeoJSON(area::geometry) AS geojson'), 'created_at'];
}

type AreaRow = Omit<ServiceArea, 'geometry'> & { geojson: string };

const toArea = ({ geojson, ...row }: AreaRow): ServiceArea => ({
  ...row,
  geometry: JSON.parse(geojson) as ServiceArea['geometry'],
});

export async function listAreas(db: Db, jurisdictionId: string): Promise<ServiceArea[]> {
  const rows = (await db('service_areas')
    .select(areaColumns(db))
    .where({ jurisdiction_id: jurisdictionId })
    .orderBy('code')) as AreaRow[];
  return rows.map(toArea);
}

export async function findArea(db: Db, jurisdictionId: string, code: string): Promise<ServiceArea | undefined> {
  const row = (await db('service_areas').select(areaColumns(db)).where({ jurisdiction_id: jurisdictionId, code }).first()) as
    | AreaRow
    | undefined;
  return row && toArea(row);
}

export interface GeometryCheck {
  /** Why PostGIS refuses it, or undefined when it is a valid (Multi)Polygon within WGS84 bounds. */
  problem?: string;
}

/** Asks PostGIS whether a GeoJSON geometry is a valid polygon (ST_IsValid) within longitude/latitude bounds. */
export async function checkGeometry(db: Db, geojson: string): Promise<GeometryCheck> {
  let row: { type: string; valid: boolean; reason: string; xmin: number; xmax: number; ymin: number; ymax: number } | undefined;
  try {
    const result = await db.raw(
      `SELECT GeometryType(g) AS type, ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason,
              ST_XMin(g) AS xmin, ST_XMax(g) AS xmax, ST_YMin(g) AS ymin, ST_YMax(g) AS ymax
         FROM (SELECT ST_GeomFromGeoJSON(?::text) AS g) AS input`,
      [geojson],
    );
    row = (result as { rows: NonNullable<typeof row>[] }).rows[0];
  } catch (error) {
    // PostGIS refuses what it cannot build (XX000 "invalid GeoJson representation", 22xxx data errors); its
    // message quotes SQL, so it stays here. Anything else (connection lost…) is not the client's fault.
    const code = String((error as { code?: unknown }).code ?? '');
    if (code !== 'XX000' && !code.startsWith('22')) throw error;
    return { problem: 'PostGIS cannot build a polygon from it (each ring must be closed: its last position equals its first)' };
  }
  if (!row) return { problem: 'PostGIS cannot build a polygon from it' };
  if (row.type !== 'POLYGON' && row.type !== 'MULTIPOLYGON') return { problem: `it is a ${row.type}, not a polygon` };
  if (!row.valid) return { problem: row.reason };
  if (row.xmin < -180 || row.xmax > 180 || row.ymin < -90 || row.ymax > 90) {
    return { problem: 'a position is outside longitude -180 to 180 or latitude -90 to 90' };
  }
  return {};
}

/** Inserts the area (stored as a MultiPolygon geography); undefined when the code is taken. */
export async function insertArea(
  db: Db,
  jurisdictionId: string,
  area: { code: string; name: string; kind: string; geojson: string },
): Promise<ServiceArea | undefined> {
  const [row] = (await db('service_areas')
    .insert({
      jurisdiction_id: jurisdictionId,
      code: area.code,
      name: area.name,
      kind: area.kind,
      area: db.raw('ST_Multi(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326)))::geography', [area.geojson]),
    })
    .onConflict(['jurisdiction_id', 'code'])
    .ignore()
    .returning(areaColumns(db) as string[])) as AreaRow[];
  return row && toArea(row);
}

/** What still refers to an area: services offered in it, services with a routing rule for it. */
export async function areaUses(
  db: Db,
  jurisdictionId: string,
  code: string,
): Promise<{ availability: string[]; routing: string[] }> {
  const [availability, routing] = await Promise.all([
    db('service_availability as av')
      .join('service_areas as area', 'area.id', 'av.service_area_id')
      .join('services as s', 's.id', 'av.service_id')
      .where({ 'area.jurisdiction_id': jurisdictionId, 'area.code': code })
      .orderBy('s.service_code')
      .pluck('s.service_code'),
    db('routing_rules as rule')
      .join('service_areas as area', 'area.id', 'rule.service_area_id')
      .join('services as s', 's.id', 'rule.service_id')
      .where({ 'area.jurisdiction_id': jurisdictionId, 'area.code': code })
      .orderBy('s.service_code')
      .pluck('s.service_code'),
  ]);
  return { availability: availability as string[], routing: routing as string[] };
}

/** Deletes the area; false when there was none. */
export async function deleteArea(db: Db, jurisdictionId: string, code: string): Promise<boolean> {
  // Counted from RETURNING: the embedded driver answers a DELETE with its raw result, not a row count.
  return (await db('service_areas').where({ jurisdiction_id: jurisdictionId, code }).delete().returning('id')).length > 0;
}

// ---- routing rules and availability ----

export async function serviceIdOf(db: Db, jurisdictionId: string, serviceCode: string): Promise<string | undefined> {
  const row = (await db('services')
    .select(db.raw('id::text AS id'))
    .where({ jurisdiction_id: jurisdictionId, service_code: serviceCode })
    .first()) as { id: string } | undefined;
  return row?.id;
}

async function idsByCode(
  db: Db,
  table: 'agencies' | 'service_areas',
  jurisdictionId: string,
  codes: string[],
): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = (await db(table)
    .select('code', db.raw('id::text AS id'))
    .where({ jurisdiction_id: jurisdictionId })
    .whereIn('code', codes)) as Array<{
    code: string;
    id: string;
  }>;
  return new Map(rows.map((row) => [row.code, row.id]));
}

export const agencyIdsByCode = (db: Db, jurisdictionId: string, codes: string[]) =>
  idsByCode(db, 'agencies', jurisdictionId, codes);
export const areaIdsByCode = (db: Db, jurisdictionId: string, codes: string[]) =>
  idsByCode(db, 'service_areas', jurisdictionId, codes);

/** Routing rules per service code, rules with an area first, then by area code. */
export async function routingByService(
  db: Db,
  jurisdictionId: string,
  serviceCodes?: string[],
): Promise<Map<string, RoutingRule[]>> {
  const rows = (await db('routing_rules as rule')
    .join('services as s', 's.id', 'rule.service_id')
    .join('agencies as agency', 'agency.id', 'rule.agency_id')
    .leftJoin('service_areas as area', 'area.id', 'rule.service_area_id')
    .select('s.service_code', 'agency.code as agency', 'area.code as area')
    .where('s.jurisdiction_id', jurisdictionId)
    .modify((query) => {
      if (serviceCodes) query.whereIn('s.service_code', serviceCodes);
    })
    .orderByRaw('s.service_code, (area.code IS NULL), area.code')) as Array<RoutingRule & { service_code: string }>;
  const result = new Map<string, RoutingRule[]>();
  for (const { service_code, agency, area } of rows) {
    const list = result.get(service_code) ?? [];
    list.push({ agency, area: area ?? null });
    result.set(service_code, list);
  }
  return result;
}

/** Area codes where each service is offered (a service without rows is offered everywhere). */
export async function availabilityByService(
  db: Db,
  jurisdictionId: string,
  serviceCodes?: string[],
): Promise<Map<string, string[]>> {
  const rows = (await db('service_availability as av')
    .join('services as s', 's.id', 'av.service_id')
    .join('service_areas as area', 'area.id', 'av.service_area_id')
    .select('s.service_code', 'area.code as area')
    .where('s.jurisdiction_id', jurisdictionId)
    .modify((query) => {
      if (serviceCodes) query.whereIn('s.service_code', serviceCodes);
    })
    .orderBy([{ column: 's.service_code' }, { column: 'area.code' }])) as Array<{ service_code: string; area: string }>;
  const result = new Map<string, string[]>();
  for (const { service_code, area } of rows) result.set(service_code, [...(result.get(service_code) ?? []), area]);
  return result;
}

export async function replaceRoutingRules(
  db: Db,
  serviceId: string,
  rules: Array<{ agencyId: string; areaId: string | null }>,
): Promise<void> {
  await db('routing_rules').where({ service_id: serviceId }).delete();
  if (rules.length > 0) {
    await db('routing_rules').insert(
      rules.map((rule) => ({ service_id: serviceId, agency_id: rule.agencyId, service_area_id: rule.areaId })),
    );
  }
}

export async function replaceAvailability(db: Db, serviceId: string, areaIds: string[]): Promise<void> {
  await db('service_availability').where({ service_id: serviceId }).delete();
  if (areaIds.length > 0)
    await db('service_availability').insert(areaIds.map((areaId) => ({ service_id: serviceId, service_area_id: areaId })));
}

// ---- audit ----

export interface AuditEntry {
  actor: { key_id: string | null; staff_id?: string | null; name: string };
  entity_type: string;
  entity_id: string;
  action: string;
  changes: Record<string, unknown>;
}

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db('audit_log').insert({
    actor_key_id: entry.actor.key_id,
    actor_staff_id: entry.actor.staff_id ?? null,
    actor_name: entry.actor.name,
    entity_type: entry.entity_type,
    entity_id: entry.entity_id,
    action: entry.action,
    changes: JSON.stringify(entry.changes),
  });
}
