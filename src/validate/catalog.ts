// The checks of catalog documents (staff API, importers): the schema of spec/schemas plus what JSON Schema
// cannot say (unique attribute codes, orders and value keys), every problem in one list. A body for a path
// that names the code (PUT services/{code}, agencies/{code}) gets that code when it leaves it out.
import type { ErrorObject } from 'ajv';
import { badRequest } from '../errors.js';
import type { CatalogService } from '../store/catalog-store.js';
import type { SchemaTypes } from '../types/generated.js';
import { type Checked, checkedInput } from './inputs.js';
import { schemaProblems } from './messages.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

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

/** A service definition (schema and uniqueness rules), else one 400 with every problem. */
export function checkServiceDefinition(input: unknown): CatalogService {
  const problems = [...schemaProblems('catalog-service.json', input), ...uniquenessProblems(input)];
  if (problems.length > 0) throw badRequest(...problems);
  return input as CatalogService;
}

/** The body of PUT services/{code}: the code from the path unless the body gives it (and then the same). */
export function checkServiceReplacement(code: string, body: unknown): Checked<CatalogService> {
  const withCode = isObject(body) && body.service_code === undefined ? { service_code: code, ...body } : body;
  const problems = [...schemaProblems('catalog-service.json', withCode), ...uniquenessProblems(withCode)];
  if (isObject(withCode) && typeof withCode.service_code === 'string' && withCode.service_code !== code) {
    problems.unshift(
      `service_code ${withCode.service_code} in the body differs from ${code} in the path: a service's code cannot change.`,
    );
  }
  return problems.length > 0 ? { problems } : { value: withCode as CatalogService, problems: [] };
}

/** The body of PUT agencies/{code}: the code from the path unless the body gives it (and then the same). */
export function checkAgencyUpdate(code: string, body: unknown): Checked<SchemaTypes['catalog-agency.json']> {
  const withCode = isObject(body) && body.code === undefined ? { code, ...body } : body;
  const mismatch =
    isObject(withCode) && typeof withCode.code === 'string' && withCode.code !== code
      ? [`code ${withCode.code} in the body differs from ${code} in the path: an agency's code cannot change.`]
      : [];
  return checkedInput('catalog-agency.json', withCode, mismatch);
}

/**
 * The problems of a catalog import, leaving out the listed services that `unchanged` marks (identical to the
 * stored ones: not re-validated, so that an export always imports back).
 */
export function catalogImportProblems(document: unknown, unchanged: readonly boolean[]): string[] {
  const itemOf = (error: ErrorObject): number | undefined => {
    const match = /^\/services\/(\d+)/.exec(error.instancePath);
    return match ? Number(match[1]) : undefined;
  };
  const problems = schemaProblems('catalog-import.json', document, (error) => {
    const index = itemOf(error);
    return index !== undefined && unchanged[index] === true;
  });
  const items: unknown[] = isObject(document) && Array.isArray(document.services) ? document.services : [];
  items.forEach((item, index) => {
    if (!unchanged[index])
      problems.push(
        ...uniquenessProblems(
          item,
          `services[${index}]${isObject(item) && typeof item.service_code === 'string' ? ` (${item.service_code})` : ''}: `,
        ),
      );
  });
  return problems;
}
