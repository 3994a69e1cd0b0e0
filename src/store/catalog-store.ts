// Catalog queries: jurisdictions, services, attributes and their values.
import type { Db } from './db.js';
import type {
  Attribute,
  Datatype,
  Jurisdiction,
  Service,
  ServiceDefinition,
  ServiceForIntake,
  ServiceType,
} from '../domain/types.js';

export interface CatalogService {
  service_code: string;
  service_name: string;
  description?: string | null;
  type?: ServiceType;
  keywords?: string[];
  group?: string | null;
  service_notice?: string | null;
  agency_responsible?: string | null;
  /** Response-time target in hours: sets a new request's expected_datetime. null: none. */
  response_hours?: number | null;
  active?: boolean;
  attributes?: Attribute[];
}

/** A point (WGS84 degrees) at which to list the services offered there. */
export interface ServicePoint {
  lat: number;
  long: number;
}

/**
 * The catalog changeset as exact text (microseconds since the epoch): a create validated against a cached
 * service definition stores only while the jurisdiction's changeset still equals the one read with it.
 */
export const CATALOG_CHANGESET_SQL = (column: string): string => `(extract(epoch FROM ${column}) * 1000000)::bigint::text`;

export async function listJurisdictions(db: Db): Promise<Jurisdiction[]> {
  return db('jurisdictions').select('jurisdiction_id', 'name', 'time_zone', 'catalog_changed_at').orderBy('jurisdiction_id');
}

export async function ensureJurisdiction(
  db: Db,
  jurisdiction: { jurisdiction_id: string; name: string; time_zone: string },
): Promise<void> {
  await db('jurisdictions').insert(jurisdiction).onConflict('jurisdiction_id').merge(['name', 'time_zone']);
}

export async function catalogChangeset(db: Db, jurisdictionId?: string): Promise<Date | undefined> {
  const query = db('jurisdictions').max({ changed: 'catalog_changed_at' });
  if (jurisdictionId) query.where({ jurisdiction_id: jurisdictionId });
  const row = (await query.first()) as { changed: Date | null } | undefined;
  return row?.changed ?? undefined;
}

const joinKeywords = (keywords: string[] | null): string | null => (keywords && keywords.length > 0 ? keywords.join(',') : null);

/**
 * Active services of a jurisdiction. With `at`, only those offered at that point: a service with no
 * service_availability rows is offered everywhere, else only inside one of its areas.
 */
export async function listServices(db: Db, jurisdictionId: string, at?: ServicePoint): Promise<Service[]> {
  const rows: Array<{
    service_code: string;
    service_name: string;
    description: string | null;
    metadata: boolean;
    type: ServiceType;
    keywords: string[] | null;
    service_group: string | null;
  }> = await db('services as s')
    .select(
      's.service_code',
      's.service_name',
      's.description',
      db.raw('EXISTS (SELECT 1 FROM service_attributes a WHERE a.service_id = s.id) AS metadata'),
      's.type',
      's.keywords',
      's.service_group',
    )
    .where({ 's.jurisdiction_id': jurisdictionId, 's.active': true })
    .modify((query) => {
      if (!at) return;
      query.where((where) => {
        where
          .whereNotExists(db('service_availability as av').select(db.raw('1')).whereRaw('av.service_id = s.id'))
          .orWhereExists(
            db('service_availability as av')
              .join('service_areas as area', 'area.id', 'av.service_area_id')
              .select(db.raw('1'))
              .whereRaw('av.service_id = s.id')
              .andWhereRaw('ST_Intersects(area.area, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography)', [at.long, at.lat]),
          );
      });
    })
    .orderBy([{ column: 's.display_order' }, { column: 's.service_code' }]);
  return rows.map((row) => ({
    service_code: row.service_code,
    service_name: row.service_name,
    description: row.description,
    metadata: row.metadata,
    type: row.type,
    keywords: joinKeywords(row.keywords),
    group: row.service_group,
  }));
}

