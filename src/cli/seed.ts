// npm run seed: adds or updates the demo catalog of the configured jurisdiction (safe to run twice).
// Needs the store to itself: refused while a server owns the embedded data folder (the server seeds the demo
// catalog itself when SEED_DEMO is on and the jurisdiction has no services).
import { seedDemoCatalog } from '../store/seed.js';
import { runWhenMain, usageError, type Command } from './command.js';
import { openStoreExclusively } from './store-access.js';

const USAGE = `Usage: npm run seed
Adds or updates the demo catalog (Lancaster, Ohio's services) in the configured jurisdiction; safe to run twice.
Stop the server first, or edit the catalog through the staff API (/api/v1/catalog) while it runs.`;

export const seedCommand: Command = {
  usage: USAGE,
  async run(argv, { env, out }) {
    if (argv.length > 0) throw usageError(`Unexpected argument "${argv[0]}".`);
    const { config, db, close } = await openStoreExclusively('seed', { env });
    try {
      const changed = await seedDemoCatalog(db, config);
      out(changed.length ? `Seeded ${changed.join(', ')}\n` : 'The demo catalog is already up to date.\n');
    } finally {
      await close();
    }
    return 0;
  },
};

runWhenMain(import.meta.url, seedCommand);
