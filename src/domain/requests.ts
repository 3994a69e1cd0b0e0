// Creating and querying service requests: the standard's rules, defaults and limits (digest §2.4–§2.7).
import { createHash, randomBytes } from 'node:crypto';
import { badRequest, notFound, unprocessable } from '../errors.js';
import type { Db } from '../store/db.js';
import { findRemembered, isUniqueViolation } from '../store/idempotency-store.js';
import * as requestsStore from '../store/requests-store.js';
import type { RequestWriter } from '../store/request-writer.js';
import { StaleIntake, type IntakeLookups } from './intake.js';
import { keyedByInput } from './keyed-by-input.js';
import { addCalendarDays, endOfDay, parseDateTime } from './datetime.js';
import { withUploads, type MediaSink } from './media.js';
import { pageWindow } from './paging.js';
import { isValidEmail, languageOf, normalizeEmail } from '../notifications/address.js';
import type { CreateRequestInput, QueryRequestsInput } from '../types/generated.js';
import type {
  Attribute,
  CreatedRequest,
  FormPairs,
  ExtendedServiceRequest,
  Jurisdiction,
  RequestQuery,
  ServiceRequest,
  TokenLookup,
} from './types.js';

export const MAX_RESULTS = 1000;
export const DEFAULT_WINDOW_DAYS = 90;
const DAY = 24 * 3600 * 1000;

/**
 * A create as the validation step hands it over (src/validate/inputs.ts createSubmission): the checked document,
 * or the schema's problems together with what can still be checked against the service, so that every
 * problem of the request goes out in one 400 (digest §1.10).
 */