interface AttributeRow {
  id: string;
  service_id: string;
  code: string;
  variable: boolean;
  datatype: Datatype;
  required: boolean;
  datatype_description: string | null;
  sort_order: number;
  description: string;
}

/** Attributes of several services with their values, in two queries (never one per attribute). */
async function attributesOf(db: Db, serviceIds: string[]): Promise<Map<string, Attribute[]>> {
  const result = new Map<string, Attribute[]>();
  if (serviceIds.length === 0) return result;
  const attributes: AttributeRow[] = await db('service_attributes')
    .select(
      db.raw('id::text AS id'),
      db.raw('service_id::text AS service_id'),
      'code',
      'variable',
      'datatype',
      'required',
      'datatype_description',
      'sort_order',
      'description',
    )
    .whereIn('service_id', serviceIds)
    .orderBy([{ column: 'service_id' }, { column: 'sort_order' }]);
  const values: Array<{ attribute_id: string; key: string; name: string }> = attributes.length
    ? await db('service_attribute_values')
        .select(db.raw('attribute_id::text AS attribute_id'), 'key', 'name')
        .whereIn(
          'attribute_id',
          attributes.map((attribute) => attribute.id),
        )
        .orderBy([{ column: 'attribute_id' }, { column: 'sort_order' }])
    : [];
  const valuesByAttribute = new Map<string, Array<{ key: string; name: string }>>();
  for (const value of values) {
    const list = valuesByAttribute.get(value.attribute_id) ?? [];
    list.push({ key: value.key, name: value.name });
    valuesByAttribute.set(value.attribute_id, list);
  }
  for (const row of attributes) {
    const attribute: Attribute = {
      variable: row.variable,
      code: row.code,
      datatype: row.datatype,
      required: row.required,
      datatype_description: row.datatype_description,
      order: row.sort_order,
      description: row.description,
    };
    if (row.datatype === 'singlevaluelist' || row.datatype === 'multivaluelist') {
      attribute.values = valuesByAttribute.get(row.id) ?? [];
    }
    const list = result.get(row.service_id) ?? [];
    list.push(attribute);
    result.set(row.service_id, list);
  }
  return result;
}

export async function findServiceForIntake(
  db: Db,
  jurisdictionId: string,
  serviceCode: string,
): Promise<ServiceForIntake | undefined> {
  // The changeset is read with the service row, before its attributes: if the catalog changes in between, the
  // changeset is older than what was read, and a create guarded by it is revalidated (never the reverse).
  const row: Omit<ServiceForIntake, 'attributes'> | undefined = await db('services as s')
    .join('jurisdictions as j', 'j.jurisdiction_id', 's.jurisdiction_id')
    .select(
      db.raw('s.id::text AS id'),
      's.service_code',
      's.type',
      's.service_notice',
      's.agency_responsible',
      db.raw(`${CATALOG_CHANGESET_SQL('j.catalog_changed_at')} AS catalog_changeset`),
    )
    .where({ 's.jurisdiction_id': jurisdictionId, 's.service_code': serviceCode, 's.active': true })
    .first();
  if (!row) return undefined;
  const attributes = (await attributesOf(db, [row.id])).get(row.id) ?? [];
  return { ...row, attributes };
}

export async function getServiceDefinition(
  db: Db,
  jurisdictionId: string,
  serviceCode: string,
): Promise<ServiceDefinition | undefined> {
  const service = await findServiceForIntake(db, jurisdictionId, serviceCode);
  if (!service) return undefined;
  return { service_code: service.service_code, attributes: service.attributes };
}

