// Catalog and routing administration (staff API, admin keys): services with their attributes and values,
// whole-catalog import/export, agencies, service areas, routing rules and availability. Every change is
// validated against spec/schemas (every problem in one 400), bumps the discovery changeset when it changes
// what GeoReport publishes, and writes an audit row in the same transaction.
import type { AnySchemaObject, ErrorObject } from 'ajv';
import { badRequest, conflict, notFound } from '../errors.js';
import * as catalogStore from '../store/catalog-store.js';
import type { CatalogService } from '../store/catalog-store.js';
import type { Db } from '../store/db.js';
import * as routingStore from '../store/routing-store.js';
import type { Agency, RoutingRule, ServiceArea } from '../store/routing-store.js';
import { coerceBoolean, scalarParameter, type QueryObject } from '../validate/coerce.js';
import { schemaRegistry, type SchemaId } from '../validate/validate.js';
import type { Attribute, Datatype, Jurisdiction, ServiceType } from './types.js';

export interface Actor {
  /** The API key, or null when a person (staff account) acts. */
  key_id: string | null;
  staff_id?: string | null;
  name: string;
}

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

export interface CatalogDocument {
  jurisdiction_id: string;
  exported_at: Date;
  services: CatalogService[];
}

export interface AreaFeature {
  type: 'Feature';
  id: string;
  geometry: ServiceArea['geometry'];
  properties: { code: string; name: string; kind: string; created_at: Date };
}

// ---------------------------------------------------------------------------------------------------------
// Validation: the schema of spec/schemas, with each problem located ("attributes[2] (SIZE): …").

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The schema node at a JSON pointer, and every node on the way. */
function walk(root: AnySchemaObject, pointer: string): AnySchemaObject[] {
  const nodes: AnySchemaObject[] = [root];
  let node: unknown = root;
  for (const raw of pointer.split('/').filter((segment) => segment !== '')) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
    if (!isObject(node)) break;
    nodes.push(node as AnySchemaObject);
  }
  return nodes;
}

