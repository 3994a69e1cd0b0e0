// npm run keys -- create --name "FixMyStreet" [--role client|staff|admin]
// npm run keys -- list
// npm run keys -- revoke <id | name | key prefix>
// A new key is printed once and stored only as its SHA-256 hash.
import { parseArgs } from 'node:util';
import { createKey, listKeys, revokeKey, type KeyRole } from '../store/api-keys-store.js';
import { fail, openConfiguredStore } from './open-store.js';

const USAGE = `Usage:
  npm run keys -- create --name "Who uses it" [--role client|staff|admin]
  npm run keys -- list
  npm run keys -- revoke <id | name | key prefix>`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, role: { type: 'string', default: 'client' }, help: { type: 'boolean' } },
  });
  const [command, selector] = positionals;
  if (values.help || !command) fail(USAGE);
  if (!['create', 'list', 'revoke'].includes(command)) fail(`Unknown command "${command}".\n${USAGE}`);
  const role = values.role as KeyRole;
  if (!['client', 'staff', 'admin'].includes(role)) fail('--role must be client, staff or admin.');
  if (command === 'create' && !values.name?.trim()) fail('create needs --name "who uses the key".');
  if (command === 'revoke' && !selector) fail('revoke needs the id, name or prefix of the key.');

  const { db } = await openConfiguredStore();
  try {
    if (command === 'create') {
      const { key, record } = await createKey(db, values.name!.trim(), role, undefined, { staff_id: null, name: 'command line' });
      process.stdout.write(
        `Created ${record.role} key #${record.id} "${record.name}".\n` + `Key (shown once, store it now): ${key}\n`,
      );
    } else if (command === 'list') {
      const keys = await listKeys(db);
      if (keys.length === 0) process.stdout.write('No API keys.\n');
      for (const key of keys) {
        const state = key.revoked_at ? `revoked ${key.revoked_at.toISOString()}` : 'active';
        process.stdout.write(`#${key.id}\t${key.key_prefix}…\t${key.role}\t${state}\t${key.name}\n`);
      }
    } else {
      const count = await revokeKey(db, selector!);
      if (count === 0) {
        process.stderr.write(`No active key matches "${selector}".\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write(`Revoked ${count} key${count === 1 ? '' : 's'}.\n`);
      }
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => fail(`keys: ${error instanceof Error ? error.message : String(error)}`));
