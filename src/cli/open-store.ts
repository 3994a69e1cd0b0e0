// For tools not yet on the shared plumbing (src/cli/command.ts): opens the configured store through
// openStoreExclusively (src/cli/store-access.ts), so they too are refused while a server owns the embedded
// data folder (naming its pid) instead of becoming a second writer. db.destroy() lets go of the folder.
import type { Config } from '../config.js';
import type { Db } from '../store/db.js';
import { openStoreExclusively } from './store-access.js';

export async function openConfiguredStore(tool = 'command', alternative?: string): Promise<{ config: Config; db: Db }> {
  const { config, db } = await openStoreExclusively(tool, alternative === undefined ? {} : { alternative });
  return { config, db };
}

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}
