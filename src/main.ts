// npm start: config → store → migrations (+ demo catalog) → listen; stops cleanly on SIGTERM/SIGINT.
import type { Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, GEOREPORT_BASE_PATH, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { countServices } from './store/catalog-store.js';
import { isEmbedded, migrateLatest, openDb } from './store/db.js';
import { startWebhookDispatcher } from './webhooks/dispatcher.js';
import { ensureBootstrapAdminKey, ensureBootstrapKey, ensureConfiguredJurisdiction, seedDemoCatalog } from './store/seed.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const db = openDb({ databaseUrl: config.databaseUrl, dataDirectory: config.dataDirectory });
  logger.info('opening store', { backend: isEmbedded(db) ? `embedded PGlite in ${config.dataDirectory}` : 'PostgreSQL' });
  await migrateLatest(db);
  await ensureConfiguredJurisdiction(db, config);
  if (config.seedDemo && (await countServices(db, config.jurisdictionId)) === 0) {
    const seeded = await seedDemoCatalog(db, config);
    logger.info('seeded the demo catalog', { services: seeded.length });
  }
  await ensureBootstrapKey(db, config.bootstrapApiKey);
  await ensureBootstrapAdminKey(db, config.bootstrapAdminKey);

  const { app, context } = createApp({ config, db, logger });
  const server: Server = app.listen(config.port, config.host, () => {
    logger.info(`open311-server listening; GeoReport v2 base URL: ${config.publicUrl}${GEOREPORT_BASE_PATH}`);
  });
  const dispatcher = startWebhookDispatcher({ db, logger, config });
  context.events = dispatcher;
  server.on('error', (error) => {
    logger.error('server error', { error: error.message });
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    server.close(() => {
      void dispatcher
        .stop()
        .then(() => db.destroy())
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`open311-server failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
