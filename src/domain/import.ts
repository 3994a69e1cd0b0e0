// Bringing a city's history from another system: what an imported request is, and how a record of another
// GeoReport v2 server or a row of a CSV export becomes one. Pure functions; the walkers in src/import/ fetch
// and read, the store (import-store.ts) writes.
import { parseDateTime } from './datetime.js';
import type { RequestStatus } from './types.js';
import { type DetailedStatus, STANDARD_STATUS } from './workflow.js';

/** One entry of an imported request's public history. `key` makes a re-import add it once. */
export interface ImportedNote {
  key: string;
  datetime: Date;
  type: 'opened' | 'activity' | 'comment' | 'closed';
  status: RequestStatus;
  detailed_status: DetailedStatus;
  summary: string | null;
  description: string | null;
}

export interface ImportedRequest {
  /** The id the request has in the system it comes from. */
  external_id: string;
  service_code: string;
  /** The service's name in the source, used when the service must be created. */
  service_name: string | null;
  status: RequestStatus;
  detailed_status: DetailedStatus;
  status_notes: string | null;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: Date;
  updated_datetime: Date;
  expected_datetime: Date | null;
  closed_datetime: Date | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  media_urls: string[];
  title: string | null;
  /** How the request first reached the source system (its channel), when it says. */
  source_channel: string | null;
  notes: ImportedNote[];
}

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** A record that cannot be imported: where it is (a CSV line, or a source id) and why. */
export interface RowProblem {
  where: string;
  reason: string;
}

export type Mapped = { request: ImportedRequest } | { problem: string };

const DETAILED_STATUSES = new Set<string>(Object.keys(STANDARD_STATUS));
const MAX_TEXT = 100_000;

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const string = (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '').trim();
  if (string === '') return null;
  return string.length > MAX_TEXT ? string.slice(0, MAX_TEXT) : string;
}

function coordinate(value: unknown, limit: number): number | null | 'bad' {
  const raw = text(value);
  if (raw === null) return null;
  const number = Number(raw);
  return Number.isFinite(number) && Math.abs(number) <= limit ? number : 'bad';
}

interface Fields {
  external_id: unknown;
  service_code: unknown;
  service_name: unknown;
  status: RequestStatus | undefined;
  detailed_status?: unknown;
  status_notes: unknown;
  description: unknown;
  agency_responsible: unknown;
  service_notice: unknown;
  requested: Date | null | 'bad';
  updated: Date | null | 'bad';
  expected: Date | null | 'bad';
  closed: Date | null | 'bad';
  address: unknown;
  address_id: unknown;
  zipcode: unknown;
  lat: unknown;
  long: unknown;
  media_urls: string[];
  title?: unknown;
  channel?: unknown;
  notes?: ImportedNote[];
}

/** Checks and completes the fields every source yields; the one place the rules of an imported request live. */
function complete(fields: Fields): Mapped {
  const externalId = text(fields.external_id);
  if (externalId === null) return { problem: 'it has no service_request_id' };
  if (externalId.length > 200) return { problem: 'its service_request_id is longer than 200 characters' };
  const serviceCode = text(fields.service_code);
  if (serviceCode === null) return { problem: 'it has no service_code' };
  if (!fields.status) return { problem: 'its status is neither open nor closed' };
  for (const [name, value] of [
    ['requested_datetime', fields.requested],
    ['updated_datetime', fields.updated],
    ['expected_datetime', fields.expected],
    ['closed date', fields.closed],
  ] as const) {
    if (value === 'bad') return { problem: `its ${name} is not a date` };
  }
  const requested = fields.requested as Date | null;
  if (requested === null) return { problem: 'it has no requested_datetime' };
  const lat = coordinate(fields.lat, 90);
  const long = coordinate(fields.long, 180);
  if (lat === 'bad') return { problem: 'its lat is not a latitude' };
  if (long === 'bad') return { problem: 'its long is not a longitude' };
  if ((lat === null) !== (long === null)) return { problem: 'it has only one of lat and long' };
  const status = fields.status;
  const detailedText = text(fields.detailed_status);
  const detailed = (
    detailedText && DETAILED_STATUSES.has(detailedText) && STANDARD_STATUS[detailedText as DetailedStatus] === status
      ? detailedText
      : status === 'closed'
        ? 'closed'
        : 'submitted'
  ) as DetailedStatus;
  const updatedAt = (fields.updated as Date | null) ?? requested;
  const updated = updatedAt.getTime() < requested.getTime() ? requested : updatedAt;
  const closed = status === 'closed' ? ((fields.closed as Date | null) ?? updated) : null;
  const statusNotes = text(fields.status_notes);
  const notes =
    fields.notes && fields.notes.length > 0 ? fields.notes : defaultHistory(requested, status, detailed, closed, statusNotes);
  return {
    request: {
      external_id: externalId,
      service_code: serviceCodeOf(serviceCode),
      service_name: text(fields.service_name),
      status,
      detailed_status: detailed,
      status_notes: statusNotes,
      description: text(fields.description),
      agency_responsible: text(fields.agency_responsible),
      service_notice: text(fields.service_notice),
      requested_datetime: requested,
      updated_datetime: updated,
      expected_datetime: fields.expected as Date | null,
      closed_datetime: closed,
      address: text(fields.address),
      address_id: text(fields.address_id),
      zipcode: text(fields.zipcode),
      lat,
      long,
      media_urls: fields.media_urls.slice(0, 20),
      title: text(fields.title),
      source_channel: text(fields.channel),
      notes,
    },
  };
}

