// CORS for browser apps (digest §3.9): every GeoReport answer may be read from any origin; preflights for
// POST (with Authorization or JSON bodies) are answered here, before routing.
import type { NextFunction, Request, Response } from 'express';

const EXPOSED = [
  'ETag',
  'Last-Modified',
  'Link',
  'X-Result-Count',
  'X-Page-Count',
  'X-Page-Size',
  'X-Next-Page-URL',
  'X-Previous-Page-URL',
  'Retry-After',
];

export function cors(req: Request, res: Response, next: NextFunction): void {
  res.set('Access-Control-Allow-Origin', '*');
  res.set('Access-Control-Expose-Headers', EXPOSED.join(', '));
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.set('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
    res.set('Access-Control-Allow-Headers', 'Content-Type, Authorization, Idempotency-Key, If-None-Match, If-Modified-Since');
    res.set('Access-Control-Max-Age', '86400');
    res.status(204).end();
    return;
  }
  next();
}
