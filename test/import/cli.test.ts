// The import command itself, run as a real process: --help, the refusals it shares with the other tools (a
// store of another jurisdiction, a data folder a server owns), a mapped CSV import with its printed summary,
// and --strict's exit code.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EXIT_CODES } from '../../src/errors.js';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { migrateLatest, openDb } from '../../src/store/db.js';
import { addJurisdiction, storedJurisdictionIds } from '../../src/store/jurisdictions-store.js';
import { ctx } from '../helpers/test-server.js';
import { removeJurisdictions } from './support.js';

const run = promisify(execFile);
const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'import');
const JURISDICTION = 'cli.import.test';

/**
 * Runs the command on the suite's store (its DATABASE_URL, or a new empty data folder); `embedded` runs it on
 * that data folder instead, whatever the suite's store.
 */
async function cli(
  args: string[],
  options: { embedded?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dataDirectory = options.embedded ?? fs.mkdtempSync(path.join(os.tmpdir(), 'open311-import-cli-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDirectory,
    OPEN311_JURISDICTION_ID: JURISDICTION,
    OPEN311_JURISDICTION_NAME: 'CLI test city',
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  if (options.embedded) {
    // With the store's URL go the settings that need it (the PgBouncer and replica runs set them for the suite).
    delete env.DATABASE_URL;
    delete env.DATABASE_LISTEN_URL;
    delete env.DATABASE_READ_URL;
  }
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', ...args], {
      cwd: PROJECT_ROOT,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  } finally {
    if (!options.embedded) fs.rmSync(dataDirectory, { recursive: true, force: true });
  }
}

describe('npm run import (the command)', function () {
  this.timeout(400_000);
  // On PostgreSQL the suite's store holds other jurisdictions: the import's own is added deliberately, as a
  // city would (npm run jurisdictions -- add), since a tool never adds a second jurisdiction by itself.
  before(async () => {
    if (ctx().config.databaseUrl)
      await addJurisdiction(ctx().db, { jurisdiction_id: JURISDICTION, name: 'CLI test city', time_zone: 'America/New_York' });
  });
  after(async () => {
    if (ctx().config.databaseUrl) await removeJurisdictions([JURISDICTION]);
  });

  it('--help prints the usage and exits 0', async () => {
    const answer = await cli(['--help']);
    expect(answer.code).to.equal(0);
    expect(answer.stdout).to.include('npm run import -- open311 BASE_URL').and.include('npm run import -- csv FILE');
  });

  it('refuses a store of another jurisdiction (exit 5, nothing added) and a data folder a server owns (exit 4, its pid)', async () => {
    const file = path.join(FIXTURES, 'city-export.csv');
    const mapping = path.join(FIXTURES, 'city-mapping.json');
    const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-import-other-'));
    const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      const db = openDb({ dataDirectory, holder: 'test' });
      try {
        await migrateLatest(db);
        await addJurisdiction(db, { jurisdiction_id: 'springfield.example', name: 'Springfield', time_zone: 'UTC' });
      } finally {
        await db.destroy();
      }
      const refused = await cli(['csv', file, '--map', mapping], { embedded: dataDirectory });
      expect(refused.code, refused.stderr).to.equal(EXIT_CODES.storeMismatch);
      expect(refused.stderr).to.include(`OPEN311_JURISDICTION_ID is ${JURISDICTION}`).and.include('springfield.example');
      const reopened = openDb({ dataDirectory, holder: 'test' });
      try {
        expect(await storedJurisdictionIds(reopened)).to.deep.equal(['springfield.example']);
      } finally {
        await reopened.destroy();
      }
      // A live process holds the folder (as a running server does): refused, naming it, without the staff API.
      fs.writeFileSync(
        path.join(dataDirectory, 'open311.lock'),
        JSON.stringify({ pid: sleeper.pid, token: 'held', holder: 'server', started_at: new Date().toISOString() }),
      );
      const held = await cli(['csv', file, '--map', mapping], {
        embedded: dataDirectory,
        env: { OPEN311_JURISDICTION_ID: 'springfield.example' },
      });
      expect(held.code, held.stderr).to.equal(EXIT_CODES.dataFolderInUse);
      expect(held.stderr).to.include(`pid ${sleeper.pid}`).and.include('Stop the server first');
      expect(held.stderr).not.to.include('staff API');
    } finally {
      sleeper.kill();
      fs.rmSync(dataDirectory, { recursive: true, force: true });
    }
  });

  it('imports a mapped CSV, printing counts and each bad row; --strict exits 1 at the first bad row', async () => {
    const file = path.join(FIXTURES, 'city-export.csv');
    const mapping = path.join(FIXTURES, 'city-mapping.json');
    // Refused before the store is opened.
    const badMapping = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'open311-map-')), 'map.json');
    fs.writeFileSync(badMapping, JSON.stringify({ columns: { service_request_id: 'Case Number', colour: 'Red' } }));
    const refused = await cli(['csv', file, '--map', badMapping]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('The mapping is not valid').and.include('colour is not a known field of columns');
    const answer = await cli(['csv', file, '--map', mapping, '--dry-run']);
    expect(answer.code, answer.stderr).to.equal(0);
    expect(answer.stdout).to.include('Read 8 row(s).');
    expect(answer.stdout).to.include(
      'Requests: 4 new, 0 updated, 0 unchanged, 4 bad row(s) skipped (dry run: nothing was changed).',
    );
    expect(answer.stdout).to.include('line 5: its lat is not a latitude');
    const strict = await cli(['csv', file, '--map', mapping, '--strict', '--dry-run']);
    expect(strict.code).to.equal(1);
    expect(strict.stdout).to.include('stopped at the first bad row');
  });
});
