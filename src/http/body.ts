// Reads POST bodies: application/x-www-form-urlencoded (the standard), multipart/form-data (CUTR and media
// uploads send it) and JSON, all into the same raw key/value pairs. Text is decoded as UTF-8 whatever the
// declared charset (digest §1.4).
import type { Request } from 'express';
import busboy from 'busboy';
import { badRequest, payloadTooLarge, unsupportedMediaType } from '../errors.js';
import { jsonToPairs, type FormPairs } from '../validate/coerce.js';
import { parseBoundedJson } from './bounded-json.js';

export const MAX_FORM_BYTES = 1024 * 1024;
export const MAX_FORM_FIELDS = 1000;

export interface UploadLimits {
  /** Largest accepted file part, in bytes. */
  maxFileBytes: number;
  maxFiles: number;
}

/** A file part of a multipart body (every file part is media, whatever its field name: media, media[], photo1…). */
export interface UploadedFile {
  field: string;
  bytes: Buffer;
}

export interface FormBody {
  pairs: FormPairs;
  files: UploadedFile[];
}

async function readRaw(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw payloadTooLarge(`The request body is larger than ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw payloadTooLarge(`The request body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function readMultipart(req: Request, limits: UploadLimits): Promise<FormBody> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: {
          fields: MAX_FORM_FIELDS,
          fieldSize: MAX_FORM_BYTES,
          files: limits.maxFiles,
          // One byte over the limit so that a file of exactly the limit is accepted and a larger one detected.
          fileSize: limits.maxFileBytes + 1,
          parts: MAX_FORM_FIELDS + limits.maxFiles,
        },
      });
    } catch {
      reject(badRequest('The multipart/form-data body could not be read (is the boundary missing?).'));
      return;
    }
    const pairs: FormPairs = [];
    const files: UploadedFile[] = [];
    let failure: Error | undefined;
    let textBytes = 0;
    parser.on('field', (rawName, value, info) => {
      // busboy reports a part without a name as undefined.
      const name = typeof rawName === 'string' ? rawName : '';
      if (info.valueTruncated)
        failure ??= payloadTooLarge(`The form field ${name.slice(0, 50)} is larger than ${MAX_FORM_BYTES} bytes.`);
      // The 1 MiB form limit is for all text fields together, as for urlencoded bodies (files aside).
      textBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (textBytes > MAX_FORM_BYTES)
        failure ??= payloadTooLarge(`The form's text fields are larger than ${MAX_FORM_BYTES} bytes together.`);
      else pairs.push([name, value]);
    });
    parser.on('file', (rawField, stream) => {
      const field = typeof rawField === 'string' ? rawField : '';
      const chunks: Buffer[] = [];
      // A body cut short makes the file stream fail too: that is the client's broken upload, not a crash.
      stream.on('error', () => {
        failure ??= badRequest('The multipart/form-data body could not be read (it ends too early).');
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        failure ??= payloadTooLarge(`Each media file may be at most ${limits.maxFileBytes} bytes.`);
      });
      stream.on('close', () => {
        const bytes = Buffer.concat(chunks);
        if (bytes.length > limits.maxFileBytes)
          failure ??= payloadTooLarge(`Each media file may be at most ${limits.maxFileBytes} bytes.`);
        // An empty file part is what browsers send for a file input left empty.
        if (bytes.length > 0 && !failure) files.push({ field, bytes });
      });
    });
    parser.on('filesLimit', () => (failure ??= payloadTooLarge(`At most ${limits.maxFiles} media files may be sent.`)));
    parser.on('fieldsLimit', () => (failure ??= payloadTooLarge(`The form has more than ${MAX_FORM_FIELDS} fields.`)));
    parser.on('partsLimit', () => (failure ??= payloadTooLarge(`The form has more than ${MAX_FORM_FIELDS} parts.`)));
    parser.on('error', () => reject(failure ?? badRequest('The multipart/form-data body could not be read.')));
    req.on('error', () => reject(badRequest('The request body could not be read.')));
    parser.on('close', () => (failure ? reject(failure) : resolve({ pairs, files })));
    req.pipe(parser);
  });
}

/** The body's parameters as raw pairs, in order, and its files. An absent body is an empty form. */
export async function readFormBody(req: Request, limits: UploadLimits): Promise<FormBody> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const body = contentType.startsWith('multipart/form-data')
    ? await readMultipart(req, limits)
    : { pairs: await readTextForm(req, contentType), files: [] };
  // NUL can be stored neither in PostgreSQL text nor in XML.
  for (const [key, value] of body.pairs) {
    if (key.includes('\0') || value.includes('\0')) {
      throw badRequest(
        `The parameter ${key.replace(/\0/g, '').slice(0, 50) || '(unnamed)'} contains a NUL character, which no parameter may hold.`,
      );
    }
  }
  return body;
}

async function readTextForm(req: Request, contentType: string): Promise<FormPairs> {
  const raw = await readRaw(req, MAX_FORM_BYTES);
  if (raw.length === 0) return [];
  const text = raw.toString('utf8');
  if (contentType === '' || contentType.startsWith('application/x-www-form-urlencoded') || contentType.startsWith('text/plain')) {
    const pairs: FormPairs = [...new URLSearchParams(text)];
    if (pairs.length > MAX_FORM_FIELDS) throw payloadTooLarge(`The form has more than ${MAX_FORM_FIELDS} fields.`);
    return pairs;
  }
  if (contentType.startsWith('application/json') || contentType.includes('+json')) {
    const parsed = parseBoundedJson(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw badRequest('The JSON body must be an object of parameters.');
    }
    const pairs = jsonToPairs(parsed);
    if (pairs.length > MAX_FORM_FIELDS) throw payloadTooLarge(`The body has more than ${MAX_FORM_FIELDS} parameters.`);
    return pairs;
  }
  throw unsupportedMediaType(
    'Send the parameters as application/x-www-form-urlencoded, multipart/form-data or application/json.',
  );
}

/** api_key from the form, else the query string, else Authorization: Bearer (digest §1.8). */
export function apiKeyOf(req: Request, pairs: FormPairs): string | undefined {
  for (const [key, value] of pairs) if (key === 'api_key' && value.trim() !== '') return value.trim();
  const fromQuery = req.query.api_key;
  const queryValue = Array.isArray(fromQuery) ? fromQuery[0] : fromQuery;
  if (typeof queryValue === 'string' && queryValue.trim() !== '') return queryValue.trim();
  const authorization = req.headers.authorization;
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}

/** The first non-empty value of a form parameter. */
export function pairValue(pairs: FormPairs, name: string): string | undefined {
  for (const [key, value] of pairs) if (key === name && value.trim() !== '') return value.trim();
  return undefined;
}
