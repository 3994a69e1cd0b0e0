// Request ids, access logs and Prometheus metrics (request counts and latencies by route and status,
// database pool usage). One registry per app, so several apps in one process (tests) do not collide.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../logger.js';
import type { Db } from '../store/db.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface Observability {
  registry: Registry;
  middleware: (req: Request, res: Response, next: NextFunction) => void;
}

function routeOf(req: Request, res: Response): string {
  // The matched route pattern keeps the label set small (never the raw URL with ids in it). Express resets
  // baseUrl when an error leaves a router, so routers record where they are mounted (markMount).
  const pattern = req.route?.path;
  if (typeof pattern !== 'string') return 'unmatched';
  const mount = typeof res.locals.mount === 'string' ? res.locals.mount : req.baseUrl;
  return `${mount}${pattern === '/' && mount ? '' : pattern}`;
}

/** First middleware of a router: remembers its mount path for the metrics' route label. */
export function markMount(req: Request, res: Response, next: NextFunction): void {
  res.locals.mount = req.baseUrl;
  next();
}

export function createObservability(db: Db, logger: Logger): Observability {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const pool = (): { numUsed(): number; numFree(): number; numPendingAcquires(): number } | undefined =>
    (db.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const current = pool();
      this.set({ state: 'used' }, current?.numUsed() ?? 0);
      this.set({ state: 'free' }, current?.numFree() ?? 0);
      this.set({ state: 'pending' }, current?.numPendingAcquires() ?? 0);
    },
  });

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const labels = { method: req.method, route: routeOf(req, res), status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, seconds);
      logger.debug('request', { request_id: id, ...labels, duration_ms: Math.round(seconds * 1e5) / 100 });
    });
    next();
  };
  return { registry, middleware };
}