/** The deepest "x-message" on the error's schema path (in the validated schema or a file it refers to). */
function messageOnPath(error: ErrorObject, root: AnySchemaObject): string | undefined {
  let schema = root;
  let pointer = error.schemaPath;
  if (pointer.startsWith('#')) {
    pointer = pointer.slice(1);
  } else {
    const slash = pointer.indexOf('/');
    const file = slash < 0 ? pointer : pointer.slice(0, slash);
    const referenced = schemaRegistry().getSchema(file.replace(/#$/, ''))?.schema;
    if (!isObject(referenced)) return undefined;
    schema = referenced as AnySchemaObject;
    pointer = slash < 0 ? '' : pointer.slice(slash + 1);
  }
  const nodes = walk(schema, pointer);
  for (let index = nodes.length - 1; index >= 0; index--) {
    const message = nodes[index]!['x-message'];
    if (typeof message === 'string') return message;
  }
  return undefined;
}

/** "attributes[2] (SIZE), values[0] (SMALL)": the array items (objects) on the way to the problem. */
function locate(instancePath: string, input: unknown): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const labels: string[] = [];
  let node: unknown = input;
  let previous = '';
  for (const segment of segments) {
    node = Array.isArray(node) ? node[Number(segment)] : isObject(node) ? node[segment] : undefined;
    if (/^\d+$/.test(segment) && isObject(node)) {
      const name = [node.service_code, node.code, node.key].find((value) => typeof value === 'string' && value.length <= 100);
      labels.push(`${previous}[${segment}]${name === undefined ? '' : ` (${String(name)})`}`);
    }
    previous = segment;
  }
  return labels.join(', ');
}

function describe(error: ErrorObject, root: AnySchemaObject, input: unknown): string | undefined {
  if (error.keyword === 'if') return undefined; // the failing then/else branch reports it
  const where = locate(error.instancePath, input);
  const prefix = where ? `${where}: ` : '';
  const inBranch = /\/(then|else)(\/|$)/.test(error.schemaPath);
  if (error.keyword === 'required' && !inBranch) return `${prefix}${String(error.params.missingProperty)} is required.`;
  if (error.keyword === 'additionalProperties')
    return `${prefix}${String(error.params.additionalProperty)} is not a known field.`;
  if (error.keyword === 'dependentRequired') {
    return `${String(error.params.property)} was sent without ${String(error.params.missingProperty)}: they go together.`;
  }
  const message = messageOnPath(error, root) ?? topLevelMessage(error.instancePath, root);
  if (message) return `${prefix}${message}`;
  const name = error.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'the body';
  return `${name} ${error.message ?? 'is not valid'}.`;
}

/** The x-message of the top-level property holding the problem (for errors deep inside $defs). */
function topLevelMessage(instancePath: string, root: AnySchemaObject): string | undefined {
  const property = instancePath.split('/')[1];
  const schema = property && isObject(root.properties) ? (root.properties as Json)[property] : undefined;
  return isObject(schema) && typeof schema['x-message'] === 'string' ? schema['x-message'] : undefined;
}

/** Every problem of `input` against a schema of spec/schemas, each located; [] when valid. */
function schemaProblems(schemaId: SchemaId, input: unknown, ignore?: (error: ErrorObject) => boolean): string[] {
  const check = schemaRegistry().getSchema(schemaId);
  if (!check) throw new Error(`Unknown schema ${schemaId}`);
  if (check(input)) return [];
  const problems: string[] = [];
  for (const error of check.errors ?? []) {
    if (ignore?.(error)) continue;
    const description = describe(error, check.schema as AnySchemaObject, input);
    if (description && !problems.includes(description)) problems.push(description);
  }
  return problems;
}

function check<T>(schemaId: SchemaId, input: unknown): T {
  const problems = schemaProblems(schemaId, input);
  if (problems.length > 0) throw badRequest(...problems);
  return input as T;
}

const LIST_DATATYPES: readonly Datatype[] = ['singlevaluelist', 'multivaluelist'];

/** What JSON Schema cannot say: unique attribute codes and orders in a service, unique value keys in an attribute. */
function uniquenessProblems(service: unknown, prefix = ''): string[] {
  if (!isObject(service) || !Array.isArray(service.attributes)) return [];
  const problems: string[] = [];
  const attributes = service.attributes.filter(isObject);
  const repeated = <T>(values: T[]): T[] => [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
  for (const code of repeated(attributes.map((attribute) => attribute.code).filter((code) => typeof code === 'string'))) {
    problems.push(`${prefix}attribute code ${String(code)} is used more than once: codes must be unique within the service.`);
  }
  for (const order of repeated(attributes.map((attribute) => attribute.order).filter((order) => Number.isInteger(order)))) {
    const holders = attributes.filter((attribute) => attribute.order === order).map((attribute) => String(attribute.code));
    problems.push(
      `${prefix}order ${String(order)} is used by more than one attribute (${holders.join(', ')}): orders must be unique within the service.`,
    );
  }
  service.attributes.forEach((attribute, index) => {
    if (!isObject(attribute) || !Array.isArray(attribute.values)) return;
    const keys = attribute.values
      .filter(isObject)
      .map((value) => value.key)
      .filter((key) => typeof key === 'string');
    for (const key of repeated(keys)) {
      problems.push(
        `${prefix}attributes[${index}] (${String(attribute.code)}): value key ${String(key)} is used more than once: keys must be unique within the attribute.`,
      );
    }
  });
  return problems;
}

/** The stored shape of a valid definition, defaults filled in. */
function toCatalogService(input: Json): CatalogService {
  const attributes = ((input.attributes as Json[] | undefined) ?? []).map((attribute) => {
    const copy: Attribute = {
      variable: (attribute.variable as boolean | undefined) ?? true,
      code: attribute.code as string,
      datatype: attribute.datatype as Datatype,
      required: (attribute.required as boolean | undefined) ?? false,
      datatype_description: (attribute.datatype_description as string | null | undefined) ?? null,
      order: attribute.order as number,
      description: attribute.description as string,
    };
    if (LIST_DATATYPES.includes(copy.datatype))
      copy.values = (attribute.values as Array<{ key: string; name: string }>).map(({ key, name }) => ({ key, name }));
    return copy;
  });
  return {
    service_code: input.service_code as string,
    service_name: input.service_name as string,
    description: (input.description as string | null | undefined) ?? null,
    type: (input.type as ServiceType | undefined) ?? 'realtime',
    keywords: (input.keywords as string[] | undefined) ?? [],
    group: (input.group as string | null | undefined) ?? null,
    service_notice: (input.service_notice as string | null | undefined) ?? null,
    agency_responsible: (input.agency_responsible as string | null | undefined) ?? null,
    response_hours: (input.response_hours as number | null | undefined) ?? null,
    active: (input.active as boolean | undefined) ?? true,
    attributes: [...attributes].sort((a, b) => a.order - b.order),
  };
}

/** Checks a service definition (schema and uniqueness rules, every problem in one 400) and fills in defaults. */
export function checkServiceDefinition(input: unknown): CatalogService {
  const problems = [...schemaProblems('catalog-service.json', input), ...uniquenessProblems(input)];
  if (problems.length > 0) throw badRequest(...problems);
  return toCatalogService(input as Json);
}

// ---------------------------------------------------------------------------------------------------------
// Services

const DEFINITION_FIELDS = [
  'service_code',
  'service_name',
  'description',
  'type',
  'keywords',
  'group',
  'service_notice',
  'agency_responsible',
  'response_hours',
  'active',
  'attributes',
] as const;

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
    ...(catalogStore.normalise(service) as Required<CatalogService>),
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

export async function createService(db: Db, jurisdiction: Jurisdiction, body: unknown, actor: Actor): Promise<StaffService> {
  const service = checkServiceDefinition(body);
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
  body: unknown,
  actor: Actor,
): Promise<StaffService> {
  const id = jurisdiction.jurisdiction_id;
  const withCode = isObject(body) && body.service_code === undefined ? { service_code: code, ...body } : body;
  const problems = [...schemaProblems('catalog-service.json', withCode), ...uniquenessProblems(withCode)];
  if (isObject(withCode) && typeof withCode.service_code === 'string' && withCode.service_code !== code) {
    problems.unshift(
      `service_code ${withCode.service_code} in the body differs from ${code} in the path: a service's code cannot change.`,
    );
  }
  const current = await storedService(db, id, code);
  if (!current) throw notFound(`service_code ${code} was not found; create it with POST /api/v1/services.`);
  if (problems.length > 0) throw badRequest(...problems);
  const service = toCatalogService(withCode as Json);
  // Retiring is DELETE; a PUT without `active` keeps the service as active or retired as it is.
  if (isObject(withCode) && withCode.active === undefined) service.active = current.active ?? true;
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

// ---------------------------------------------------------------------------------------------------------
// Whole catalog

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

/** Reads `retire_missing` from the query string: true/false (also 1/0, yes/no); absent = false. */
export function retireMissingOf(query: QueryObject): boolean {
  const raw = scalarParameter(query, 'retire_missing');
  if (raw === undefined) return false;
  const value = coerceBoolean(raw);
  if (typeof value !== 'boolean') throw badRequest('retire_missing must be true or false.');
  return value;
}

export async function importCatalog(
  db: Db,
  jurisdiction: Jurisdiction,
  body: unknown,
  retireMissing: boolean,
  actor: Actor,
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
    if (!isObject(item) || typeof item.service_code !== 'string' || !Object.keys(item).every((key) => DEFINITION_KEYS.has(key)))
      return false;
    const current = stored.get(item.service_code);
    try {
      return current !== undefined && catalogStore.sameDefinition(current, item as unknown as CatalogService);
    } catch {
      return false;
    }
  });
  const itemOf = (error: ErrorObject): number | undefined => {
    const match = /^\/services\/(\d+)/.exec(error.instancePath);
    return match ? Number(match[1]) : undefined;
  };
  const problems = schemaProblems('catalog-import.json', document, (error) => {
    const index = itemOf(error);
    return index !== undefined && identical[index] === true;
  });
  items.forEach((item, index) => {
    if (!identical[index])
      problems.push(
        ...uniquenessProblems(
          item,
          `services[${index}]${isObject(item) && typeof item.service_code === 'string' ? ` (${item.service_code})` : ''}: `,
        ),
      );
  });
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

// ---------------------------------------------------------------------------------------------------------
// Agencies

export async function listAgencies(db: Db, jurisdiction: Jurisdiction): Promise<Agency[]> {
  return routingStore.listAgencies(db, jurisdiction.jurisdiction_id);
}

export async function createAgency(db: Db, jurisdiction: Jurisdiction, body: unknown, actor: Actor): Promise<Agency> {
  const input = check<{ code: string; name: string }>('catalog-agency.json', body);
  const name = input.name.trim();
  return db.transaction(async (trx) => {
    const agency = await routingStore.insertAgency(trx, jurisdiction.jurisdiction_id, { code: input.code, name });
    if (!agency) throw conflict(`Agency ${input.code} already exists; rename it with PUT /api/v1/agencies/${input.code}.`);
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'agency',
      entity_id: input.code,
      action: 'create',
      changes: { code: input.code, name },
    });
    return agency;
  });
}