const SERVICE_CODE = /^[A-Za-z0-9._-]{1,100}$/;

/** A source's service code as one of ours: kept when it is valid, else made of its letters and digits. */
export function serviceCodeOf(code: string): string {
  if (SERVICE_CODE.test(code)) return code;
  const slug = code
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 100);
  return slug === '' ? 'IMPORTED' : slug.toUpperCase();
}

/** The history a request without one in its source gets: opened, and closed with its notes when closed. */
function defaultHistory(
  requested: Date,
  status: RequestStatus,
  detailed: DetailedStatus,
  closed: Date | null,
  statusNotes: string | null,
): ImportedNote[] {
  const notes: ImportedNote[] = [
    {
      key: 'opened',
      datetime: requested,
      type: 'opened',
      status: 'open',
      detailed_status: 'submitted',
      summary: 'Request received',
      description: null,
    },
  ];
  if (status === 'closed' && closed) {
    notes.push({
      key: `closed:${closed.toISOString()}`,
      datetime: closed,
      type: 'closed',
      status: 'closed',
      detailed_status: detailed,
      summary: 'Closed',
      description: statusNotes,
    });
  }
  return notes;
}

function date(value: unknown, timeZone: string): Date | null | 'bad' {
  const raw = text(value);
  if (raw === null) return null;
  return parseDateTime(raw, timeZone)?.date ?? 'bad';
}

function standardStatus(value: unknown): RequestStatus | undefined {
  const raw = text(value)?.toLowerCase();
  return raw === 'open' || raw === 'closed' ? raw : undefined;
}

const NOTE_TYPES = new Set(['opened', 'activity', 'comment', 'closed']);

/**
 * A request as another GeoReport v2 server answers it (JSON, or XML read into the same shape), with the
 * extensions=true members when the source has them. Zone-less dates are read in `timeZone`.
 */
