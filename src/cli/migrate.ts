// npm run migrate [-- latest | rollback | status]: runs the migrations on the configured store.
import { loadConfig } from '../config.js';
import { openDb } from '../store/db.js';
import { fail } from './open-store.js';

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'latest';
  const config = loadConfig();
  const db = openDb({ databaseUrl: config.databaseUrl, dataDirectory: config.dataDirectory });
  try {
    if (command === 'latest') {
      const [, applied] = (await db.migrate.latest()) as [number, string[]];
      process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'Already up to date.\n');
    } else if (command === 'rollback') {
      const [, undone] = (await db.migrate.rollback(undefined, true)) as [number, string[]];
      process.stdout.write(undone.length ? `Rolled back ${undone.join(', ')}\n` : 'Nothing to roll back.\n');
    } else if (command === 'status') {
      const [done, pending] = (await db.migrate.list()) as [Array<{ name: string }>, Array<{ file: string }>];
      process.stdout.write(
        `Applied: ${done.map((item) => item.name).join(', ') || 'none'}\nPending: ${pending.map((item) => item.file).join(', ') || 'none'}\n`,
      );
    } else {
      fail('Usage: npm run migrate -- latest | rollback | status');
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => fail(`migrate: ${error instanceof Error ? error.message : String(error)}`));
