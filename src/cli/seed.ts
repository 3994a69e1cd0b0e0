// npm run seed: adds or updates the demo catalog of the configured jurisdiction (safe to run twice).
import { seedDemoCatalog } from '../store/seed.js';
import { fail, openConfiguredStore } from './open-store.js';

async function main(): Promise<void> {
  const { config, db } = await openConfiguredStore();
  try {
    const changed = await seedDemoCatalog(db, config);
    process.stdout.write(changed.length ? `Seeded ${changed.join(', ')}\n` : 'The demo catalog is already up to date.\n');
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => fail(`seed: ${error instanceof Error ? error.message : String(error)}`));