export function fromGeoReportRequest(record: Record<string, unknown>, timeZone: string): Mapped {
  const extended = (record.extended_attributes ?? {}) as Record<string, unknown>;
  const status = standardStatus(record.status);
  const mediaUrls = listOf(extended.media_urls)
    .map(text)
    .filter((url): url is string => url !== null && /^https?:\/\//i.test(url));
  const mediaUrl = text(record.media_url);
  if (mediaUrls.length === 0 && mediaUrl && /^https?:\/\//i.test(mediaUrl)) mediaUrls.push(mediaUrl);
  const notes: ImportedNote[] = [];
  let current: { status: RequestStatus; detailed: DetailedStatus } = { status: 'open', detailed: 'submitted' };
  for (const [index, entry] of listOf(record.notes).entries()) {
    const note = (entry ?? {}) as Record<string, unknown>;
    const when = date(note.datetime, timeZone);
    if (!(when instanceof Date)) continue;
    const rawType = text(note.type) ?? 'activity';
    const type = (NOTE_TYPES.has(rawType) ? rawType : 'activity') as ImportedNote['type'];
    if (type === 'closed') current = { status: 'closed', detailed: 'closed' };
    else if (type === 'opened') current = { status: 'open', detailed: 'submitted' };
    notes.push({
      key: `note:${index}:${when.toISOString()}:${type}`,
      datetime: when,
      type,
      status: current.status,
      detailed_status: current.detailed,
      summary: text(note.summary),
      description: text(note.description),
    });
  }
  return complete({
    external_id: record.service_request_id,
    service_code: record.service_code,
    service_name: record.service_name,
    status,
    detailed_status: extended.detailed_status,
    status_notes: record.status_notes,
    description: record.description,
    agency_responsible: record.agency_responsible,
    service_notice: record.service_notice,
    requested: date(record.requested_datetime, timeZone),
    updated: date(record.updated_datetime, timeZone),
    expected: date(record.expected_datetime, timeZone),
    closed: null,
    address: record.address,
    address_id: record.address_id,
    zipcode: record.zipcode,
    lat: record.lat,
    long: record.long,
    media_urls: mediaUrls,
    title: extended.title,
    channel: extended.channel,
    notes,
  });
}

function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null || value === '' ? [] : [value];
}

// ---- CSV exports ----------------------------------------------------------------------------------------

/** How one field of an imported request is read from a CSV row. */
export interface ColumnRule {
  /** The header of the column. */
  column: string;
  /** For dates: a pattern such as "MM/DD/YYYY hh:mm:ss A" (tokens YYYY MM M DD D HH H hh h mm ss A Z); else ISO 8601. */
  format?: string;
  /** Words of the source mapped to ours (e.g. status "In Progress" → "open"); compared without case. */
  values?: Record<string, string>;
}

export const MAPPABLE_FIELDS = [
  'service_request_id',
  'service_code',
  'service_name',
  'status',
  'detailed_status',
  'status_notes',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'closed_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
  'channel',
] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];

export interface CsvMapping {
  columns: Partial<Record<MappableField, ColumnRule>>;
  /** Zone of dates that carry no offset (default: the jurisdiction's). */
  time_zone?: string;
}

/** The GeoReport bulk CSV layout (the one /open311/bulk/requests.csv writes). */
export const BULK_CSV_MAPPING: CsvMapping = {
  columns: {
    service_request_id: { column: 'service_request_id' },
    requested_datetime: { column: 'requested_datetime' },
    updated_datetime: { column: 'updated_datetime' },
    closed_datetime: { column: 'closed_date' },
    status: { column: 'status_description', values: { open: 'open', processing: 'open', hold: 'open', closed: 'closed' } },
    detailed_status: {
      column: 'status_description',
      values: { open: 'submitted', processing: 'in_progress', hold: 'on_hold', closed: 'closed' },
    },
    status_notes: { column: 'status_notes' },
    channel: { column: 'source' },
    service_name: { column: 'service_name' },
    service_code: { column: 'service_code' },
    description: { column: 'description' },
    agency_responsible: { column: 'agency_responsible' },
    address: { column: 'address' },
    lat: { column: 'lat' },
    long: { column: 'long' },
  },
};

const TOKENS: Record<string, string> = {
  YYYY: '(\\d{4})',
  MM: '(\\d{2})',
  M: '(\\d{1,2})',
  DD: '(\\d{2})',
  D: '(\\d{1,2})',
  HH: '(\\d{2})',
  H: '(\\d{1,2})',
  hh: '(\\d{2})',
  h: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  A: '([AaPp][Mm])',
  Z: '(Z|[+-]\\d{2}:?\\d{2})',
};
const TOKEN_PATTERN = /YYYY|MM|M|DD|D|HH|H|hh|h|mm|ss|A|Z/g;

