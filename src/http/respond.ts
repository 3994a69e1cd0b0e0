// Writes a domain value as the named document in the request's format, with the standard content types,
// and the HTTP conveniences of digest §3.9: JSONP, ETag/Last-Modified with 304, Cache-Control.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { badRequest, notFound } from '../errors.js';
import { CONTENT_TYPES, serialize, serializeGeoJson, type DocumentName } from '../serialize/serialize.js';
import { formatOf } from './format.js';
import { markCacheAnswer } from './replay.js';
import { answerKey, type RenderedAnswer, type ResponseCache } from './response-cache.js';

export type CachePolicy = 'catalog' | 'requests' | 'none';

const CACHE_CONTROL: Record<CachePolicy, string> = {
  // The catalog changes rarely; clients also watch the discovery changeset.
  catalog: 'public, max-age=300',
  // Request lists change all day: always revalidate (cheap with ETag → 304).
  requests: 'public, no-cache',
  none: 'no-store',
};

export interface RespondOptions {
  timeZone: string;
  status?: number;
  cache?: CachePolicy;
  /** Sent as Last-Modified. */
  lastModified?: Date | undefined;
  /** Answer If-Modified-Since with 304 (only where Last-Modified changes whenever the body does). */
  honorModifiedSince?: boolean;
  /** Headers built for this request from the (possibly cached) answer, e.g. paging links from its URL. */
  perRequestHeaders?: (answer: RenderedAnswer) => Record<string, string>;
}

const CALLBACK = /^[A-Za-z_$][\w$.]{0,63}$/;
const GEOJSON_DOCUMENTS: ReadonlySet<DocumentName> = new Set(['service_requests', 'service_requests_extended']);

/** The JSONP callback of a .json GET, validated; undefined when none was asked for. */
export function jsonpCallback(req: Request, res: Response): string | undefined {
  if (formatOf(res) !== 'json' || (req.method !== 'GET' && req.method !== 'HEAD')) return undefined;
  const raw = req.query.callback;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value === '') return undefined;
  if (!CALLBACK.test(value))
    throw badRequest(
      'callback must be a JavaScript name: letters, digits, _, $ and dots, starting with a letter, _ or $ (at most 64 characters).',
    );
  return value;
}

function notModified(req: Request, answer: RenderedAnswer, options: RespondOptions): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const tags = ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(answer.etag.replace(/^W\//, ''));
  }
  const ifModifiedSince = req.headers['if-modified-since'];
  if (options.honorModifiedSince && answer.lastModified && ifModifiedSince) {
    const since = Date.parse(ifModifiedSince);
    return Number.isFinite(since) && Math.floor(answer.lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

/** Serializes a successful GET answer (body, type, ETag) without sending it, so it can be cached. */
export function render(
  req: Request,
  res: Response,
  documentName: DocumentName,
  value: unknown,
  options: RespondOptions,
): RenderedAnswer {
  const format = formatOf(res);
  let body: string;
  let contentType: string;
  if (format === 'geojson') {
    if (!GEOJSON_DOCUMENTS.has(documentName))
      throw notFound('The .geojson format is only served for requests (requests.geojson, requests/{id}.geojson).');
    body = serializeGeoJson(value as Array<Record<string, unknown>>, { timeZone: options.timeZone });
    contentType = CONTENT_TYPES.geojson;
  } else {
    body = serialize(documentName, value, format, { timeZone: options.timeZone });
    contentType = CONTENT_TYPES[format];
  }
  const extraHeaders: Record<string, string> = {};
  const callback = jsonpCallback(req, res);
  if (callback) {
    body = `${callback}(${body});`;
    contentType = 'application/javascript; charset=utf-8';
    extraHeaders['X-Content-Type-Options'] = 'nosniff';
  }
  const etag = `W/"${createHash('sha1').update(body).digest('base64url')}"`;
  return { body, contentType, etag, lastModified: options.lastModified, extraHeaders };
}

/** Sends a rendered GET answer: validators, Cache-Control, and 304 when the client's copy is current. */
export function sendAnswer(req: Request, res: Response, answer: RenderedAnswer, options: RespondOptions): void {
  res.set('ETag', answer.etag);
  if (answer.lastModified) res.set('Last-Modified', answer.lastModified.toUTCString());
  res.set('Cache-Control', CACHE_CONTROL[options.cache ?? 'none']);
  res.set('Vary', 'Accept-Encoding');
  if (answer.extraHeaders) res.set(answer.extraHeaders);
  if (options.perRequestHeaders) res.set(options.perRequestHeaders(answer));
  if (notModified(req, answer, options)) {
    res.status(304).end();
    return;
  }
  // res.end, not res.send: Express's send() would answer 304 on its own from Last-Modified and
  // If-Modified-Since, which is wrong for lists (see honorModifiedSince).
  answer.bytes ??= Buffer.from(answer.body, 'utf8');
  res.status(200).set('Content-Type', answer.contentType).set('Content-Length', String(answer.bytes.length));
  res.end(req.method === 'HEAD' ? undefined : answer.bytes);
}

export function respond(req: Request, res: Response, documentName: DocumentName, value: unknown, options: RespondOptions): void {
  const status = options.status ?? 200;
  if ((req.method === 'GET' || req.method === 'HEAD') && status === 200) {
    sendAnswer(req, res, render(req, res, documentName, value, options), options);
    return;
  }
  const format = formatOf(res);
  const body =
    format === 'geojson'
      ? serializeGeoJson(value as Array<Record<string, unknown>>, options)
      : serialize(documentName, value, format, options);
  res.status(status).set('Cache-Control', 'no-store').set('Content-Type', CONTENT_TYPES[format]).send(body);
}

/**
 * A GET answer through the response cache (which owns keys and revalidation): `version` is the store's change
 * marker for what the answer shows; `produce` queries and renders on a miss.
 */
export async function respondCached(
  req: Request,
  res: Response,
  cache: ResponseCache | undefined,
  key: string,
  version: string,
  options: RespondOptions,
  produce: () => Promise<RenderedAnswer>,
): Promise<void> {
  if (!cache) {
    sendAnswer(req, res, await produce(), options);
    return;
  }
  const answer = await cache.answer(answerKey(formatOf(res), jsonpCallback(req, res), key), version, produce);
  markCacheAnswer(res, answer);
  sendAnswer(req, res, answer, options);
}
