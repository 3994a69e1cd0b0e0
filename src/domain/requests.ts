// Creating and querying service requests: the standard's rules, defaults and limits (digest §2.4–§2.7).
import { randomBytes } from 'node:crypto';
import { badRequest, notFound, Open311Error } from '../errors.js';
import type { Db } from '../store/db.js';
import { findServiceForIntake } from '../store/catalog-store.js';
import * as requestsStore from '../store/requests-store.js';
import { coerceCreateRequest, coerceRequestsQuery, type FormPairs, type QueryObject } from '../validate/coerce.js';
import { validate } from '../validate/validate.js';
import { endOfDay, parseDateTime } from './datetime.js';
import type { Attribute, CreatedRequest, Jurisdiction, RequestQuery, RequestStatus, ServiceRequest, TokenLookup } from './types.js';

export const MAX_RESULTS = 1000;
export const DEFAULT_WINDOW_DAYS = 90;
const DAY = 24 * 3600 * 1000;

interface CreateRequestInput {
  jurisdiction_id?: string;
  service_code: string;
  lat?: number;
  long?: number;
  address_string?: string;
  address_id?: string;
  zipcode?: string;
  email?: string;
  device_id?: string;
  account_id?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  description?: string;
  media_url?: string[];
  attributes?: Record<string, string[]>;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Checks the submitted answers against the service definition and returns what to store. Values of
 * informational (variable=false) attributes are dropped; unknown codes are kept as sent (FixMyStreet sends
 * codes of its own); `string` answers are one line (line breaks become spaces); datetimes are normalised.
 */
export function checkAttributes(
  definition: Attribute[],
  submitted: Record<string, string[]>,
  timeZone: string,
): { answers: Record<string, string[]>; problems: string[] } {
  const answers: Record<string, string[]> = {};
  const problems: string[] = [];
  const known = new Map(definition.map((attribute) => [attribute.code, attribute]));
  for (const [code, values] of Object.entries(submitted)) {
    if (!known.has(code)) {
      const kept = values.map((value) => value.trim()).filter((value) => value !== '');
      if (kept.length > 0) answers[code] = kept;
    }
  }
  for (const attribute of definition) {
    if (!attribute.variable) continue;
    const name = `attribute[${attribute.code}]`;
    // An empty value is "no answer" (FixMyStreet sends empty strings for unpicked optional lists).
    const values = (submitted[attribute.code] ?? []).map((value) => value.trim()).filter((value) => value !== '');
    if (values.length === 0) {
      if (attribute.required) problems.push(`${name} is required: ${attribute.description}`);
      continue;
    }
    if (attribute.datatype !== 'multivaluelist' && values.length > 1) {
      problems.push(`${name} takes a single value.`);
      continue;
    }
    const first = values[0]!;
    switch (attribute.datatype) {
      case 'singlevaluelist':
      case 'multivaluelist': {
        const keys = (attribute.values ?? []).map((value) => value.key);
        const unknown = values.filter((value) => !keys.includes(value));
        if (unknown.length > 0) problems.push(`${name} must be one of: ${keys.join(', ')} (got ${unknown.join(', ')}).`);
        else answers[attribute.code] = [...new Set(values)];
        break;
      }
      case 'number':
        if (!NUMBER.test(first) || !Number.isFinite(Number(first))) problems.push(`${name} must be a number.`);
        else answers[attribute.code] = [first];
        break;
      case 'datetime': {
        const parsed = parseDateTime(first, timeZone);
        if (!parsed) problems.push(`${name} must be a datetime such as 2024-05-06T14:03:22-04:00.`);
        else answers[attribute.code] = [parsed.date.toISOString()];
        break;
      }
      case 'string':
        answers[attribute.code] = [first.replace(/\r\n|\r|\n/g, ' ')];
        break;
      default:
        answers[attribute.code] = [first];
    }
  }
  return { answers, problems };
}

export async function createRequest(
  db: Db,
  jurisdiction: Jurisdiction,
  pairs: FormPairs,
  apiKeyId: string,
): Promise<CreatedRequest> {
  const raw = coerceCreateRequest(pairs);
  // Report every problem of the request in one 400 (digest §1.10): schema problems and attribute problems.
  let problems: string[] = [];
  try {
    validate<CreateRequestInput>('create-request-input.json', raw);
  } catch (error) {
    if (!(error instanceof Open311Error)) throw error;
    problems = error.errors.map((item) => item.description);
  }
  const serviceCode = typeof raw.service_code === 'string' && raw.service_code.length <= 100 ? raw.service_code : undefined;
  if (serviceCode === undefined) throw badRequest(...problems);
  const service = await findServiceForIntake(db, jurisdiction.jurisdiction_id, serviceCode);
  if (!service) throw notFound(`service_code ${serviceCode} was not found.`);
  const input = raw as unknown as CreateRequestInput;
  const { answers, problems: attributeProblems } = checkAttributes(service.attributes, input.attributes ?? {}, jurisdiction.time_zone);
  problems.push(...attributeProblems);
  if (problems.length > 0) throw badRequest(...problems);

  return requestsStore.insertRequest(db, {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    service,
    description: input.description ?? null,
    lat: input.lat ?? null,
    long: input.long ?? null,
    address: input.address_string ?? null,
    address_id: input.address_id ?? null,
    zipcode: input.zipcode ?? null,
    media_urls: input.media_url ?? [],
    attributes: answers,
    submitter: {
      email: input.email ?? null,
      phone: input.phone ?? null,
      first_name: input.first_name ?? null,
      last_name: input.last_name ?? null,
      device_id: input.device_id ?? null,
      account_id: input.account_id ?? null,
    },
    api_key_id: apiKeyId,
    token: service.type === 'batch' ? randomBytes(12).toString('hex') : null,
  });
}

interface QueryRequestsInput {
  jurisdiction_id?: string;
  service_request_id?: string[];
  service_code?: string[];
  status?: RequestStatus[];
  start_date?: string;
  end_date?: string;
}

/**
 * The standard's query: service_request_id overrides every other filter; otherwise the requested_datetime
 * window defaults to the last 90 days, a start or end alone spans 90 days, and an explicit window may not
 * exceed 90 days. At most 1000 requests, newest first.
 */
export function buildRequestQuery(jurisdiction: Jurisdiction, query: QueryObject, now: Date): RequestQuery {
  const input = validate<QueryRequestsInput>('query-requests-input.json', coerceRequestsQuery(query));
  const base = { jurisdiction_id: jurisdiction.jurisdiction_id, limit: MAX_RESULTS };
  if (input.service_request_id) return { ...base, service_request_ids: input.service_request_id };

  const zone = jurisdiction.time_zone;
  const start = input.start_date === undefined ? undefined : parseDateTime(input.start_date, zone);
  const endParsed = input.end_date === undefined ? undefined : parseDateTime(input.end_date, zone);
  // A date-only end_date includes that whole day.
  const end = endParsed && (endParsed.dateOnly ? endOfDay(endParsed.date, zone) : endParsed.date);
  let requestedFrom: Date;
  let requestedTo: Date | undefined;
  if (start && end) {
    if (start.date > end) throw badRequest('start_date must not be after end_date.');
    if (end.getTime() - start.date.getTime() > DEFAULT_WINDOW_DAYS * DAY) {
      throw badRequest(`The span from start_date to end_date may not exceed ${DEFAULT_WINDOW_DAYS} days; ask for several smaller windows.`);
    }
    requestedFrom = start.date;
    requestedTo = end;
  } else if (start) {
    requestedFrom = start.date;
    requestedTo = new Date(start.date.getTime() + DEFAULT_WINDOW_DAYS * DAY);
  } else if (end) {
    requestedFrom = new Date(end.getTime() - DEFAULT_WINDOW_DAYS * DAY);
    requestedTo = end;
  } else {
    requestedFrom = new Date(now.getTime() - DEFAULT_WINDOW_DAYS * DAY);
  }
  const result: RequestQuery = { ...base, requested_from: requestedFrom };
  if (requestedTo) result.requested_to = requestedTo;
  if (input.service_code) result.service_codes = input.service_code;
  if (input.status) result.statuses = [...new Set(input.status)];
  return result;
}

export async function findRequests(db: Db, jurisdiction: Jurisdiction, query: QueryObject): Promise<ServiceRequest[]> {
  return requestsStore.findRequests(db, buildRequestQuery(jurisdiction, query, new Date()));
}

export async function getRequest(db: Db, jurisdiction: Jurisdiction, serviceRequestId: string): Promise<ServiceRequest> {
  const request = await requestsStore.getRequest(db, jurisdiction.jurisdiction_id, serviceRequestId);
  if (!request) throw notFound(`No service request with id ${serviceRequestId}.`);
  return request;
}

export async function getRequestIdForToken(db: Db, jurisdiction: Jurisdiction, token: string): Promise<TokenLookup> {
  const found = token.length <= 200 ? await requestsStore.findToken(db, jurisdiction.jurisdiction_id, token) : undefined;
  if (!found) throw notFound(`token ${token} was not found.`);
  return found;
}