/** Compiles a date pattern once into a parser; unknown letters match themselves. */
export function datePattern(format: string): (value: string, timeZone: string) => Date | undefined {
  const order: string[] = [];
  let source = '';
  let last = 0;
  for (const match of format.matchAll(TOKEN_PATTERN)) {
    source += format.slice(last, match.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    source += TOKENS[match[0]];
    order.push(match[0]);
    last = (match.index ?? 0) + match[0].length;
  }
  source += format.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const expression = new RegExp(`^\\s*${source}\\s*$`);
  return (value, timeZone) => {
    const found = expression.exec(value);
    if (!found) return undefined;
    const part = new Map<string, string>();
    order.forEach((token, index) => {
      part.set(token, found[index + 1] ?? '');
    });
    const year = part.get('YYYY');
    const month = part.get('MM') ?? part.get('M');
    const day = part.get('DD') ?? part.get('D');
    if (!year || !month || !day) return undefined;
    let hour = Number(part.get('HH') ?? part.get('H') ?? part.get('hh') ?? part.get('h') ?? 0);
    const meridiem = part.get('A')?.toLowerCase();
    if (meridiem) {
      if (hour < 1 || hour > 12) return undefined;
      hour = (hour % 12) + (meridiem === 'pm' ? 12 : 0);
    }
    const pad = (number: number | string): string => String(number).padStart(2, '0');
    const zone = part.get('Z') ?? '';
    const iso = `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(part.get('mm') ?? 0)}:${pad(part.get('ss') ?? 0)}${zone}`;
    return parseDateTime(iso, timeZone)?.date;
  };
}

/**
 * Turns a mapping into a row reader: header names are found once, date patterns compiled once. Returns a
 * function from a CSV row (by column position) to a mapped request, or the columns the file lacks.
 */
export function csvRowReader(
  mapping: CsvMapping,
  header: string[],
  defaultTimeZone: string,
): { read: (row: string[]) => Mapped } | { missing: string[] } {
  const timeZone = mapping.time_zone ?? defaultTimeZone;
  const position = new Map<string, number>();
  header.forEach((name, index) => {
    if (!position.has(name.trim())) position.set(name.trim(), index);
  });
  const missing: string[] = [];
  const readers = new Map<MappableField, (row: string[]) => string | null>();
  for (const field of MAPPABLE_FIELDS) {
    const rule = mapping.columns[field];
    if (!rule) continue;
    const index = position.get(rule.column);
    if (index === undefined) {
      missing.push(rule.column);
      continue;
    }
    const values = rule.values
      ? new Map(Object.entries(rule.values).map(([from, to]) => [from.trim().toLowerCase(), to]))
      : undefined;
    readers.set(field, (row) => {
      const raw = text(row[index]);
      if (raw === null || !values) return raw;
      return values.get(raw.toLowerCase()) ?? raw;
    });
  }
  if (missing.length > 0) return { missing: [...new Set(missing)] };
  const dateReaders = new Map<MappableField, (row: string[]) => Date | null | 'bad'>();
  for (const field of ['requested_datetime', 'updated_datetime', 'expected_datetime', 'closed_datetime'] as const) {
    const read = readers.get(field);
    if (!read) continue;
    const format = mapping.columns[field]?.format;
    const parse = format ? datePattern(format) : (value: string, zone: string) => parseDateTime(value, zone)?.date;
    dateReaders.set(field, (row) => {
      const raw = read(row);
      if (raw === null) return null;
      return parse(raw, timeZone) ?? 'bad';
    });
  }
  const get = (field: MappableField, row: string[]): string | null => readers.get(field)?.(row) ?? null;
  const getDate = (field: MappableField, row: string[]): Date | null | 'bad' => dateReaders.get(field)?.(row) ?? null;
  return {
    read: (row) => {
      const mediaUrl = get('media_url', row);
      return complete({
        external_id: get('service_request_id', row),
        service_code: get('service_code', row) ?? get('service_name', row),
        service_name: get('service_name', row),
        status: standardStatus(get('status', row)),
        detailed_status: get('detailed_status', row),
        status_notes: get('status_notes', row),
        description: get('description', row),
        agency_responsible: get('agency_responsible', row),
        service_notice: get('service_notice', row),
        requested: getDate('requested_datetime', row),
        updated: getDate('updated_datetime', row),
        expected: getDate('expected_datetime', row),
        closed: getDate('closed_datetime', row),
        address: get('address', row),
        address_id: get('address_id', row),
        zipcode: get('zipcode', row),
        lat: get('lat', row),
        long: get('long', row),
        media_urls: mediaUrl && /^https?:\/\//i.test(mediaUrl) ? [mediaUrl] : [],
        channel: get('channel', row),
      });
    },
  };
}
