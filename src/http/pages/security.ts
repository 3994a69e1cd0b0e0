// Headers for every HTML page: a strict Content-Security-Policy (no inline scripts or styles, assets from this
// server only; map tiles from the configured tile host), no framing, no referrer to other sites.
import type { NextFunction, Request, Response } from 'express';

export function pageSecurityHeaders(tileOrigins: readonly string[]) {
  const images = ["'self'", 'data:', 'blob:', ...tileOrigins].join(' ');
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${images}`,
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.set('Content-Security-Policy', policy);
    res.set('X-Frame-Options', 'DENY');
    res.set('Referrer-Policy', 'same-origin');
    next();
  };
}
