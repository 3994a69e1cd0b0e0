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
  /** Counts and logs one answered request (the middleware's own bookkeeping, for answers that skip it). */
  record(requestId: string, method: string, route: string, status: number, seconds: number): void;
}

/** The client's X-Request-Id when it is a sane one, else a new id. */
export function requestIdOf(req: { headers: Request['headers'] }): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** The metrics' route label of an answered request. */
export function routeOf(req: Request, res: Response): string {
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

  // Labelled children are looked up once per label set: prom-client hashes the labels on every call otherwise.
  const children = new Map<string, { count: ReturnType<typeof requests.labels>; time: ReturnType<typeof duration.labels> }>();
  const record = (requestId: string, method: string, route: string, status: number, seconds: number): void => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      const labels = { method, route, status: String(status) };
      child = { count: requests.labels(labels), time: duration.labels(labels) };
      if (children.size < 10_000) children.set(key, child);
    }
    child.count.inc();
    child.time.observe(seconds);
    logger.debug('request', {
      request_id: requestId,
      method,
      route,
      status: String(status),
      duration_ms: Math.round(seconds * 1e5) / 100,
    });
  };

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const id = requestIdOf(req);
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      record(id, req.method, routeOf(req, res), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
  return { registry, middleware, record };
}
