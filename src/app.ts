// Assembles the Express app from config and store. Never listens, never reads the environment.
import express, { type Express } from 'express';
import { GEOREPORT_BASE_PATH, type Config } from './config.js';
import { createJurisdictionRegistry } from './domain/jurisdictions.js';
import type { AppContext } from './http/context.js';
import { IntakeLookups } from './domain/intake.js';
import { RequestWriter } from './store/request-writer.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { cors } from './http/cors.js';
import { collapseSlashes } from './http/format.js';
import { BULK_BASE_PATH, bulkRouter, georeportRouter } from './http/routes.js';
import { MAP_BASE_PATH, mapRouter } from './http/map-clusters.js';
import { STAFF_BASE_PATH, staffRouter } from './http/staff/router.js';
import { FEEDS_PATH, feedsRouter } from './http/feeds.js';
import { notificationsRouter } from './http/notifications/router.js';
import { authPagesRouter, STAFF_PAGES_BASE_PATH } from './http/pages/console/auth-pages.js';
import { MEDIA_URL_PATH } from './media/media-store.js';
import { ASSETS_URL_PATH, PUBLIC_DIRECTORY } from './web-assets.js';
import { siteRouter } from './http/pages/site/router.js';
import { consoleRouter } from './http/pages/console/routes.js';
import { CONSOLE_BASE_PATH } from './http/pages/console/layout.js';
import { openApiDocument } from './http/openapi.js';
import { docsRouter } from './http/docs.js';
import { healthz, readyz, requestTimeout } from './http/health.js';
import { createObservability } from './http/observability.js';
import { RateLimiter } from './http/rate-limit.js';
import { ResponseCache } from './http/response-cache.js';
import { AnswerReplay } from './http/replay.js';
import { UploadBudget } from './http/upload-budget.js';
import helmet from 'helmet';
import type { Logger } from './logger.js';
import type { Db } from './store/db.js';
import type { ChangeFeed } from './store/change-feed.js';
import { ReadPool } from './store/read-pool.js';

export interface App {
  app: Express;
  context: AppContext;
}

export function createApp({
  config,
  db,
  logger,
  reads,
  changes,
}: {
  config: Config;
  db: Db;
  logger: Logger;
  /** Read replicas for the public GETs (default: the primary alone). */
  reads?: ReadPool;
  changes?: ChangeFeed;
}): App {
  const context: AppContext = {
    config,
    db,
    reads: reads ?? new ReadPool(db),
    ...(changes ? { changes } : {}),
    logger,
    jurisdictions: createJurisdictionRegistry(db),
    intakeLookups: new IntakeLookups(db),
    requestWriter: new RequestWriter(db, { notifications: config.smtpUrl !== undefined }),
    uploadBudget: new UploadBudget(config.uploadMemoryBudgetBytes),
    keyRateLimiter: new RateLimiter(config.rateLimitPerKey),
    addressRateLimiter: new RateLimiter(config.rateLimitPerAddress),
    ...(config.responseCacheTtlMs > 0 ? { cache: new ResponseCache(undefined, config.responseCacheTtlMs).follow(db) } : {}),
  };
  const observability = createObservability(db, logger);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // node:querystring — no qs nesting (digest §1.6)
  app.set('etag', false); // respond() sets its own ETag where conditional GETs make sense
  app.set('trust proxy', config.trustProxy);
  // First of all: identical GETs the response cache answers are replayed before the middleware stack.
  if (context.cache && context.changes) app.use(new AnswerReplay(context.cache, context.changes, observability).middleware);
  app.use(observability.middleware);
  // Security headers that keep the public API usable cross-origin: images embeddable by other sites,
  // no CSP (the API serves no HTML).
  app.use(
    helmet({
      contentSecurityPolicy: false,
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      crossOriginOpenerPolicy: false,
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(requestTimeout(config.requestTimeoutMs));
  app.use(collapseSlashes);

  app.get('/healthz', healthz);
  app.get('/readyz', readyz(db));
  app.get('/metrics', async (_req, res) => {
    res
      .set('Content-Type', observability.registry.contentType)
      .set('Cache-Control', 'no-store')
      .send(await observability.registry.metrics());
  });

  // Any origin may read the document (hosted viewers load it from their own pages); preflights answered.
  app.use('/openapi.json', cors);
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').set('Cache-Control', 'public, max-age=300').send(openApiDocument(config));
  });
  // The API reference (Swagger UI on /openapi.json).
  app.use(docsRouter());
  app.use(GEOREPORT_BASE_PATH, cors, georeportRouter(context));
  app.use(BULK_BASE_PATH, cors, bulkRouter(context));
  app.use(MAP_BASE_PATH, cors, mapRouter(context));
  app.use(STAFF_BASE_PATH, staffRouter(context));
  // Staff sign-in and account pages (HTML); the console adds its own pages under /staff/.
  app.use(STAFF_PAGES_BASE_PATH, authPagesRouter(context));
  app.use(CONSOLE_BASE_PATH, consoleRouter(context));
  // The built browser assets (dist/public, by src/web-assets.ts). Names are not content-hashed, so clients keep
  // them a short while and then revalidate with the ETag / Last-Modified express.static sends.
  app.use(
    ASSETS_URL_PATH,
    express.static(PUBLIC_DIRECTORY, {
      fallthrough: true,
      index: false,
      dotfiles: 'deny',
      maxAge: '10m',
      setHeaders: (res) => res.set('X-Content-Type-Options', 'nosniff'),
    }),
  );
  app.use(feedsRouter(context));
  app.use(notificationsRouter(context));
  // The resident site (its home page is GET /, which still answers the JSON index to API clients).
  app.use(
    siteRouter(context, () => ({
      name: 'open311-server',
      georeport_v2: `${config.publicUrl}${GEOREPORT_BASE_PATH}`,
      discovery: `${config.publicUrl}${GEOREPORT_BASE_PATH}/discovery.json`,
      openapi: `${config.publicUrl}/openapi.json`,
      feeds: `${config.publicUrl}${FEEDS_PATH}/requests.atom`,
    })),
  );
  // Uploaded images (already checked and stripped of metadata); nosniff so they are only ever images.
  app.use(
    MEDIA_URL_PATH,
    cors,
    express.static(config.mediaDirectory, {
      fallthrough: true,
      index: false,
      dotfiles: 'deny',
      maxAge: '365d',
      immutable: true,
      setHeaders: (res) => res.set('X-Content-Type-Options', 'nosniff'),
    }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return { app, context };
}
