// One Ajv instance, loaded once with every schema in spec/schemas/ — the same files we publish — so the
// documentation cannot drift from the checks. Failures become one Open311Error 400 naming each parameter.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.js';
import { Ajv2020 as Ajv } from 'ajv/dist/2020.js';
import type { ErrorObject, AnySchemaObject } from 'ajv';
import { badRequest } from '../errors.js';
import { parseDateTime } from '../domain/datetime.js';

export const SCHEMAS_DIRECTORY = path.join(PROJECT_ROOT, 'spec', 'schemas');

export type SchemaId =
  | 'common-query-input.json'
  | 'services-query-input.json'
  | 'catalog-service.json'
  | 'catalog-import.json'
  | 'catalog-agency.json'
  | 'catalog-area.json'
  | 'catalog-routing.json'
  | 'catalog-availability.json'
  | 'query-requests-input.json'
  | 'map-clusters-input.json'
  | 'create-request-input.json'
  | 'discovery.json'
  | 'services.json'
  | 'service-definition.json'
  | 'service-requests.json'
  | 'service-requests-extended.json'
  | 'service-requests-geojson.json'
  | 'created-requests.json'
  | 'tokens.json'
  | 'errors.json'
  | 'query-updates-input.json'
  | 'create-update-input.json'
  | 'service-request-updates.json'
  | 'created-updates.json'
  | 'stats-input.json'
  | 'stats-backlog-input.json'
  | 'stats-time-to-close-input.json'
  | 'stats-overdue-input.json'
  | 'stats-hotspots-input.json'
  | 'staff-request-patch.json'
  | 'staff-duplicate-input.json'
  | 'staff-queue-input.json'
  | 'staff-key-input.json'
  | 'staff-account-input.json'
  | 'staff-account-patch.json'
  | 'identity-settings-input.json'
  | 'response-template-input.json'
  | 'staff-webhook-input.json'
  | 'staff-deliveries-query.json'
  | 'import-mapping.json'
  | 'import-service-map.json'
  | 'operation-selector-input.json'
  | 'operation-empty-input.json';

let shared: Ajv | undefined;

/** The one Ajv instance, with every schema of spec/schemas compiled on first use. */
export function schemaRegistry(): Ajv {
  if (shared) return shared;
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
  ajv.addFormat('georeport-datetime', {
    type: 'string',
    validate: (text: string) => text.length <= 64 && parseDateTime(text, 'UTC') !== undefined,
  });
  for (const file of fs.readdirSync(SCHEMAS_DIRECTORY).sort()) {
    if (!file.endsWith('.json')) continue;
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIRECTORY, file), 'utf8')) as AnySchemaObject);
  }
  shared = ajv;
  return ajv;
}

function schemaAt(root: AnySchemaObject, schemaPath: string): AnySchemaObject | undefined {
  // schemaPath looks like "#/properties/lat/maximum": walk to the property's own schema.
  const segments = schemaPath.replace(/^#\/?/, '').split('/');
  let node: unknown = root;
  let lastProperty: AnySchemaObject | undefined;
  for (let index = 0; index < segments.length && node && typeof node === 'object'; index++) {
    const segment = decodeURIComponent(segments[index] ?? '')
      .replace(/~1/g, '/')
      .replace(/~0/g, '~');
    node = (node as Record<string, unknown>)[segment];
    if (segments[index - 1] === 'properties' && node && typeof node === 'object') lastProperty = node as AnySchemaObject;
  }
  return lastProperty;
}

function describe(error: ErrorObject, root: AnySchemaObject): string | undefined {
  if (error.schemaPath.includes('/anyOf/')) return undefined; // reported once by the anyOf error itself
  if (error.keyword === 'anyOf' && error.instancePath === '') return String(root['x-message'] ?? 'The request is incomplete.');
  if (error.keyword === 'required' && error.instancePath === '') {
    return `${String(error.params.missingProperty)} is required.`;
  }
  if (error.keyword === 'additionalProperties') {
    const where = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
    return `${String(error.params.additionalProperty)} is not a known field${where ? ` of ${where}` : ''}.`;
  }
  if (error.keyword === 'dependentRequired') {
    return `${String(error.params.property)} was sent without ${String(error.params.missingProperty)}: they go together.`;
  }
  const property = schemaAt(root, error.schemaPath);
  if (property && typeof property['x-message'] === 'string') return property['x-message'];
  const name = error.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'the request';
  return `${name} ${error.message ?? 'is not valid'}.`;
}

/** Checks `input` against a schema of spec/schemas; throws one 400 listing every problem. */
export function validate<T>(schemaId: SchemaId, input: unknown): T {
  const ajv = schemaRegistry();
  const check = ajv.getSchema(schemaId);
  if (!check) throw new Error(`Unknown schema ${schemaId}`);
  if (check(input)) return input as T;
  const root = check.schema as AnySchemaObject;
  const descriptions: string[] = [];
  for (const error of check.errors ?? []) {
    const description = describe(error, root);
    if (description && !descriptions.includes(description)) descriptions.push(description);
  }
  throw badRequest(...(descriptions.length > 0 ? descriptions : ['The request is not valid.']));
}
