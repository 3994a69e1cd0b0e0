// The import command itself, run as a real process: --help, a mapped CSV import with its printed summary,
// and --strict's exit code.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { ctx } from '../helpers/test-server.js';
import { removeJurisdictions } from './support.js';

const run = promisify(execFile);
const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'import');
const JURISDICTION = 'cli.import.test';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-import-cli-'));
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDirectory,
        OPEN311_JURISDICTION_ID: JURISDICTION,
        OPEN311_JURISDICTION_NAME: 'CLI test city',
        LOG_LEVEL: 'silent',
      },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  } finally {
    fs.rmSync(dataDirectory, { recursive: true, force: true });
  }
}

describe('npm run import (the command)', function () {
  this.timeout(400_000);
  after(async () => {
    if (ctx().config.databaseUrl) await removeJurisdictions([JURISDICTION]);
  });

  it('--help prints the usage and exits 0', async () => {
    const answer = await cli(['--help']);
    expect(answer.code).to.equal(0);
    expect(answer.stdout).to.include('npm run import -- open311 BASE_URL').and.include('npm run import -- csv FILE');
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
