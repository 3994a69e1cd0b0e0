// npm run jurisdictions -- list | add ID [--name NAME] [--time-zone ZONE] | rename OLD NEW | remove ID
// The server serves the jurisdiction OPEN311_JURISDICTION_ID names and refuses to start on a store that
// holds others but not that one; this tool is how such a store is put right. Needs the store to itself.
import { parseArgs } from 'node:util';
import { addJurisdiction, removeJurisdiction, renameJurisdiction, summarizeJurisdictions } from '../store/jurisdictions-store.js';
import { runWhenMain, usageError, type Command } from './command.js';
import { openStoreExclusively } from './store-access.js';

const USAGE = `Usage:
  npm run jurisdictions -- list                       id, name, time zone, services and requests of each
  npm run jurisdictions -- add ID [--name NAME] [--time-zone ZONE]
                                                      serve one more jurisdiction (jurisdiction_id becomes required)
  npm run jurisdictions -- rename OLD NEW             give a jurisdiction a new id, with all its services and requests
  npm run jurisdictions -- remove ID                  remove a jurisdiction that has no services and no requests
Stop the server first (it holds the embedded store); then set OPEN311_JURISDICTION_ID to match.`;

const JURISDICTION_ID = /^[A-Za-z0-9._-]{1,100}$/;

function checkId(id: string | undefined, what: string): string {
  if (!id) throw usageError(`${what} is missing.`);
  if (!JURISDICTION_ID.test(id)) throw usageError(`${what} "${id}" may only contain letters, digits, ".", "_" and "-".`);
  return id;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const jurisdictionsCommand: Command = {
  usage: USAGE,
  async run(argv, { env, out }) {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string' }, 'time-zone': { type: 'string' } },
    });
    const [command, first, second] = positionals;
    const expected: Record<string, number> = { list: 1, add: 2, rename: 3, remove: 2 };
    if (!command) throw usageError('Say what to do: list, add, rename or remove.');
    if (!Object.hasOwn(expected, command)) throw usageError(`Unknown command "${command}".`);
    if (positionals.length > expected[command]!) throw usageError(`Unexpected argument "${positionals[expected[command]!]}".`);
    if ((values.name !== undefined || values['time-zone'] !== undefined) && command !== 'add')
      throw usageError('--name and --time-zone go with add only.');
    const zone = values['time-zone'];
    if (zone !== undefined && !isTimeZone(zone)) throw usageError(`--time-zone "${zone}" is not an IANA time zone.`);
    const ids =
      command === 'rename'
        ? [checkId(first, 'The current id'), checkId(second, 'The new id')]
        : command === 'list'
          ? []
          : [checkId(first, 'The jurisdiction id')];

    const { config, db, close } = await openStoreExclusively('jurisdictions', { env });
    try {
      if (command === 'list') {
        const rows = await summarizeJurisdictions(db);
        if (rows.length === 0) out('No jurisdictions (the server creates the configured one when it starts).\n');
        for (const row of rows) {
          const configured = row.jurisdiction_id === config.jurisdictionId ? '\t(configured)' : '';
          out(
            `${row.jurisdiction_id}\t${row.name}\t${row.time_zone}\t${row.services} services\t${row.requests} requests${configured}\n`,
          );
        }
      } else if (command === 'add') {
        await addJurisdiction(db, {
          jurisdiction_id: ids[0]!,
          name: values.name?.trim() || ids[0]!,
          time_zone: zone ?? config.timeZone,
        });
        out(`Added ${ids[0]}. With several jurisdictions, every GeoReport call must name its jurisdiction_id.\n`);
      } else if (command === 'rename') {
        const moved = await renameJurisdiction(db, ids[0]!, ids[1]!);
        out(`Renamed ${ids[0]} to ${ids[1]} (${moved} rows moved). Set OPEN311_JURISDICTION_ID=${ids[1]}.\n`);
      } else {
        await removeJurisdiction(db, ids[0]!);
        out(`Removed ${ids[0]}.\n`);
      }
    } finally {
      await close();
    }
    return 0;
  },
};

runWhenMain(import.meta.url, jurisdictionsCommand);
