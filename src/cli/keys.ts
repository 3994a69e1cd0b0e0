// npm run keys -- create --name "FixMyStreet" [--role client|staff|admin]
// npm run keys -- list
// npm run keys -- revoke <id | name | key prefix>
// A new key is printed once and stored only as its SHA-256 hash. Works whether or not the server runs: on the
// embedded store a running server does the work (src/cli/store-access.ts), so there is never a second writer.
import { parseArgs } from 'node:util';
import type { KeyRole } from '../store/api-keys-store.js';
import { runWhenMain, usageError, type Command } from './command.js';
import { runOperation } from './store-access.js';

const USAGE = `Usage:
  npm run keys -- create --name "Who uses it" [--role client|staff|admin]
  npm run keys -- list
  npm run keys -- revoke <id | name | key prefix>
Uses the server's configuration (DATABASE_URL or DATA_DIR); works while the server runs.`;

const iso = (value: unknown): string => new Date(value as string).toISOString();

export const keysCommand: Command = {
  usage: USAGE,
  async run(argv, { env, out, err }) {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string' }, role: { type: 'string', default: 'client' } },
    });
    const [command, selector] = positionals;
    if (!command) throw usageError('Say what to do: create, list or revoke.');
    if (!['create', 'list', 'revoke'].includes(command)) throw usageError(`Unknown command "${command}".`);
    const role = values.role as KeyRole;
    if (!['client', 'staff', 'admin'].includes(role)) throw usageError('--role must be client, staff or admin.');
    if (command === 'create' && !values.name?.trim()) throw usageError('create needs --name "who uses the key".');
    if (command === 'revoke' && !selector) throw usageError('revoke needs the id, name or prefix of the key.');

    if (command === 'create') {
      const created = await runOperation('keys', 'keys.create', { name: values.name!.trim(), role }, env);
      out(`Created ${created.role} key #${created.id} "${created.name}".\nKey (shown once, store it now): ${created.key}\n`);
    } else if (command === 'list') {
      const keys = await runOperation('keys', 'keys.list', {}, env);
      if (keys.length === 0) out('No API keys.\n');
      for (const key of keys) {
        const state = key.revoked_at ? `revoked ${iso(key.revoked_at)}` : 'active';
        out(`#${key.id}\t${key.key_prefix}…\t${key.role}\t${state}\t${key.name}\n`);
      }
    } else {
      const { revoked } = await runOperation('keys', 'keys.revoke', { selector: selector! }, env);
      if (revoked === 0) {
        err(`No active key matches "${selector}".\n`);
        return 1;
      }
      out(`Revoked ${revoked} key${revoked === 1 ? '' : 's'}.\n`);
    }
    return 0;
  },
};

runWhenMain(import.meta.url, keysCommand);
