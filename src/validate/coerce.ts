// Turns raw wire parameters into the documents spec/schemas describe, before ajv checks them.
// Rules from the digest §1.6: empty = absent; list parameters are comma-separated or repeated;
// attribute[CODE] / attribute[CODE][] are read from the raw key/value pairs (never through qs nesting,
// which turns numeric codes into array indexes).

import { keyedByInput } from '../domain/keyed-by-input.js';

/** Raw form parameters in arrival order, keys and values already percent-decoded. */
export type FormPairs = Array<[string, string]>;

export type QueryObject = Record<string, unknown>;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Numbers stay text when they are not numbers, so the schema reports them with the parameter's name. */
export function coerceNumber(text: string): number | string {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : trimmed;
}

/** true/false (also 1/0, yes/no, and 6Aika's "all"); anything else stays text for the schema to refuse. */
export function coerceBoolean(text: string): boolean | string {
  const lower = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'all'].includes(lower)) return true;
  if (['false', '0', 'no'].includes(lower)) return false;
  return text;
}

function valuesOf(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) return raw.flatMap(valuesOf);
  if (typeof raw === 'object') return [];
  return [String(raw)];
}

/** The first non-empty value of a parameter (trimmed), or undefined: empty means absent. */
export function scalarParameter(query: QueryObject, name: string): string | undefined {
  for (const value of valuesOf(query[name])) {
    const trimmed = value.trim();
    if (trimmed !== '') return trimmed;
  }
  return undefined;
}

/** A comma-separated and/or repeated list, trimmed, blank items dropped; undefined when empty. */
export function listParameter(query: QueryObject, name: string): string[] | undefined {
  const items = valuesOf(query[name])
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.length > 0 ? items : undefined;
}

export function coerceCommonQuery(query: QueryObject): Record<string, unknown> {
  const out = keyedByInput<unknown>();
  const jurisdictionId = scalarParameter(query, 'jurisdiction_id');
  if (jurisdictionId !== undefined) out.jurisdiction_id = jurisdictionId;
  return out;
}

export function coerceRequestsQuery(query: QueryObject): Record<string, unknown> {
  const out = coerceCommonQuery(query);
  for (const name of ['service_request_id', 'service_code', 'status']) {
    const list = listParameter(query, name);
    if (list !== undefined) out[name] = name === 'status' ? list.map((item) => item.toLowerCase()) : list;
  }
  for (const name of ['start_date', 'end_date', 'updated_after', 'updated_before', 'bbox']) {
    const value = scalarParameter(query, name);
    if (value !== undefined) out[name] = value;
  }
  for (const name of ['page', 'page_size', 'lat', 'long', 'radius']) {
    const value = scalarParameter(query, name);
    if (value !== undefined) out[name] = coerceNumber(value);
  }
  const extensions = scalarParameter(query, 'extensions');
  if (extensions !== undefined) out.extensions = coerceBoolean(extensions);
  return out;
}

/** The view of the query string (zoom, bbox) as map-clusters-input.json describes it. */
export function coerceMapView(query: QueryObject): Record<string, unknown> {
  const view = keyedByInput<unknown>();
  const zoom = scalarParameter(query, 'zoom');
  if (zoom !== undefined) view.zoom = coerceNumber(zoom);
  const bbox = scalarParameter(query, 'bbox');
  if (bbox !== undefined) view.bbox = bbox;
  return view;
}

const SCALAR_FIELDS = [
  'jurisdiction_id',
  'service_code',
  'address_string',
  'address_id',
  'zipcode',
  'email',
  'device_id',
  'account_id',
  'first_name',
  'last_name',
  'phone',
  'title',
  'locale',
] as const;

const ATTRIBUTE_KEY = /^attribute\[([^\]]+)\](\[\])?$/;

/** The body of POST requests as the create-request-input schema describes it. */
export function coerceCreateRequest(pairs: FormPairs): Record<string, unknown> {
  const out = keyedByInput<unknown>();
  const attributes = new Map<string, string[]>();
  const mediaUrls: string[] = [];
  for (const [key, value] of pairs) {
    const attribute = ATTRIBUTE_KEY.exec(key);
    if (attribute) {
      const code = attribute[1]!;
      const values = attributes.get(code);
      if (values) values.push(value);
      else attributes.set(code, [value]);
      continue;
    }
    const trimmed = value.trim();
    if (trimmed === '') continue; // empty = absent
    if (key === 'media_url') mediaUrls.push(trimmed);
    else if (key === 'lat' || key === 'long') out[key] ??= coerceNumber(trimmed);
    // The description keeps its line breaks and inner spacing; only surrounding blanks go.
    else if (key === 'description') out.description ??= trimmed;
    else if ((SCALAR_FIELDS as readonly string[]).includes(key)) out[key] ??= trimmed;
  }
  if (mediaUrls.length > 0) out.media_url = mediaUrls;
  if (attributes.size > 0) {
    const answers = keyedByInput<string[]>();
    for (const [code, values] of attributes) answers[code] = values;
    out.attributes = answers;
  }
  return out;
}

/** A JSON body as form pairs, so JSON clients get exactly the rules of the form encodings. */
export function jsonToPairs(body: unknown): FormPairs {
  const pairs: FormPairs = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return pairs;
  // One level of arrays (a repeated parameter); deeper nesting has no form equivalent and is ignored
  // (never recursed into, so a hostile body cannot exhaust the stack).
  const scalar = (key: string, value: unknown): void => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') pairs.push([key, String(value)]);
  };
  const push = (key: string, value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) scalar(key, item);
    else scalar(key, value);
  };
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if ((key === 'attribute' || key === 'attributes') && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [code, answer] of Object.entries(value as Record<string, unknown>)) push(`attribute[${code}]`, answer);
    } else {
      push(key, value);
    }
  }
  return pairs;
}