/** The whole catalog of a jurisdiction in the shape `upsertCatalog` takes (for export and comparison). */
export async function exportCatalog(db: Db, jurisdictionId: string, onlyCodes?: string[]): Promise<CatalogService[]> {
  const rows: Array<{
    id: string;
    service_code: string;
    service_name: string;
    description: string | null;
    type: ServiceType;
    keywords: string[];
    service_group: string | null;
    service_notice: string | null;
    agency_responsible: string | null;
    response_hours: number | null;
    active: boolean;
  }> = await db('services')
    .select(
      db.raw('id::text AS id'),
      'service_code',
      'service_name',
      'description',
      'type',
      'keywords',
      'service_group',
      'service_notice',
      'agency_responsible',
      'response_hours',
      'active',
    )
    .where({ jurisdiction_id: jurisdictionId })
    .modify((query) => {
      if (onlyCodes) query.whereIn('service_code', onlyCodes);
    })
    .orderBy([{ column: 'display_order' }, { column: 'service_code' }]);
  const attributes = await attributesOf(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    service_code: row.service_code,
    service_name: row.service_name,
    description: row.description,
    type: row.type,
    keywords: row.keywords,
    group: row.service_group,
    service_notice: row.service_notice,
    agency_responsible: row.agency_responsible,
    response_hours: row.response_hours,
    active: row.active,
    attributes: attributes.get(row.id) ?? [],
  }));
}

const LIST_DATATYPES: readonly Datatype[] = ['singlevaluelist', 'multivaluelist'];

/**
 * The one normaliser of a service definition: every optional field filled with its default (the stored shape),
 * attributes in their order, values kept only where the datatype is a list. Used before every write, for
 * every comparison (unchanged services of an import) and for the staff API's view.
 */
export function normalise(service: CatalogService): Required<CatalogService> {
  const attributes = (service.attributes ?? []).map((attribute) => {
    const copy: Attribute = {
      variable: attribute.variable ?? true,
      code: attribute.code,
      datatype: attribute.datatype,
      required: attribute.required ?? false,
      datatype_description: attribute.datatype_description ?? null,
      order: attribute.order,
      description: attribute.description,
    };
    if (LIST_DATATYPES.includes(copy.datatype))
      copy.values = (attribute.values ?? []).map((value) => ({ key: value.key, name: value.name }));
    return copy;
  });
  return {
    service_code: service.service_code,
    service_name: service.service_name,
    description: service.description ?? null,
    type: service.type ?? 'realtime',
    keywords: service.keywords ?? [],
    group: service.group ?? null,
    service_notice: service.service_notice ?? null,
    agency_responsible: service.agency_responsible ?? null,
    response_hours: service.response_hours ?? null,
    active: service.active ?? true,
    attributes: attributes.sort((first, second) => first.order - second.order),
  };
}

/**
 * Creates or updates the given services of a jurisdiction (others are left alone). Services whose
 * definition is unchanged are not touched, so running it twice changes nothing; any real change bumps the
 * jurisdiction's catalog changeset. Returns the codes of the services that changed.
 */
export async function upsertCatalog(db: Db, jurisdictionId: string, services: CatalogService[]): Promise<string[]> {
  return db.transaction(async (trx) => {
    const existing = new Map((await exportCatalog(trx, jurisdictionId)).map((service) => [service.service_code, service]));
    const changed: string[] = [];
    for (const [index, input] of services.entries()) {
      const service = normalise(input);
      const current = existing.get(service.service_code);
      if (current && JSON.stringify(normalise(current)) === JSON.stringify(service)) continue;
      changed.push(service.service_code);
      await writeService(trx, jurisdictionId, service, index);
    }
    if (changed.length > 0) await bumpCatalogChangeset(trx, jurisdictionId);
    return changed;
  });
}

/**
 * Writes one normalised service with its attributes and values (replacing them). `displayOrder` 'keep'
 * keeps an existing service's place in the list and puts a new one last.
 */
