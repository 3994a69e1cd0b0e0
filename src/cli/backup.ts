// npm run backup -- FILE: a consistent snapshot of the embedded store, taken through the running server when
// one owns the data folder, else by opening the store here. Restore it with npm run restore -- FILE.
// On PostgreSQL use pg_dump (README "Backups").
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { OperatorError } from '../errors.js';
import { writeBackupFile } from '../store/embedded-snapshot.js';
import { runWhenMain, usageError, type Command } from './command.js';
import { takeSnapshot } from './store-access.js';

const USAGE = `Usage: npm run backup -- FILE
Writes a consistent snapshot of the embedded store (DATA_DIR, with the photos under it) to FILE (gzipped tar,
readable by its owner only), while the server runs or not. Restore it with: npm run restore -- FILE
On PostgreSQL (DATABASE_URL) use pg_dump instead; see the README, "Backups".`;

export const backupCommand: Command = {
  usage: USAGE,
  async run(argv, { env, out }) {
    if (argv.length !== 1 || argv[0]!.startsWith('-')) throw usageError('Name the one file to write the backup to.');
    const file = path.resolve(argv[0]!);
    const config = loadConfig(env);
    if (!config.databaseUrl && !fs.existsSync(path.join(config.dataDirectory, 'PG_VERSION')))
      throw new OperatorError(`There is no embedded store in ${config.dataDirectory} to back up.`);
    if (!config.databaseUrl && file.startsWith(config.dataDirectory + path.sep))
      throw usageError('Write the backup outside the data folder.');
    const snapshot = await takeSnapshot('backup', env);
    writeBackupFile(file, snapshot);
    out(`Wrote ${file} (${snapshot.length} bytes).\n`);
    return 0;
  },
};

runWhenMain(import.meta.url, backupCommand);
