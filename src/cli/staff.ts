// npm run staff -- add --email E --name "N" [--role staff|admin] [--agency CODE ...]
// npm run staff -- link --email E [--reset-two-factor]
// npm run staff -- list
// npm run staff -- disable --email E
// Nobody gets a default password: `add` and `link` print a one-time sign-in link (24 h, one use) built
// from PUBLIC_URL; the person sets a password (and two-factor) after following it.
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import * as accounts from '../domain/staff-accounts.js';
import type { Db } from '../store/db.js';
import { findAccountByEmail } from '../store/staff-accounts-store.js';
import { usageError } from '../errors.js';
import { runWhenMain, type Command } from './command.js';
import { openStoreExclusively } from './store-access.js';

const HELP: Record<string, string> = {
  add: `Usage: npm run staff -- add --email E --name "Full Name" [--role staff|admin] [--agency CODE]...
Creates a staff account (role staff unless --role admin) and prints a one-time sign-in link
(valid ${accounts.SIGN_IN_LINK_HOURS} hours, single use). Nobody gets a default password.`,
  link: `Usage: npm run staff -- link --email E [--reset-two-factor]
Prints a new one-time sign-in link for an existing, active account (valid ${accounts.SIGN_IN_LINK_HOURS} hours, single use).
With two-factor sign-in on, the link asks for a code too; --reset-two-factor (a lost phone and lost recovery
codes) turns two-factor off and ends the person's sessions, so the link alone signs in and they set it up again.`,
  list: `Usage: npm run staff -- list
Lists staff accounts: id, e-mail, role, state, password / two-factor, name.`,
  disable: `Usage: npm run staff -- disable --email E
Deactivates the account; its sessions and unused links end at once.`,
};

const STAFF_USAGE = `Usage:
  npm run staff -- add --email E --name "Full Name" [--role staff|admin] [--agency CODE]...
  npm run staff -- link --email E [--reset-two-factor]
  npm run staff -- list
  npm run staff -- disable --email E
Add --help after a command for its details.`;

class UsageError extends Error {}

/** Who the audit trail names for what this command does: the operator at the server's command line. */
const COMMAND_LINE = { key_id: null, staff_id: null, name: 'command line' };

/** Runs one command against an open store; returns what to print. Tests call this in-process. */
export async function runStaffCommand(argv: string[], db: Db, config: Config): Promise<string> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', default: 'staff' },
      agency: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
      'reset-two-factor': { type: 'boolean' },
    },
  });
  const [command] = positionals;
  if (!command) return STAFF_USAGE;
  const help = HELP[command];
  if (help === undefined) throw new UsageError(`Unknown command "${command}".\n${STAFF_USAGE}`);
  if (values.help) return help;
  const email = values.email?.trim();
  if (command !== 'list' && !email) throw new UsageError(`${command} needs --email.\n${help}`);
  if (email && !/^[^\s@]{1,64}@[^\s@]{1,253}$/.test(email)) throw new UsageError(`"${email}" is not an e-mail address.`);

  if (command === 'add') {
    const name = values.name?.trim();
    if (!name) throw new UsageError(`add needs --name.\n${help}`);
    const role = values.role;
    if (role !== 'staff' && role !== 'admin') throw new UsageError('--role must be staff or admin.');
    const account = await accounts.createAccount(db, { email: email!, display_name: name, role, agencies: values.agency ?? [] });
    const link = await accounts.issueSignInLink(db, account, 'command line', config.publicUrl);
    await accounts.auditAccount(db, COMMAND_LINE, account.id, 'create', { email: account.email, role: account.role });
    return `Created ${account.role} account #${account.id} for ${account.display_name} <${account.email}>.
One-time sign-in link (valid until ${link.expires_at.toISOString()}, works once):
${link.url}`;
  }
  if (command === 'list') {
    const all = await accounts.listAccounts(db);
    if (all.length === 0) return 'No staff accounts.';
    return all
      .map((account) =>
        [
          `#${account.id}`,
          account.email,
          account.role,
          account.active ? 'active' : 'deactivated',
          `${account.has_password ? 'password' : 'no password'}${account.two_factor ? ' + 2FA' : ''}`,
          account.display_name,
        ].join('\t'),
      )
      .join('\n');
  }
  const account = await findAccountByEmail(db, email!);
  if (!account) throw new UsageError(`No staff account for ${email}.`);
  if (command === 'link') {
    const reset = values['reset-two-factor'] === true && account.two_factor;
    if (reset) {
      await accounts.changeAccount(db, account.id, { two_factor: false });
      await accounts.auditAccount(db, COMMAND_LINE, account.id, 'update', { two_factor: false });
    }
    const link = await accounts.issueSignInLink(db, account, 'command line', config.publicUrl);
    await accounts.auditAccount(db, COMMAND_LINE, account.id, 'sign_in_link', {});
    return `${reset ? `Two-factor sign-in of ${account.email} is off and their sessions have ended; they set it up again after signing in.\n` : ''}One-time sign-in link for ${account.email} (valid until ${link.expires_at.toISOString()}, works once):\n${link.url}`;
  }
  await accounts.deactivateAccount(db, account.id);
  await accounts.auditAccount(db, COMMAND_LINE, account.id, 'deactivate', { active: { from: account.active, to: false } });
  return `Deactivated ${account.email}; their sessions and unused links have ended.`;
}

/** The help text of `argv` when it asks for help (per command), else undefined. */
function helpFor(argv: string[]): string | undefined {
  if (!argv.some((argument) => argument === '--help' || argument === '-h')) return undefined;
  const command = argv.find((argument) => !argument.startsWith('-'));
  return (command !== undefined && Object.hasOwn(HELP, command) ? HELP[command] : undefined) ?? STAFF_USAGE;
}

// Needs the store to itself: on the embedded store it is refused while the server runs (naming its pid);
// the staff API (/api/v1/staff) does the same work then.
export const staffCommand: Command = {
  usage: STAFF_USAGE,
  help: helpFor,
  async run(argv, { env, out }) {
    const { config, db, close } = await openStoreExclusively('staff', {
      env,
      alternative: 'Stop the server first, or manage accounts through the staff API (/api/v1/staff) while it runs.',
    });
    try {
      out(`${await runStaffCommand(argv, db, config)}\n`);
    } catch (error) {
      if (
        error instanceof UsageError ||
        (error instanceof Error && /^ERR_PARSE_ARGS/.test((error as { code?: string }).code ?? ''))
      )
        throw usageError(error.message);
      throw error;
    } finally {
      await close();
    }
    return 0;
  },
};

runWhenMain(import.meta.url, staffCommand);
