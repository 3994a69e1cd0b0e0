// Writes a domain value as the named document in the request's format, with the standard content types.
import type { Response } from 'express';
import { CONTENT_TYPES, serialize, type DocumentName } from '../serialize/serialize.js';
import { formatOf } from './format.js';

export function respond(res: Response, documentName: DocumentName, value: unknown, timeZone: string, status = 200): void {
  const format = formatOf(res);
  const body = serialize(documentName, value, format, { timeZone });
  res.status(status).set('Content-Type', CONTENT_TYPES[format]).send(body);
}
