// JSON bodies of the staff API: an object, at most 1 MiB (catalog imports included) and MAX_JSON_DEPTH deep.
import type { Request } from 'express';
import { badRequest, payloadTooLarge, unsupportedMediaType } from '../../errors.js';
import { parseBoundedJson } from '../bounded-json.js';

export const MAX_JSON_BYTES = 1024 * 1024;

export async function readJsonObject(req: Request, limit = MAX_JSON_BYTES): Promise<Record<string, unknown>> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (!contentType.startsWith('application/json') && !contentType.includes('+json')) {
    throw unsupportedMediaType('Send a JSON body (Content-Type: application/json).');
  }
  if (Number(req.headers['content-length'] ?? 0) > limit) throw payloadTooLarge(`The body is larger than ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw payloadTooLarge(`The body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  const parsed = parseBoundedJson(Buffer.concat(chunks).toString('utf8'), 'The body');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('The body must be a JSON object.');
  if (JSON.stringify(parsed).includes('\\u0000')) throw badRequest('The body contains a NUL character, which no field may hold.');
  return parsed as Record<string, unknown>;
}
