// Staff API answers: plain JSON, dates as ISO 8601 with the jurisdiction's offset.
import type { Response } from 'express';
import { formatDateTime } from '../../domain/datetime.js';
import { keyedByInput } from '../../domain/keyed-by-input.js';

function convert(value: unknown, timeZone: string): unknown {
  if (value instanceof Date) return formatDateTime(value, timeZone);
  if (Array.isArray(value)) return value.map((item) => convert(item, timeZone));
  if (value && typeof value === 'object') {
    // Member names can be outside input (attribute codes such as __proto__): no prototype to trip over.
    const out = keyedByInput<unknown>();
    for (const [key, item] of Object.entries(value)) out[key] = convert(item, timeZone);
    return out;
  }
  return value;
}

export function sendJson(res: Response, value: unknown, timeZone: string, status = 200): void {
  res
    .status(status)
    .set('Content-Type', 'application/json; charset=utf-8')
    .set('Cache-Control', 'no-store')
    .send(JSON.stringify(convert(value, timeZone)));
}
