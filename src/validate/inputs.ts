// The validation step of every route: raw wire parameters (query objects, form pairs, JSON bodies) → coerced
// (coerce.ts) → checked against spec/schemas (one 400 naming every problem) → the typed input of one domain
// function. The domain never sees a raw parameter: its inputs are the types generated from the same schemas.
import { badRequest } from '../errors.js';
import type { CreateSubmission } from '../domain/requests.js';
import type { Checked, FormPairs } from '../domain/types.js';
import type { SchemaTypes } from '../types/generated.js';
import {
  coerceBoolean,
  coerceCommonQuery,
  coerceCreateRequest,
  coerceNumber,
  coerceRequestsQuery,
  listParameter,
  type QueryObject,
  scalarParameter,
} from './coerce.js';
import { schemaProblems } from './messages.js';

/** Checks `input` against an input schema; its type is the schema's (src/types/generated.ts). */
export function checkInput<Id extends keyof SchemaTypes>(schemaId: Id, input: unknown): SchemaTypes[Id] {
  const problems = schemaProblems(schemaId, input);
  if (problems.length > 0) throw badRequest(...problems);
  return input as SchemaTypes[Id];
}

export type { Checked } from '../domain/types.js';

export function checkedInput<Id extends keyof SchemaTypes>(
  schemaId: Id,
  input: unknown,
  extraProblems: string[] = [],
): Checked<SchemaTypes[Id]> {
  const problems = [...extraProblems, ...schemaProblems(schemaId, input)];
  return problems.length > 0 ? { problems } : { value: input as SchemaTypes[Id], problems: [] };
}

// ------------------------------------------------------------------------------------------------- GeoReport

/** jurisdiction_id of a query string (absent: the server's only jurisdiction, resolved by the caller). */
export const jurisdictionIdOf = (query: QueryObject): string | undefined =>
  checkInput('common-query-input.json', coerceCommonQuery(query)).jurisdiction_id;

/** GET requests (and the bulk export, the site's lists): the standard's filters and the EXT ones. */
export const requestsQuery = (query: QueryObject): SchemaTypes['query-requests-input.json'] =>
  checkInput('query-requests-input.json', coerceRequestsQuery(query));

/** The extensions flag of a single-request GET (extensions=true). */
export const extensionsOf = (query: QueryObject): boolean =>
  checkInput('query-requests-input.json', coerceRequestsQuery({ extensions: query.extensions })).extensions === true;

/**
 * EXT (FixMyStreet): `lat` and `long` ask for the services offered at that point. Both or neither; numbers in
 * range, else 400. Undefined when absent (the full list).
 */
export function servicePointOf(query: QueryObject): { lat: number; long: number } | undefined {
  const input: Record<string, unknown> = {};
  for (const name of ['lat', 'long'] as const) {
    const value = scalarParameter(query, name);
    if (value !== undefined) input[name] = coerceNumber(value);
  }
  const checked = checkInput('services-query-input.json', input);
  return checked.lat !== undefined && checked.long !== undefined ? { lat: checked.lat, long: checked.long } : undefined;
}

/**
 * The body of POST requests, checked: the document when valid, else its problems together with what can still
 * be checked against the service (its code and the attribute answers), so every problem goes out in one 400.
 */
export function createSubmission(pairs: FormPairs): CreateSubmission {
  const raw = coerceCreateRequest(pairs);
  const problems = schemaProblems('create-request-input.json', raw);
  const serviceCode = typeof raw.service_code === 'string' && raw.service_code.length <= 100 ? raw.service_code : undefined;
  // coerceCreateRequest gathers attribute[CODE] pairs into lists of text whatever else is wrong.
  const attributes = (raw.attributes as Record<string, string[]> | undefined) ?? {};
  return {
    pairs,
    ...(problems.length === 0 ? { input: raw as SchemaTypes['create-request-input.json'] } : {}),
    problems,
    ...(serviceCode === undefined ? {} : { service_code: serviceCode }),
    attributes,
  };
}

/** GET servicerequestupdates: start_date and end_date. */
export const updatesQuery = (query: QueryObject): SchemaTypes['query-updates-input.json'] =>
  checkInput('query-updates-input.json', {
    ...(scalarParameter(query, 'start_date') === undefined ? {} : { start_date: scalarParameter(query, 'start_date') }),
    ...(scalarParameter(query, 'end_date') === undefined ? {} : { end_date: scalarParameter(query, 'end_date') }),
  });

