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
  active?: boolean;
  attributes?: Attribute[];
}

export async function listJurisdictions(db: Db): Promise<Jurisdiction[]> {
  return db('jurisdictions').select('jurisdiction_id', 'name', 'time_zone', 'catalog_changed_at').orderBy('jurisdiction_id');
}

export async function ensureJurisdiction(
  db: Db,
  jurisdiction: { jurisdiction_id: string; name: string; time_zone: string },
): Promise<void> {
  await db('jurisdictions')
    .insert(jurisdiction)
    .onConflict('jurisdiction_id')
    .merge(['name', 'time_zone']);
}

export async function catalogChangeset(db: Db, jurisdictionId?: string): Promise<Date | undefined> {
  const query = db('jurisdictions').max({ changed: 'catalog_changed_at' });
  if (jurisdictionId) query.where({ jurisdiction_id: jurisdictionId });
  const row = (await query.first()) as { changed: Date | null } | undefined;
  return row?.changed ?? undefined;
}

const joinKeywords = (keywords: string[] | null): string | null =>
  keywords && keywords.length > 0 ? keywords.join(',') : null;

export async function listServices(db: Db, jurisdictionId: string): Promise<Service[]> {
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
    .select(db.raw('id::text AS id'), db.raw('service_id::text AS service_id'), 'code', 'variable', 'datatype', 'required', 'datatype_description', 'sort_order', 'description')
    .whereIn('service_id', serviceIds)
    .orderBy([{ column: 'service_id' }, { column: 'sort_order' }]);
  const values: Array<{ attribute_id: string; key: string; name: string }> = attributes.length
    ? await db('service_attribute_values')
        .select(db.raw('attribute_id::text AS attribute_id'), 'key', 'name')
        .whereIn('attribute_id', attributes.map((attribute) => attribute.id))
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
  const row: { id: string; service_code: string; type: ServiceType; service_notice: string | null; agency_responsible: string | null } | undefined =
    await db('services')
      .select(db.raw('id::text AS id'), 'service_code', 'type', 'service_notice', 'agency_responsible')
      .where({ jurisdiction_id: jurisdictionId, service_code: serviceCode, active: true })
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
export async function exportCatalog(db: Db, jurisdictionId: string): Promise<CatalogService[]> {
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
    active: boolean;
  }> = await db('services')
    .select(db.raw('id::text AS id'), 'service_code', 'service_name', 'description', 'type', 'keywords', 'service_group', 'service_notice', 'agency_responsible', 'active')
    .where({ jurisdiction_id: jurisdictionId })
    .orderBy([{ column: 'display_order' }, { column: 'service_code' }]);
  const attributes = await attributesOf(db, rows.map((row) => row.id));
  return rows.map((row) => ({
    service_code: row.service_code,
    service_name: row.service_name,
    description: row.description,
    type: row.type,
    keywords: row.keywords,
    group: row.service_group,
    service_notice: row.service_notice,
    agency_responsible: row.agency_responsible,
    active: row.active,
    attributes: attributes.get(row.id) ?? [],
  }));
}

function normalise(service: CatalogService): CatalogService {
  return {
    service_code: service.service_code,
    service_name: service.service_name,
    description: service.description ?? null,
    type: service.type ?? 'realtime',
    keywords: service.keywords ?? [],
    group: service.group ?? null,
    service_notice: service.service_notice ?? null,
    agency_responsible: service.agency_responsible ?? null,
    active: service.active ?? true,
    attributes: (service.attributes ?? []).map((attribute) => {
      const copy: Attribute = {
        variable: attribute.variable,
        code: attribute.code,
        datatype: attribute.datatype,
        required: attribute.required,
        datatype_description: attribute.datatype_description ?? null,
        order: attribute.order,
        description: attribute.description,
      };
      if (attribute.values) copy.values = attribute.values.map((value) => ({ key: value.key, name: value.name }));
      return copy;
    }),
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
      const [row] = (await trx('services')
        .insert({
          jurisdiction_id: jurisdictionId,
          service_code: service.service_code,
          service_name: service.service_name,
          description: service.description,
          type: service.type,
          keywords: service.keywords,
          service_group: service.group,
          service_notice: service.service_notice,
          agency_responsible: service.agency_responsible,
          active: service.active,
          display_order: index,
          updated_at: trx.fn.now(),
        })
        .onConflict(['jurisdiction_id', 'service_code'])
        .merge()
        .returning('id')) as Array<{ id: string | number }>;
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
    if (changed.length > 0) {
      await trx('jurisdictions').where({ jurisdiction_id: jurisdictionId }).update({ catalog_changed_at: trx.fn.now() });
    }
    return changed;
  });
}

export async function countServices(db: Db, jurisdictionId: string): Promise<number> {
  const row = (await db('services').where({ jurisdiction_id: jurisdictionId }).count({ count: '*' }).first()) as
    | { count: string | number }
    | undefined;
  return Number(row?.count ?? 0);
}
