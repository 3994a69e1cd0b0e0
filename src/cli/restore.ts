// npm run restore -- FILE: fills the configured (empty) data folder from a backup of npm run backup.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { OperatorError } from '../errors.js';
import { restoreEmbeddedStore } from '../store/embedded-snapshot.js';
import { runWhenMain, usageError, type Command } from './command.js';

const USAGE = `Usage: npm run restore -- FILE
Fills DATA_DIR, which must be empty or missing, from FILE (written by npm run backup), then checks that the
store opens. Start the server on it afterwards. On PostgreSQL use pg_restore; see the README, "Backups".`;

export const restoreCommand: Command = {
  usage: USAGE,
  async run(argv, { env, out }) {
    if (argv.length !== 1 || argv[0]!.startsWith('-')) throw usageError('Name the one backup file to restore.');
    const file = path.resolve(argv[0]!);
    const config = loadConfig(env);
    if (config.databaseUrl)
      throw usageError(
        'DATABASE_URL is set: restore PostgreSQL with pg_restore (README "Backups"); unset it to restore DATA_DIR.',
      );
    if (!fs.existsSync(file)) throw new OperatorError(`No such file: ${file}.`);
    await restoreEmbeddedStore(file, config.dataDirectory);
    out(`Restored ${file} into ${config.dataDirectory}.\n`);
    return 0;
  },
};

runWhenMain(import.meta.url, restoreCommand);
