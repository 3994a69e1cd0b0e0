// Domain value → JSON or XML. Document names, element order and the empty/boolean/number rules of the
// GeoReport v2 wire formats live in the one table below (digest §1.2–§1.4). JSON is the mechanical
// mapping of the XML: root dropped, wrappers become arrays, empty elements become null.
import { formatDateTime } from '../domain/datetime.js';

export type Format = 'json' | 'xml' | 'geojson';

type ScalarKind = 'text' | 'boolean' | 'number' | 'integer' | 'datetime';

interface ScalarField {
  name: string;
  kind: ScalarKind;
  /** Omit the field entirely when the value is undefined (instead of writing null / an empty element). */
  optional?: boolean;
}
interface ListField {
  name: string;
  kind: 'list';
  /** The element name of one item inside the wrapper (<formats><format>…). */
  item: string;
  /** Fields of each item, or a scalar kind for lists of plain values. */
  of: Shape | ScalarKind;
  optional?: boolean;
}
interface ObjectField {
  name: string;
  kind: 'object';
  of: Shape;
  optional?: boolean;
}
type Field = ScalarField | ListField | ObjectField;
type Shape = readonly Field[];

interface DocumentSpec {
  root: string;
  /** Set for documents whose root wraps repeated items (JSON: a top-level array). */
  item?: string;
  shape: Shape;
}

const endpointShape: Shape = [
  { name: 'specification', kind: 'text' },
  { name: 'url', kind: 'text' },
  { name: 'changeset', kind: 'datetime' },
  { name: 'type', kind: 'text' },
  { name: 'formats', kind: 'list', item: 'format', of: 'text' },
];

const serviceShape: Shape = [
  { name: 'service_code', kind: 'text' },
  { name: 'service_name', kind: 'text' },
  { name: 'description', kind: 'text' },
  { name: 'metadata', kind: 'boolean' },
  { name: 'type', kind: 'text' },
  { name: 'keywords', kind: 'text' },
  { name: 'group', kind: 'text' },
];

const attributeShape: Shape = [
  { name: 'variable', kind: 'boolean' },
  { name: 'code', kind: 'text' },
  { name: 'datatype', kind: 'text' },
  { name: 'required', kind: 'boolean' },
  { name: 'datatype_description', kind: 'text' },
  { name: 'order', kind: 'integer' },
  { name: 'description', kind: 'text' },
  {
    name: 'values',
    kind: 'list',
    item: 'value',
    optional: true,
    of: [
      { name: 'key', kind: 'text' },
      { name: 'name', kind: 'text' },
    ],
  },
];

const requestShape: Shape = [
  { name: 'service_request_id', kind: 'text' },
  { name: 'status', kind: 'text' },
  { name: 'status_notes', kind: 'text' },
  { name: 'service_name', kind: 'text' },
  { name: 'service_code', kind: 'text' },
  { name: 'description', kind: 'text' },
  { name: 'agency_responsible', kind: 'text' },
  { name: 'service_notice', kind: 'text' },
  { name: 'requested_datetime', kind: 'datetime' },
  { name: 'updated_datetime', kind: 'datetime' },
  { name: 'expected_datetime', kind: 'datetime' },
  { name: 'address', kind: 'text' },
  { name: 'address_id', kind: 'text' },
  { name: 'zipcode', kind: 'text' },
  { name: 'lat', kind: 'number' },
  { name: 'long', kind: 'number' },
  { name: 'media_url', kind: 'text' },
];

// EXT members of extensions=true (digest §3.4), after every standard field.
const extendedRequestShape: Shape = [
  ...requestShape,
  {
    name: 'extended_attributes',
    kind: 'object',
    of: [
      { name: 'channel', kind: 'text' },
      { name: 'detailed_status', kind: 'text' },
      { name: 'title', kind: 'text' },
      { name: 'media_urls', kind: 'list', item: 'media_url', of: 'text' },
      { name: 'duplicate', kind: 'boolean' },
      { name: 'parent_service_request_id', kind: 'text' },
    ],
  },
  {
    name: 'notes',
    kind: 'list',
    item: 'note',
    of: [
      { name: 'datetime', kind: 'datetime' },
      { name: 'type', kind: 'text' },
      { name: 'summary', kind: 'text' },
      { name: 'description', kind: 'text' },
    ],
  },
];

const DOCUMENTS = {
  discovery: {
    root: 'discovery',
    shape: [
      { name: 'changeset', kind: 'datetime' },
      { name: 'contact', kind: 'text' },
      { name: 'key_service', kind: 'text' },
      { name: 'endpoints', kind: 'list', item: 'endpoint', of: endpointShape },
    ],
  },
  services: { root: 'services', item: 'service', shape: serviceShape },
  service_definition: {
    root: 'service_definition',
    shape: [
      { name: 'service_code', kind: 'text' },
      { name: 'attributes', kind: 'list', item: 'attribute', of: attributeShape },
    ],
  },
  service_requests: { root: 'service_requests', item: 'request', shape: requestShape },
  service_requests_extended: { root: 'service_requests', item: 'request', shape: extendedRequestShape },
  // POST requests: service_request_id for realtime services, token for batch ones, never both.
  created_requests: {
    root: 'service_requests',
    item: 'request',
    shape: [
      { name: 'service_request_id', kind: 'text', optional: true },
      { name: 'token', kind: 'text', optional: true },
      { name: 'service_notice', kind: 'text' },
      { name: 'account_id', kind: 'text' },
    ],
  },
  tokens: {
    root: 'service_requests',
    item: 'request',
    shape: [
      { name: 'service_request_id', kind: 'text', optional: true },
      { name: 'token', kind: 'text' },
    ],
  },
  service_request_updates: {
    root: 'service_request_updates',
    item: 'request_update',
    shape: [
      { name: 'update_id', kind: 'text' },
      { name: 'service_request_id', kind: 'text' },
      { name: 'status', kind: 'text' },
      { name: 'updated_datetime', kind: 'datetime' },
      { name: 'description', kind: 'text' },
      { name: 'media_url', kind: 'text' },
    ],
  },
  created_updates: {
    root: 'service_request_updates',
    item: 'request_update',
    shape: [{ name: 'update_id', kind: 'text' }],
  },
  errors: {
    root: 'errors',
    item: 'error',
    shape: [
      { name: 'code', kind: 'integer' },
      { name: 'description', kind: 'text' },
    ],
  },
} as const satisfies Record<string, DocumentSpec>;