export async function updateAgency(
  db: Db,
  jurisdiction: Jurisdiction,
  code: string,
  body: unknown,
  actor: Actor,
): Promise<Agency> {
  const withCode = isObject(body) && body.code === undefined ? { code, ...body } : body;
  const problems = schemaProblems('catalog-agency.json', withCode);
  if (isObject(withCode) && typeof withCode.code === 'string' && withCode.code !== code) {
    problems.unshift(`code ${withCode.code} in the body differs from ${code} in the path: an agency's code cannot change.`);
  }
  const current = await routingStore.findAgency(db, jurisdiction.jurisdiction_id, code);
  if (!current) throw notFound(`Agency ${code} was not found.`);
  if (problems.length > 0) throw badRequest(...problems);
  const name = ((withCode as Json).name as string).trim();
  return db.transaction(async (trx) => {
    const agency = (await routingStore.renameAgency(trx, jurisdiction.jurisdiction_id, code, name))!;
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'agency',
      entity_id: code,
      action: 'update',
      changes: current.name === name ? {} : { name: { from: current.name, to: name } },
    });
    return agency;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Service areas

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

export async function createArea(db: Db, jurisdiction: Jurisdiction, body: unknown, actor: Actor): Promise<AreaFeature> {
  const input = check<{ code: string; name: string; kind?: string; geometry: { type: string; coordinates: unknown } }>(
    'catalog-area.json',
    body,
  );
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

// ---------------------------------------------------------------------------------------------------------
// Routing rules and availability

export async function replaceRouting(
  db: Db,
  jurisdiction: Jurisdiction,
  code: string,
  body: unknown,
  actor: Actor,
): Promise<StaffService> {
  const id = jurisdiction.jurisdiction_id;
  const serviceId = await routingStore.serviceIdOf(db, id, code);
  if (!serviceId) throw notFound(`service_code ${code} was not found.`);
  const input = check<{ rules: Array<{ agency: string; area?: string | null }> }>('catalog-routing.json', body);
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
  body: unknown,
  actor: Actor,
): Promise<StaffService> {
  const id = jurisdiction.jurisdiction_id;
  const serviceId = await routingStore.serviceIdOf(db, id, code);
  if (!serviceId) throw notFound(`service_code ${code} was not found.`);
  const input = check<{ areas: string[] }>('catalog-availability.json', body);
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
