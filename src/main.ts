// npm start: config → store → migrations (+ demo catalog) → listen; stops cleanly on SIGTERM/SIGINT.
// With WEB_CONCURRENCY > 1 (PostgreSQL only) the primary process prepares the store once and forks that
// many workers sharing the port; each worker is the same stateless server.
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { createApp } from './app.js';
import { describeFailure, portInUse } from './errors.js';
import { startAdminServer } from './http/admin-server.js';
import { createHttpServer } from './http/server.js';
import { ConfigError, GEOREPORT_BASE_PATH, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { countServices } from './store/catalog-store.js';
import { dataFolderLockOf, isEmbedded, migrateLatest, openDb, type Db } from './store/db.js';
import { ChangeFeed } from './store/change-feed.js';
import { ReadPool } from './store/read-pool.js';
import { startWebhookDispatcher } from './webhooks/dispatcher.js';
import { seedDemoRequests } from './store/demo-requests.js';
import { startNotificationDispatcher } from './notifications/dispatcher.js';
import { createMailer } from './notifications/mailer.js';
import { ensureFirstAdmin } from './domain/staff-accounts.js';
import { ensureBootstrapAdminKey, ensureBootstrapKey, ensureConfiguredJurisdiction, seedDemoCatalog } from './store/seed.js';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** Migrations, the jurisdiction, the demo catalog and the bootstrap keys: once, before serving. */
async function prepareStore(db: Db, config: Config, logger: Logger): Promise<void> {
  logger.info('opening store', { backend: isEmbedded(db) ? `embedded PGlite in ${config.dataDirectory}` : 'PostgreSQL' });
  await migrateLatest(db);
  await ensureConfiguredJurisdiction(db, config);
  if (config.seedDemo && (await countServices(db, config.jurisdictionId)) === 0) {
    const seeded = await seedDemoCatalog(db, config);
    logger.info('seeded the demo catalog', { services: seeded.length });
  }
  // Demo requests for the console's queue, map and trends; written once (a marker makes a rerun a no-op).
  if (config.seedDemo) {
    const requests = await seedDemoRequests(db, config.jurisdictionId);
    if (requests > 0) logger.info('seeded demo requests', { requests });
  }
  await ensureBootstrapKey(db, config.bootstrapApiKey);
  await ensureBootstrapAdminKey(db, config.bootstrapAdminKey);
  // No staff account at all: make the first admin and log a one-time sign-in link for them (no default password).
  const firstAdmin = await ensureFirstAdmin(db, config.firstAdminEmail, config.publicUrl);
  if (firstAdmin) {
    logger.info(
      `No staff account existed: created the first admin ${firstAdmin.account.email}. Sign in within 24 hours at ${firstAdmin.link.url} (one use; later: npm run staff -- link --email ${firstAdmin.account.email})`,
      { first_admin_link_expires_at: firstAdmin.link.expires_at.toISOString() },
    );
  }
}

/** Binds the port; "listening" is logged only once the bind succeeded. A port in use is one clear error. */
function listen(app: Express, config: Config): Promise<Server> {
  const server = createHttpServer(app);
  return new Promise<Server>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? portInUse(config.host, config.port) : error);
    };
    server.once('error', failed);
    server.listen(config.port, config.host, () => {
      server.off('error', failed);
      resolve(server);
    });
  });
}

async function serve(config: Config, logger: Logger, prepare: boolean): Promise<void> {
  const db = openDb({
    databaseUrl: config.databaseUrl,
    dataDirectory: config.dataDirectory,
    holder: 'server',
    lockAlternative: 'Stop that server first, or start this one with another DATA_DIR.',
    stallTimeoutMs: config.databaseStallTimeoutMs,
  });
  if (prepare) await prepareStore(db, config, logger);

  const reads = new ReadPool(
    db,
    config.databaseReadUrls.map((databaseUrl) => openDb({ databaseUrl, stallTimeoutMs: config.databaseStallTimeoutMs })),
    logger,
  );
  // Not on the embedded store: it is one process, whose own writes already reach its cache.
  const changes =
    config.databaseListenUrl && !isEmbedded(db) && config.responseCacheTtlMs > 0
      ? new ChangeFeed(config.databaseListenUrl, db, logger).start()
      : undefined;
  const { app, context } = createApp({ config, db, logger, reads, ...(changes ? { changes } : {}) });
  const server = await listen(app, config);
  logger.info(`open311-server listening; GeoReport v2 base URL: ${config.publicUrl}${GEOREPORT_BASE_PATH}`, {
    pid: process.pid,
  });
  // The embedded data folder is this process's alone: its command-line tools work through this endpoint.
  const lock = dataFolderLockOf(db);
  const admin = lock
    ? await startAdminServer({
        db,
        config,
        logger,
        // Answers are not: the cache follows the store's committed writes itself.
        changed: () => context.intakeLookups.forget(),
      })
    : undefined;
  if (lock && admin) lock.publishAdminEndpoint(admin.endpoint);
  const webhooks = startWebhookDispatcher({ db, logger, config });
  // E-mail notifications: on with SMTP_URL, else off (nothing is queued for them).
  const notifications = config.smtpUrl
    ? startNotificationDispatcher({ db, logger, config, mailer: createMailer(config) })
    : undefined;
  if (notifications) logger.info('e-mail notifications on', { from: config.mailFrom });
  else logger.info('e-mail notifications off: SMTP_URL is not set');
  context.events = {
    poke() {
      webhooks.poke();
      notifications?.poke();
    },
  };
  const dispatcher = {
    stop: () => Promise.all([webhooks.stop(), notifications?.stop()]),
  };
  server.on('error', (error) => {
    logger.error('server error', { error: error.message });
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping: draining in-flight requests', { signal });
    // close() stops accepting, closes idle keep-alive connections and waits for in-flight requests.
    server.close(() => {
      void Promise.resolve(admin?.close())
        .then(() => dispatcher.stop())
        .then(() => changes?.stop())
        .then(() => reads.destroy())
        .then(() => db.destroy())
        .then(() => logger.info('stopped'))
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function primary(config: Config, logger: Logger): Promise<void> {
  const db = openDb({ databaseUrl: config.databaseUrl, dataDirectory: config.dataDirectory });
  await prepareStore(db, config, logger);
  await db.destroy();
  let stopping = false;
  const fork = (): void => {
    cluster.fork();
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error('worker died; starting another', { pid: worker.process.pid, code, signal });
    setTimeout(fork, 1000).unref();
  });
  for (let index = 0; index < config.webConcurrency; index++) fork();
  logger.info('cluster started', { workers: config.webConcurrency });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  if (cluster.isWorker) return serve(config, logger, false);
  if (config.webConcurrency > 1) {
    // PGlite is one process's store: several processes cannot share it.
    if (!config.databaseUrl)
      logger.warn('WEB_CONCURRENCY needs DATABASE_URL (the embedded store is single-process); running one process');
    else return primary(config, logger);
  }
  return serve(config, logger, true);
}

main().catch((error: unknown) => {
  // One line: the cause, without a stack trace (LOG_LEVEL=debug adds it), and the exit code of src/errors.ts.
  const { message, exitCode } = describeFailure(error);
  process.stderr.write(`open311-server failed to start: ${message}\n`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(exitCode);
});
