// Reads POST bodies: application/x-www-form-urlencoded (the standard), multipart/form-data (CUTR and media
// uploads send it) and JSON, all into the same raw key/value pairs. Text is decoded as UTF-8 (digest §1.4);
// an urlencoded body that is not valid UTF-8 and does not say it is UTF-8 is read as windows-1252, as
// browsers do (older Java clients send ISO-8859-1). withQueryParameters lets the query string of a GeoReport
// POST give what the body does not (a .NET client library sends every parameter there).
import type { Request } from 'express';
import busboy from 'busboy';
import { MAX_FORM_BYTES } from '../config.js';
import { badRequest, payloadTooLarge, serviceUnavailable, unsupportedMediaType } from '../errors.js';
import { jsonToPairs, type FormPairs } from '../validate/coerce.js';
import { parseBoundedJson } from './bounded-json.js';
import type { BodyLease, UploadBudget } from './upload-budget.js';

export { MAX_FORM_BYTES };
export const MAX_FORM_FIELDS = 1000;

export interface UploadLimits {
  /** Largest accepted file part, in bytes. */
  maxFileBytes: number;
  maxFiles: number;
  /** Body bytes (files and text) held in memory by all requests together. */
  budget?: UploadBudget;
  /**
   * Leave out files over maxFileBytes or past maxFiles and say so in FormBody.filesLeftOut, instead of refusing
   * the whole body: a web form then answers on its photo field and keeps everything else typed.
   */
  leaveOutOversizeFiles?: boolean;
}

/** A file part of a multipart body (every file part is media, whatever its field name: media, media[], photo1…). */
export interface UploadedFile {
  field: string;
  bytes: Buffer;
}

export interface FormBody {
  pairs: FormPairs;
  files: UploadedFile[];
  /** With leaveOutOversizeFiles: why some files were left out (too large, or too many). */
  filesLeftOut?: 'size' | 'count';
}

/** The answer to a body that the upload budget cannot hold now: the client may retry. */
const overBudget = () => serviceUnavailable('The server is receiving too many uploads at once; please retry shortly.');

async function readRaw(req: Request, limit: number, lease: BodyLease | undefined): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw payloadTooLarge(`The request body is larger than ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw payloadTooLarge(`The request body is larger than ${limit} bytes.`);
    if (lease && !lease.take(chunk.length)) throw overBudget();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The Content-Type with an unquoted boundary quoted. RFC 2046 allows '=' (and ' ( ) + , / : ?) in a boundary,
 * but not in an unquoted parameter value, and a widely used Android library sends `boundary====1796154008459===`
 * unquoted: busboy refuses that as malformed, so it gets the same boundary quoted.
 */
export function quoteBoundary(contentType: string): string {
  return contentType.replace(
    /(;\s*boundary\s*=\s*)([^";][^;]*?)(\s*(?:;|$))/i,
    (_match, before: string, value: string, after: string) =>
      /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value) ? `${before}${value}${after}` : `${before}"${value}"${after}`,
  );
}

function readMultipart(req: Request, limits: UploadLimits): Promise<FormBody> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { ...req.headers, 'content-type': quoteBoundary(req.headers['content-type'] ?? '') },
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
    const lease = limits.budget?.leaseFor(req);
    let refused = false;
    let failure: Error | undefined;
    let textBytes = 0;
    /** Takes `bytes` from the budget; when it cannot, answers now and reads no more of this body. */
    const hold = (bytes: number): boolean => {
      if (refused) return false;
      if (!lease || lease.take(bytes)) return true;
      refused = true;
      req.unpipe(parser);
      reject(overBudget());
      return false;
    };
    parser.on('field', (rawName, value, info) => {
      // busboy reports a part without a name as undefined.
      const name = typeof rawName === 'string' ? rawName : '';
      if (info.valueTruncated)
        failure ??= payloadTooLarge(`The form field ${name.slice(0, 50)} is larger than ${MAX_FORM_BYTES} bytes.`);
      // The 1 MiB form limit is for all text fields together, as for urlencoded bodies (files aside).
      const bytes = Buffer.byteLength(name) + Buffer.byteLength(value);
      textBytes += bytes;
      if (textBytes > MAX_FORM_BYTES)
        failure ??= payloadTooLarge(`The form's text fields are larger than ${MAX_FORM_BYTES} bytes together.`);
      else if (hold(bytes)) pairs.push([name, value]);
    });
    let filesLeftOut: FormBody['filesLeftOut'];
    const tooLarge = (): void => {
      if (limits.leaveOutOversizeFiles) filesLeftOut ??= 'size';
      else failure ??= payloadTooLarge(`Each media file may be at most ${limits.maxFileBytes} bytes.`);
    };
    parser.on('file', (rawField, stream) => {
      const field = typeof rawField === 'string' ? rawField : '';
      const chunks: Buffer[] = [];
      // A body cut short makes the file stream fail too: that is the client's broken upload, not a crash.
      stream.on('error', () => {
        failure ??= badRequest('The multipart/form-data body could not be read (it ends too early).');
      });
      stream.on('data', (chunk: Buffer) => {
        // Over the budget: the answer is sent now and closes the connection; what was read is let go.
        if (hold(chunk.length)) chunks.push(chunk);
        else chunks.length = 0;
      });
      stream.on('limit', tooLarge);
      stream.on('close', () => {
        if (refused) return;
        const bytes = Buffer.concat(chunks);
        if (bytes.length > limits.maxFileBytes) {
          tooLarge();
          return;
        }
        // An empty file part is what browsers send for a file input left empty.
        if (bytes.length > 0 && !failure) files.push({ field, bytes });
      });
    });
    parser.on('filesLimit', () => {
      if (limits.leaveOutOversizeFiles) filesLeftOut ??= 'count';
      else failure ??= payloadTooLarge(`At most ${limits.maxFiles} media files may be sent.`);
    });
    parser.on('fieldsLimit', () => (failure ??= payloadTooLarge(`The form has more than ${MAX_FORM_FIELDS} fields.`)));
    parser.on('partsLimit', () => (failure ??= payloadTooLarge(`The form has more than ${MAX_FORM_FIELDS} parts.`)));
    parser.on('error', () => reject(failure ?? badRequest('The multipart/form-data body could not be read.')));
    req.on('error', () => reject(badRequest('The request body could not be read.')));
    parser.on('close', () =>
      failure ? reject(failure) : resolve(filesLeftOut ? { pairs, files, filesLeftOut } : { pairs, files }),
    );
    req.pipe(parser);
  });
}

