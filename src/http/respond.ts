// Writes a domain value as the named document in the request's format, with the standard content types,
// and the HTTP conveniences of digest §3.9: JSONP, ETag/Last-Modified with 304, Cache-Control.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { badRequest, notFound } from '../errors.js';
import { CONTENT_TYPES, serialize, serializeGeoJson, type DocumentName } from '../serialize/serialize.js';
import { formatOf } from './format.js';

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
}

const CALLBACK = /^[A-Za-z_$][\w$.]{0,63}$/;
const GEOJSON_DOCUMENTS: ReadonlySet<DocumentName> = new Set(['service_requests', 'service_requests_extended']);

function jsonpCallback(req: Request): string | undefined {
  const raw = req.query.callback;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value === '') return undefined;
  if (!CALLBACK.test(value)) throw badRequest('callback must be a JavaScript name: letters, digits, _, $ and dots, starting with a letter, _ or $ (at most 64 characters).');
  return value;
}

function notModified(req: Request, etag: string, options: RespondOptions): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const tags = ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(etag.replace(/^W\//, ''));
  }
  const ifModifiedSince = req.headers['if-modified-since'];
  if (options.honorModifiedSince && options.lastModified && ifModifiedSince) {
    const since = Date.parse(ifModifiedSince);
    return Number.isFinite(since) && Math.floor(options.lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

export function respond(req: Request, res: Response, documentName: DocumentName, value: unknown, options: RespondOptions): void {
  const format = formatOf(res);
  const status = options.status ?? 200;
  let body: string;
  let contentType: string;
  if (format === 'geojson') {
    if (!GEOJSON_DOCUMENTS.has(documentName)) throw notFound('The .geojson format is only served for requests.geojson.');
    body = serializeGeoJson(value as Array<Record<string, unknown>>, { timeZone: options.timeZone });
    contentType = CONTENT_TYPES.geojson;
  } else {
    body = serialize(documentName, value, format, { timeZone: options.timeZone });
    contentType = CONTENT_TYPES[format];
  }
  const isRead = req.method === 'GET' || req.method === 'HEAD';
  if (isRead && status === 200) {
    const callback = format === 'json' ? jsonpCallback(req) : undefined;
    if (callback) {
      body = `${callback}(${body});`;
      contentType = 'application/javascript; charset=utf-8';
      res.set('X-Content-Type-Options', 'nosniff');
    }
    const etag = `W/"${createHash('sha1').update(body).digest('base64url')}"`;
    res.set('ETag', etag);
    if (options.lastModified) res.set('Last-Modified', options.lastModified.toUTCString());
    res.set('Cache-Control', CACHE_CONTROL[options.cache ?? 'none']);
    res.set('Vary', 'Accept-Encoding');
    if (notModified(req, etag, options)) {
      res.status(304).end();
      return;
    }
  } else {
    res.set('Cache-Control', 'no-store');
  }
  res.status(status).set('Content-Type', contentType).send(body);
}