export interface CreateSubmission {
  /** The form as sent, for the Idempotency-Key fingerprint. */
  pairs: FormPairs;
  /** The document, when it passed create-request-input.json. */
  input?: CreateRequestInput;
  problems: string[];
  /** service_code, when it can be looked up (text of at most 100 characters). */
  service_code?: string;
  /** The attribute[CODE] answers as sent. */
  attributes: Record<string, string[]>;
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
  // Codes are outside input (__proto__ and constructor are legal codes): a Map in, a null-prototype object out.
  const answers = keyedByInput<string[]>();
  const problems: string[] = [];
  const given = new Map(Object.entries(submitted));
  const known = new Map(definition.map((attribute) => [attribute.code, attribute]));
  for (const [code, values] of given) {
    if (!known.has(code)) {
      const kept = values.map((value) => value.trim()).filter((value) => value !== '');
      if (kept.length > 0) answers[code] = kept;
    }
  }
  for (const attribute of definition) {
    if (!attribute.variable) continue;
    const name = `attribute[${attribute.code}]`;
    // An empty value is "no answer" (FixMyStreet sends empty strings for unpicked optional lists).
    const values = (given.get(attribute.code) ?? []).map((value) => value.trim()).filter((value) => value !== '');
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

/** What creating a request uses, built once per server. */
export interface Intake {
  db: Db;
  lookups: IntakeLookups;
  writer: RequestWriter;
  mediaSink?: MediaSink;
  duplicateSearch?: { radius_meters: number; window_hours: number };
  /** Read the service from the database rather than from what is remembered (a retry after StaleIntake). */
  fresh?: boolean;
  /** How requests arrive through this intake (extended_attributes.channel): "api" unless said otherwise. */
  channel?: string;
}

/**
 * POST requests with an Idempotency-Key: a retry (same key, same API key, same body) gets the first
 * answer back and creates nothing; the same key with another body is refused (422).
 */
export async function createRequestIdempotently(
  intake: Intake,
  jurisdiction: Jurisdiction,
  submission: CreateSubmission,
  apiKeyId: string,
  idempotencyKey: string | undefined,
  uploads: Array<{ bytes: Buffer }> = [],
): Promise<CreatedRequest> {
  if (idempotencyKey === undefined) return createRequest(intake, jurisdiction, submission, apiKeyId, uploads);
  if (!/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).');
  }
  const hash = createHash('sha256').update(
    JSON.stringify(['requests', jurisdiction.jurisdiction_id, submission.pairs.filter(([key]) => key !== 'api_key')]),
  );
  for (const upload of uploads) hash.update(upload.bytes);
  const fingerprint = hash.digest('hex');
  const replay = async (): Promise<CreatedRequest | undefined> => {
    const stored = await findRemembered(intake.db, apiKeyId, idempotencyKey);
    if (!stored) return undefined;
    // A replay is not re-checked by the storing statement: a key remembered since its revocation stops here.
    if (!intake.fresh) await intake.lookups.confirmKey(apiKeyId);
    if (stored.fingerprint !== fingerprint) {
      throw unprocessable('This Idempotency-Key was already used for a different request; use a new key for a new request.');
    }
    return stored.response as CreatedRequest;
  };
  const earlier = await replay();
  if (earlier) return earlier;
  try {
    return await createRequest(intake, jurisdiction, submission, apiKeyId, uploads, {
      api_key_id: apiKeyId,
      key: idempotencyKey,
      fingerprint,
    });
  } catch (error) {
    // A concurrent retry committed first: answer what it answered.
    if (isUniqueViolation(error)) {
      const winner = await replay();
      if (winner) return winner;
    }
    throw error;
  }
}

export async function createRequest(
  intake: Intake,
  jurisdiction: Jurisdiction,
  submission: CreateSubmission,
  apiKeyId: string,
  uploads: Array<{ bytes: Buffer }> = [],
  idempotency?: { api_key_id: string; key: string; fingerprint: string },
): Promise<CreatedRequest> {
  // Report every problem of the request in one 400 (digest §1.10): schema problems and attribute problems.
  const problems = [...submission.problems];
  const serviceCode = submission.service_code;
  if (serviceCode === undefined) throw badRequest(...problems);
  const service = await intake.lookups.service(jurisdiction.jurisdiction_id, serviceCode, intake.fresh ?? false);
  if (!service) throw notFound(`service_code ${serviceCode} was not found.`);
  const { answers, problems: attributeProblems } = checkAttributes(
    service.attributes,
    submission.attributes,
    jurisdiction.time_zone,
  );
  problems.push(...attributeProblems);
  const input = submission.input;
  if (problems.length > 0 || input === undefined) throw badRequest(...problems);
  const { mediaSink, duplicateSearch } = intake;
  if (uploads.length > 0 && !mediaSink) throw new Error('createRequest got uploads without a media sink');

  // Uploaded files win over media_url (v2.1 draft). A create that finds its lookups stale stores nothing
  // (its files are removed again) and is revalidated by the caller.
  return withUploads(uploads, mediaSink!, async (urls) => {
    const created = await intake.writer.insert({
      jurisdiction_id: jurisdiction.jurisdiction_id,
      service,
      description: input.description ?? null,
      lat: input.lat ?? null,
      long: input.long ?? null,
      address: input.address_string ?? null,
      address_id: input.address_id ?? null,
      zipcode: input.zipcode ?? null,
      media_urls: urls.length > 0 ? urls : (input.media_url ?? []),
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
      channel: intake.channel ?? 'api',
      title: input.title ?? null,
      notify_email: input.email !== undefined && isValidEmail(input.email) ? normalizeEmail(input.email) : null,
      language: languageOf(input.locale),
      ...(duplicateSearch ? { duplicate_search: duplicateSearch } : {}),
      ...(idempotency ? { idempotency } : {}),
    });
    if (!created) throw new StaleIntake();
    return created;
  });
}

export interface RequestListOptions {
  /** EXT paging was asked for (page or page_size): the caller reports totals in headers. */
  paged: boolean;
  page: number;
  page_size: number;
  extensions: boolean;
}

/** bbox=minLong,minLat,maxLong,maxLat (longitude first; either corner order; `,` or `;`), range-checked. */
export function parseBbox(text: string): NonNullable<RequestQuery['bbox']> {
  const [a, b, c, d] = text.split(/[,;]/).map((part) => Number(part.trim())) as [number, number, number, number];
  const box = { min_long: Math.min(a, c), min_lat: Math.min(b, d), max_long: Math.max(a, c), max_lat: Math.max(b, d) };
  if (box.min_lat < -90 || box.max_lat > 90 || box.min_long < -180 || box.max_long > 180) {
    throw badRequest(
      'bbox must be minLong,minLat,maxLong,maxLat with longitudes within ±180 and latitudes within ±90 (longitude first).',
    );
  }
  return box;
}

/**
 * The standard's query: service_request_id overrides every other filter; otherwise the requested_datetime
 * window defaults to the last 90 days, a start or end alone spans 90 days, and an explicit window may not
 * exceed 90 days. At most 1000 requests, newest first. EXT: updated_after/updated_before replace the
 * default window; page/page_size slice the same ordered result; lat/long/radius and bbox filter in PostGIS.
 */
export function buildRequestQuery(
  jurisdiction: Jurisdiction,
  input: QueryRequestsInput,
  now: Date,
  mode: 'list' | 'bulk' = 'list',
): { query: RequestQuery; options: RequestListOptions } {
  // Bulk exports take the same filters, without the list's defaults and limits (no 90-day window or cap).
  const bulk = mode === 'bulk';
  const { page, page_size, limit, offset } = pageWindow(input, MAX_RESULTS);
  const options: RequestListOptions = {
    paged: input.page !== undefined || input.page_size !== undefined,
    page,
    page_size,
    extensions: input.extensions === true,
  };
  const base: RequestQuery = { jurisdiction_id: jurisdiction.jurisdiction_id, limit, offset };
  if (input.service_request_id) return { query: { ...base, service_request_ids: input.service_request_id }, options };

  const zone = jurisdiction.time_zone;
  const start = input.start_date === undefined ? undefined : parseDateTime(input.start_date, zone);
  const endParsed = input.end_date === undefined ? undefined : parseDateTime(input.end_date, zone);
  // A date-only end_date includes that whole day.
  const end = endParsed && (endParsed.dateOnly ? endOfDay(endParsed.date, zone) : endParsed.date);
  const changeWindow = input.updated_after !== undefined || input.updated_before !== undefined;
  const result: RequestQuery = { ...base };
  if (start && end) {
    if (start.date > end) throw badRequest('start_date must not be after end_date.');
    // 90 days counted either way, whichever is longer: 90 × 24 h, or 90 of the city's calendar days (a window
    // across a daylight-saving change, such as the last 90 days ending in winter, is an hour longer).
    const longest = Math.max(
      start.date.getTime() + DEFAULT_WINDOW_DAYS * DAY,
      addCalendarDays(start.date, DEFAULT_WINDOW_DAYS, zone).getTime(),
    );
    if (!bulk && end.getTime() > longest) {
      throw badRequest(
        `The span from start_date to end_date may not exceed ${DEFAULT_WINDOW_DAYS} days; ask for several smaller windows.`,
      );
    }
    result.requested_from = start.date;
    result.requested_to = end;
  } else if (start) {
    result.requested_from = start.date;
    if (!bulk) result.requested_to = new Date(start.date.getTime() + DEFAULT_WINDOW_DAYS * DAY);
  } else if (end) {
    if (!bulk) result.requested_from = new Date(end.getTime() - DEFAULT_WINDOW_DAYS * DAY);
    result.requested_to = end;
  } else if (!changeWindow && !bulk) {
    // Change windows exist to catch recent changes to old requests: no default window with them.
    result.requested_from = new Date(now.getTime() - DEFAULT_WINDOW_DAYS * DAY);
  }
  if (input.updated_after !== undefined) result.updated_after = parseDateTime(input.updated_after, zone)!.date;
  if (input.updated_before !== undefined) result.updated_before = parseDateTime(input.updated_before, zone)!.date;
  if (result.updated_after && result.updated_before && result.updated_after >= result.updated_before) {
    throw badRequest('updated_after must be before updated_before.');
  }
  if (input.service_code) result.service_codes = input.service_code;
  if (input.status) result.statuses = [...new Set(input.status)];
  if (input.lat !== undefined && input.long !== undefined && input.radius !== undefined) {
    result.near = { lat: input.lat, long: input.long, radius: input.radius };
  }
  if (input.bbox !== undefined) result.bbox = parseBbox(input.bbox);
  return { query: result, options };
}

export interface RequestList {
  requests: Array<ServiceRequest | ExtendedServiceRequest>;
  options: RequestListOptions;
  /** Total matches when paging was asked for. */
  total?: number;
}

async function withExtensions(db: Db, requests: ServiceRequest[]): Promise<ExtendedServiceRequest[]> {
  const extensions = await requestsStore.loadExtensions(
    db,
    requests.map((request) => request.service_request_id),
  );
  return requests.map((request) => {
    const extra = extensions.get(request.service_request_id);
    return {
      ...request,
      extended_attributes: extra?.extended_attributes ?? {
        channel: null,
        detailed_status: request.status === 'closed' ? 'closed' : 'submitted',
        title: null,
        media_urls: [],
        duplicate: false,
        parent_service_request_id: null,
      },
      notes: extra?.notes ?? [],
    };
  });
}

/** Windows are computed from `now` floored to this, so identical polls make identical queries (cacheable). */
const WINDOW_GRANULARITY_MS = 5000;

export interface PlannedList {
  query: RequestQuery;
  options: RequestListOptions;
  /** A stable text of the query: equal keys return equal answers for the same data. */
  key: string;
}

export function planRequestList(jurisdiction: Jurisdiction, parameters: QueryRequestsInput, now = new Date()): PlannedList {
  const floored = new Date(Math.floor(now.getTime() / WINDOW_GRANULARITY_MS) * WINDOW_GRANULARITY_MS);
  const { query, options } = buildRequestQuery(jurisdiction, parameters, floored);
  return { query, options, key: JSON.stringify([query, options]) };
}

/** Remembers a computed value under a key (e.g. the total of a paged query while a client pages through). */
export type Memo = <T>(key: string, compute: () => Promise<T>) => Promise<T>;

export async function runRequestList(db: Db, plan: PlannedList, memo?: Memo): Promise<RequestList> {
  const { query, options } = plan;
  // The total does not depend on the page: every page of one query shares one count.
  if (options.paged && (query.near || query.bbox)) {
    const { requests: rows, total } = await requestsStore.findRequestsWithTotal(db, query);
    return { requests: options.extensions ? await withExtensions(db, rows) : rows, options, total };
  }
  const countKey = `count|${JSON.stringify({ ...query, limit: 0, offset: 0 })}`;
  const count = (): Promise<number> => requestsStore.countRequests(db, query);
  const [rows, total] = await Promise.all([
    requestsStore.findRequests(db, query),
    options.paged ? (memo ? memo(countKey, count) : count()) : Promise.resolve(undefined),
  ]);
  const requests = options.extensions ? await withExtensions(db, rows) : rows;
  return total === undefined ? { requests, options } : { requests, options, total };
}

export async function findRequests(db: Db, jurisdiction: Jurisdiction, parameters: QueryRequestsInput): Promise<RequestList> {
  return runRequestList(db, planRequestList(jurisdiction, parameters));
}

/**
 * The newest `limit` requests the list would show for `parameters` (its rules, filters and window), with no
 * count: for pages that show a few (the site's map list, "already reported?"). A paged list counts every match
 * for its headers, which in a dense part of a large city costs far more than the few rows shown.
 */
export async function newestRequests(
  db: Db,
  jurisdiction: Jurisdiction,
  parameters: QueryRequestsInput,
  limit: number,
): Promise<ServiceRequest[]> {
  const { query } = planRequestList(jurisdiction, parameters);
  return requestsStore.findRequests(db, { ...query, limit: Math.min(limit, query.limit), offset: 0 });
}

/** The change marker of a jurisdiction's requests (see ResponseCache). */
export function requestsVersion(db: Db, jurisdiction: Jurisdiction): Promise<string> {
  return requestsStore.requestsVersion(db, jurisdiction.jurisdiction_id);
}

/** EXT bulk export: every matching request, newest first, in batches. */
export function exportRequests(db: Db, jurisdiction: Jurisdiction, parameters: QueryRequestsInput) {
  const { query } = buildRequestQuery(jurisdiction, parameters, new Date(), 'bulk');
  return requestsStore.exportRequests(db, query);
}

export async function getRequestWithExtensions(
  db: Db,
  jurisdiction: Jurisdiction,
  serviceRequestId: string,
  extensions: boolean,
): Promise<ServiceRequest | ExtendedServiceRequest> {
  const request = await getRequest(db, jurisdiction, serviceRequestId);
  return extensions ? (await withExtensions(db, [request]))[0]! : request;
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