/** A parameter's name without a trailing [] (attribute[CODE] and attribute[CODE][] are the same parameter). */
const parameterName = (key: string): string => (key.endsWith('[]') ? key.slice(0, -2) : key);

/**
 * The body's pairs, then the query string's pairs for every parameter the body does not give: the body wins
 * where both are given, and a GeoReport POST with every parameter in the query string and an empty body works.
 * (Web forms do not take this: their fields, such as sign-in secrets, belong in the body only.)
 */
export function withQueryParameters(body: FormPairs, url: string): FormPairs {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return body;
  const query = parseUrlencoded(Buffer.from(url.slice(queryStart + 1), 'latin1'), 'utf-8');
  if (query.length === 0) return body;
  const given = new Set(body.map(([key]) => parameterName(key)));
  const merged = [...body, ...query.filter(([key]) => !given.has(parameterName(key)))];
  if (merged.length > MAX_FORM_FIELDS) throw payloadTooLarge(`The form has more than ${MAX_FORM_FIELDS} fields.`);
  return merged;
}

/** The body's parameters as raw pairs, in order, and its files. An absent body is an empty form. */
export async function readFormBody(req: Request, limits: UploadLimits): Promise<FormBody> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const body = contentType.startsWith('multipart/form-data')
    ? await readMultipart(req, limits)
    : { pairs: await readTextForm(req, contentType, limits.budget?.leaseFor(req)), files: [] };
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

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_LENIENT = new TextDecoder('utf-8', { ignoreBOM: true });
// Node's TextDecoder reads 'windows-1252' as ISO-8859-1; the 32 code points where they differ, from the
// WHATWG Encoding standard's index (0x81, 0x8D, 0x8F, 0x90 and 0x9D map to the C1 controls of the same value).
const WINDOWS_1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const WINDOWS_1252 = {
  decode(bytes: Uint8Array): string {
    let text = '';
    for (const byte of bytes) text += byte >= 0x80 && byte < 0xa0 ? WINDOWS_1252_HIGH[byte - 0x80] : String.fromCharCode(byte);
    return text;
  },
};

/** The bytes of one urlencoded name or value: '+' is a space, %XX a byte, anything else its own byte. */
function urlDecodedBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafe(text.length);
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x2b) bytes[length++] = 0x20;
    else if (code === 0x25 && /^[0-9A-Fa-f]{2}$/.test(text.slice(index + 1, index + 3))) {
      bytes[length++] = Number.parseInt(text.slice(index + 1, index + 3), 16);
      index += 2;
    } else bytes[length++] = code & 0xff;
  }
  return bytes.subarray(0, length);
}

/**
 * application/x-www-form-urlencoded as the WHATWG URL standard parses it, except for the character set:
 * UTF-8 when the text is valid UTF-8 or says it is UTF-8; otherwise windows-1252, for the whole body (one
 * body has one encoding), which is what browsers do with forms in ISO-8859-1 pages.
 */
export function parseUrlencoded(raw: Buffer, charset: string | undefined): FormPairs {
  const byteSegments: Array<[Buffer, Buffer]> = [];
  for (const segment of raw.toString('latin1').split('&')) {
    if (segment === '') continue;
    const equals = segment.indexOf('=');
    byteSegments.push(
      equals === -1
        ? [urlDecodedBytes(segment), Buffer.alloc(0)]
        : [urlDecodedBytes(segment.slice(0, equals)), urlDecodedBytes(segment.slice(equals + 1))],
    );
    if (byteSegments.length > MAX_FORM_FIELDS) throw payloadTooLarge(`The form has more than ${MAX_FORM_FIELDS} fields.`);
  }
  let decoder: { decode(bytes: Uint8Array): string } = UTF8_LENIENT;
  if (charset !== 'utf-8' && charset !== 'utf8') {
    try {
      for (const [name, value] of byteSegments) {
        UTF8_STRICT.decode(name);
        UTF8_STRICT.decode(value);
      }
    } catch {
      decoder = WINDOWS_1252;
    }
  }
  return byteSegments.map(([name, value]) => [decoder.decode(name), decoder.decode(value)]);
}

/** The charset parameter of a Content-Type, lower-cased, without quotes; undefined when there is none. */
function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match ? match[1]!.toLowerCase() : undefined;
}

async function readTextForm(req: Request, contentType: string, lease: BodyLease | undefined): Promise<FormPairs> {
  const raw = await readRaw(req, MAX_FORM_BYTES, lease);
  if (raw.length === 0) return [];
  if (contentType === '' || contentType.startsWith('application/x-www-form-urlencoded') || contentType.startsWith('text/plain')) {
    return parseUrlencoded(raw, charsetOf(contentType));
  }
  const text = raw.toString('utf8');
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
  return apiKeyOutsideBody(req);
}

/** api_key from the query string, else Authorization: Bearer: known before the body is read. */
export function apiKeyOutsideBody(req: Request): string | undefined {
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