export type DocumentName = keyof typeof DOCUMENTS;

export interface SerializeContext {
  /** IANA zone whose offset datetimes are written in. */
  timeZone: string;
}

export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
};

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

// Characters XML 1.0 forbids (and lone surrogates): one bad description must not break the whole feed.
const XML_FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const XML_SPECIAL = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function escapeXmlText(text: string): string {
  if (!XML_SPECIAL.test(text)) return text;
  return text
    .replace(XML_FORBIDDEN, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

function scalarToJson(kind: ScalarKind, value: unknown, context: SerializeContext): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'datetime':
      return value instanceof Date ? formatDateTime(value, context.timeZone) : String(value);
    case 'boolean':
      return Boolean(value);
    case 'number':
    case 'integer':
      return typeof value === 'number' ? value : Number(value);
    default:
      return String(value);
  }
}

function scalarToXml(kind: ScalarKind, value: unknown, context: SerializeContext): string {
  if (value === null || value === undefined) return '';
  switch (kind) {
    case 'datetime':
      return value instanceof Date ? formatDateTime(value, context.timeZone) : escapeXmlText(String(value));
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
    case 'integer':
      return String(value);
    default:
      return escapeXmlText(String(value));
  }
}

function shapeToJson(shape: Shape, value: Record<string, unknown>, context: SerializeContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of shape) {
    const fieldValue = value[field.name];
    if (fieldValue === undefined && field.optional) continue;
    if (field.kind === 'list') {
      const items = Array.isArray(fieldValue) ? fieldValue : [];
      out[field.name] =
        typeof field.of === 'string'
          ? items.map((item) => scalarToJson(field.of as ScalarKind, item, context))
          : items.map((item) => shapeToJson(field.of as Shape, item as Record<string, unknown>, context));
    } else if (field.kind === 'object') {
      out[field.name] = fieldValue == null ? null : shapeToJson(field.of, fieldValue as Record<string, unknown>, context);
    } else {
      out[field.name] = scalarToJson(field.kind, fieldValue, context);
    }
  }
  return out;
}

function shapeToXml(shape: Shape, value: Record<string, unknown>, context: SerializeContext, parts: string[]): void {
  for (const field of shape) {
    const fieldValue = value[field.name];
    if (fieldValue === undefined && field.optional) continue;
    const name = field.name;
    if (field.kind === 'list') {
      parts.push(`<${name}>`);
      const items = Array.isArray(fieldValue) ? fieldValue : [];
      for (const item of items) {
        if (typeof field.of === 'string') {
          parts.push(`<${field.item}>${scalarToXml(field.of, item, context)}</${field.item}>`);
        } else {
          parts.push(`<${field.item}>`);
          shapeToXml(field.of, item as Record<string, unknown>, context, parts);
          parts.push(`</${field.item}>`);
        }
      }
      parts.push(`</${name}>`);
    } else if (field.kind === 'object') {
      parts.push(`<${name}>`);
      if (fieldValue != null) shapeToXml(field.of, fieldValue as Record<string, unknown>, context, parts);
      parts.push(`</${name}>`);
    } else {
      parts.push(`<${name}>${scalarToXml(field.kind, fieldValue, context)}</${name}>`);
    }
  }
}

/**
 * EXT: requests as a GeoJSON FeatureCollection for maps. Each request is a Feature whose geometry is its
 * point ([long, lat], null for address-only requests) and whose properties are the public fields.
 */
export function serializeGeoJson(requests: Array<Record<string, unknown>>, context: SerializeContext): string {
  const shape = requests.length > 0 && 'extended_attributes' in requests[0]! ? extendedRequestShape : requestShape;
  const features = requests.map((request) => {
    const properties = shapeToJson(shape, request, context);
    const lat = properties.lat as number | null;
    const long = properties.long as number | null;
    return {
      type: 'Feature',
      id: properties.service_request_id,
      geometry: lat === null || long === null ? null : { type: 'Point', coordinates: [long, lat] },
      properties,
    };
  });
  return JSON.stringify({ type: 'FeatureCollection', features });
}

/** Writes `value` as the named document. Item documents take an array, the others one object. */
export function serialize(documentName: DocumentName, value: unknown, format: Format, context: SerializeContext): string {
  const spec: DocumentSpec = DOCUMENTS[documentName];
  if (format === 'json' || format === 'geojson') {
    if (spec.item) {
      return JSON.stringify((value as Record<string, unknown>[]).map((item) => shapeToJson(spec.shape, item, context)));
    }
    return JSON.stringify(shapeToJson(spec.shape, value as Record<string, unknown>, context));
  }
  const parts: string[] = [XML_DECLARATION, `\n<${spec.root}>`];
  if (spec.item) {
    for (const item of value as Record<string, unknown>[]) {
      parts.push(`<${spec.item}>`);
      shapeToXml(spec.shape, item, context, parts);
      parts.push(`</${spec.item}>`);
    }
  } else {
    shapeToXml(spec.shape, value as Record<string, unknown>, context, parts);
  }
  parts.push(`</${spec.root}>\n`);
  return parts.join('');
}
