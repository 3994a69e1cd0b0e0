// One Ajv instance, loaded once with every schema in spec/schemas/ — the same files we publish — so the
// documentation cannot drift from the checks.
import fs from 'node:fs';
import path from 'node:path';
import type { AnySchemaObject } from 'ajv';
import { Ajv2020 as Ajv } from 'ajv/dist/2020.js';
import { parseDateTime } from '../domain/datetime.js';
import { PROJECT_ROOT } from '../project-root.js';

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
  | 'overdue-digest-input.json'
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