/** POST servicerequestupdates: a client's comment (FixMyStreet's fields, Bromley's update_id_ext). */
export function commentInput(pairs: FormPairs): SchemaTypes['create-update-input.json'] {
  const raw: Record<string, unknown> = {};
  const mediaUrls: string[] = [];
  for (const [key, value] of pairs) {
    const trimmed = value.trim();
    if (key === 'media_url') {
      if (trimmed !== '') mediaUrls.push(trimmed);
    } else if (key === 'description') {
      raw.description ??= trimmed; // may be empty (a photo alone)
    } else if (trimmed !== '' && ['service_request_id', 'update_id', 'status', 'updated_datetime'].includes(key)) {
      raw[key] ??= key === 'status' ? trimmed.toLowerCase().replace(/ /g, '_') : trimmed;
    } else if (key === 'update_id_ext' && trimmed !== '') {
      raw.update_id ??= trimmed; // Bromley's variant
    }
  }
  if (mediaUrls.length > 0) raw.media_url = mediaUrls;
  return checkInput('create-update-input.json', raw);
}

// ------------------------------------------------------------------------------------------------- staff API

const STATS_SCALARS = ['jurisdiction_id', 'group_by', 'interval', 'start_date', 'end_date'] as const;
const STATS_INTEGERS = ['cell', 'min_count', 'limit'] as const;

export type StatsSchemaId =
  | 'stats-input.json'
  | 'stats-backlog-input.json'
  | 'stats-time-to-close-input.json'
  | 'stats-overdue-input.json'
  | 'stats-hotspots-input.json';

/** The query of a trends report, as its stats-*-input schema describes it (empty = absent, lists split). */
export function statsInput<Id extends StatsSchemaId>(schemaId: Id, query: QueryObject): SchemaTypes[Id] {
  const out: Record<string, unknown> = {};
  for (const name of STATS_SCALARS) {
    const value = scalarParameter(query, name);
    if (value !== undefined) out[name] = name === 'group_by' || name === 'interval' ? value.toLowerCase() : value;
  }
  for (const name of STATS_INTEGERS) {
    const value = scalarParameter(query, name);
    if (value !== undefined) out[name] = coerceNumber(value);
  }
  const codes = listParameter(query, 'service_code');
  if (codes !== undefined) out.service_code = [...new Set(codes)];
  return checkInput(schemaId, out);
}

/** The staff queue's filters, sort and page. */
export function queueInput(query: QueryObject): SchemaTypes['staff-queue-input.json'] {
  const raw: Record<string, unknown> = {};
  for (const name of ['service_request_id', 'status', 'service_code', 'group', 'agency']) {
    const list = listParameter(query, name);
    if (list) raw[name] = name === 'status' ? list.map((item) => item.toLowerCase()) : list;
  }
  for (const name of ['q', 'start_date', 'end_date', 'bbox', 'sort', 'assigned_to']) {
    const value = scalarParameter(query, name);
    if (value !== undefined) raw[name] = value;
  }
  for (const name of ['lat', 'long', 'radius', 'page', 'page_size']) {
    const value = scalarParameter(query, name);
    if (value !== undefined) raw[name] = coerceNumber(value);
  }
  for (const name of ['overdue', 'suspected_duplicate']) {
    const value = scalarParameter(query, name);
    if (value !== undefined) raw[name] = coerceBoolean(value);
  }
  return checkInput('staff-queue-input.json', raw);
}

/** radius (metres) and hours of an on-demand duplicate search, else the configured defaults. */
export function duplicateSearchOf(
  query: QueryObject,
  defaults: { radius_meters: number; window_hours: number },
): { radius_meters: number; window_hours: number } {
  const radius = scalarParameter(query, 'radius');
  const hours = scalarParameter(query, 'hours');
  const radiusMeters = radius === undefined ? defaults.radius_meters : coerceNumber(radius);
  const windowHours = hours === undefined ? defaults.window_hours : coerceNumber(hours);
  if (typeof radiusMeters !== 'number' || radiusMeters <= 0 || radiusMeters > 5000)
    throw badRequest('radius must be a number of metres greater than 0 and at most 5000.');
  if (typeof windowHours !== 'number' || windowHours <= 0 || windowHours > 24 * 365)
    throw badRequest('hours must be a number of hours greater than 0 and at most 8760.');
  return { radius_meters: radiusMeters, window_hours: windowHours };
}

/** A webhook registration (staff-webhook-input.json), checked before anything else: it names the jurisdiction. */
export const webhookInputOf = (body: unknown): SchemaTypes['staff-webhook-input.json'] =>
  checkInput('staff-webhook-input.json', body);

/** Reads `retire_missing` from the query string: true/false (also 1/0, yes/no); absent = false. */
export function retireMissingOf(query: QueryObject): boolean {
  const raw = scalarParameter(query, 'retire_missing');
  if (raw === undefined) return false;
  const value = coerceBoolean(raw);
  if (typeof value !== 'boolean') throw badRequest('retire_missing must be true or false.');
  return value;
}
