// POST rate limits per API key and per client address (token buckets refilled continuously). In memory:
// each server process counts for itself, so with N processes the effective limit is up to N times higher.
import type { NextFunction, Request, Response } from 'express';
import { rateLimited } from '../errors.js';

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  /** Takes one token for `id`; returns 0 when allowed, else the seconds to wait. */
  take(id: string, now = Date.now()): number {
    if (this.perMinute <= 0) return 0;
    const rate = this.perMinute / 60_000;
    const bucket = this.buckets.get(id) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    if (this.buckets.size > 100_000) this.prune(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(id, bucket);
      return 0;
    }
    this.buckets.set(id, bucket);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate / 1000));
  }

  private prune(now: number): void {
    for (const [id, bucket] of this.buckets) if (now - bucket.at > 60_000) this.buckets.delete(id);
  }
}

/** Limits POSTs per client address (before the body is read). */
export function limitPostsByAddress(limiter: RateLimiter) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method !== 'POST') {
      next();
      return;
    }
    const wait = limiter.take(req.ip ?? 'unknown');
    next(wait > 0 ? rateLimited(wait, 'address') : undefined);
  };
}
