// npm run migrate [-- latest | rollback [--all --yes] | status]: the migrations of the configured store.
// rollback undoes the last batch only; undoing every migration (which drops every table and its data) needs
// --all and --yes. Needs the store to itself: refused while a server owns the embedded data folder.
import { parseArgs } from 'node:util';
import { runWhenMain, usageError, type Command } from './command.js';
import { openStoreExclusively } from './store-access.js';

const USAGE = `Usage:
  npm run migrate                         apply the pending migrations (the same as "latest")
  npm run migrate -- latest               apply the pending migrations
  npm run migrate -- status               list applied and pending migrations
  npm run migrate -- rollback             undo the last batch of migrations
  npm run migrate -- rollback --all --yes undo every migration: drops every table and all its data
The server applies pending migrations itself at start; stop it before a rollback.`;

export const migrateCommand: Command = {
  usage: USAGE,
  async run(argv, { env, out }) {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { all: { type: 'boolean' }, yes: { type: 'boolean' } },
    });
    const command = positionals[0] ?? 'latest';
    if (positionals.length > 1) throw usageError(`Unexpected argument "${positionals[1]}".`);
    if (!['latest', 'rollback', 'status'].includes(command)) throw usageError(`Unknown command "${command}".`);
    if ((values.all || values.yes) && command !== 'rollback') throw usageError('--all and --yes go with rollback only.');
    if (values.all && !values.yes)
      throw usageError('rollback --all drops every table and all the data in them; add --yes to do it.');
    const { db, close } = await openStoreExclusively('migrate', {
      env,
      migrate: false,
      alternative: 'Stop the server first: it applies pending migrations itself when it starts.',
    });
    try {
      if (command === 'latest') {
        const [, applied] = (await db.migrate.latest()) as [number, string[]];
        out(applied.length ? `Applied ${applied.join(', ')}\n` : 'Already up to date.\n');
      } else if (command === 'rollback') {
        const [batch, undone] = (await db.migrate.rollback(undefined, values.all === true)) as [number, string[]];
        out(
          undone.length
            ? `Rolled back ${values.all ? 'every migration' : `batch ${batch}`}: ${undone.join(', ')}\n`
            : 'Nothing to roll back.\n',
        );
      } else {
        const [done, pending] = (await db.migrate.list()) as [Array<{ name: string }>, Array<{ file: string }>];
        out(
          `Applied: ${done.map((item) => item.name).join(', ') || 'none'}\nPending: ${pending.map((item) => item.file).join(', ') || 'none'}\n`,
        );
      }
    } finally {
      await close();
    }
    return 0;
  },
};

runWhenMain(import.meta.url, migrateCommand);