async function writeService(
  trx: Db,
  jurisdictionId: string,
  service: CatalogService,
  displayOrder: number | 'keep',
): Promise<void> {
  const columns = {
    jurisdiction_id: jurisdictionId,
    service_code: service.service_code,
    service_name: service.service_name,
    description: service.description,
    type: service.type,
    keywords: service.keywords,
    service_group: service.group,
    service_notice: service.service_notice,
    agency_responsible: service.agency_responsible,
    response_hours: service.response_hours,
    active: service.active,
    updated_at: trx.fn.now(),
  };
  const insert =
    displayOrder === 'keep'
      ? trx('services')
          .insert({
            ...columns,
            display_order: trx.raw('(SELECT COALESCE(MAX(display_order), -1) + 1 FROM services WHERE jurisdiction_id = ?)', [
              jurisdictionId,
            ]),
          })
          .onConflict(['jurisdiction_id', 'service_code'])
          .merge(Object.keys(columns))
      : trx('services')
          .insert({ ...columns, display_order: displayOrder })
          .onConflict(['jurisdiction_id', 'service_code'])
          .merge();
  const [row] = (await insert.returning('id')) as Array<{ id: string | number }>;
  const serviceId = String(row!.id);
  await trx('service_attributes').where({ service_id: serviceId }).delete();
  for (const attribute of service.attributes ?? []) {
    const [attributeRow] = (await trx('service_attributes')
      .insert({
        service_id: serviceId,
        code: attribute.code,
        variable: attribute.variable,
        datatype: attribute.datatype,
        required: attribute.required,
        datatype_description: attribute.datatype_description,
        sort_order: attribute.order,
        description: attribute.description,
      })
      .returning('id')) as Array<{ id: string | number }>;
    if (attribute.values && attribute.values.length > 0) {
      await trx('service_attribute_values').insert(
        attribute.values.map((value, position) => ({
          attribute_id: String(attributeRow!.id),
          key: value.key,
          name: value.name,
          sort_order: position + 1,
        })),
      );
    }
  }
}

/** Marks the jurisdiction's catalog as changed now (the discovery changeset, Last-Modified of services). */
export async function bumpCatalogChangeset(db: Db, jurisdictionId: string): Promise<void> {
  await db('jurisdictions').where({ jurisdiction_id: jurisdictionId }).update({ catalog_changed_at: db.fn.now() });
}

/** True when both describe the same service (defaults applied, unknown fields ignored). */
export function sameDefinition(a: CatalogService, b: CatalogService): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

/**
 * Creates or replaces one service, keeping its place in the list (a new one goes last). Bumps the
 * changeset when something changed; returns whether it did.
 */
export async function saveService(db: Db, jurisdictionId: string, input: CatalogService): Promise<boolean> {
  return db.transaction(async (trx) => {
    const service = normalise(input);
    const current = (await exportCatalog(trx, jurisdictionId, [service.service_code]))[0];
    if (current && sameDefinition(current, service)) return false;
    await writeService(trx, jurisdictionId, service, 'keep');
    await bumpCatalogChangeset(trx, jurisdictionId);
    return true;
  });
}

/** Retires the given services (active false; their requests keep them). Returns the codes that were active. */
export async function retireServices(db: Db, jurisdictionId: string, codes: string[]): Promise<string[]> {
  if (codes.length === 0) return [];
  return db.transaction(async (trx) => {
    const rows = (await trx('services')
      .where({ jurisdiction_id: jurisdictionId, active: true })
      .whereIn('service_code', codes)
      .update({ active: false, updated_at: trx.fn.now() })
      .returning('service_code')) as Array<{ service_code: string }>;
    if (rows.length > 0) await bumpCatalogChangeset(trx, jurisdictionId);
    return rows.map((row) => row.service_code).sort();
  });
}

export async function countServices(db: Db, jurisdictionId: string): Promise<number> {
  const row = (await db('services').where({ jurisdiction_id: jurisdictionId }).count({ count: '*' }).first()) as
    | { count: string | number }
    | undefined;
  return Number(row?.count ?? 0);
}
