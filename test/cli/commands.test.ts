// The command-line tools, run in-process (execute() is what the programs run): --help, migrate's rollback,
// jurisdictions, and the start-up checks they share with the server. The tools that must run as separate
// processes (two writers, backups under load) are in test/hardening/data-folder.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { DEMO_CATALOG } from '../../src/store/demo-catalog.js';
import { createApp } from '../../src/app.js';
import { backupCommand } from '../../src/cli/backup.js';
import { execute, type Command } from '../../src/cli/command.js';
import { jurisdictionsCommand } from '../../src/cli/jurisdictions.js';
import { keysCommand } from '../../src/cli/keys.js';
import { migrateCommand } from '../../src/cli/migrate.js';
import { restoreCommand } from '../../src/cli/restore.js';
import { seedCommand } from '../../src/cli/seed.js';
import { seedSyntheticCommand } from '../../src/cli/seed-synthetic.js';
import { staffCommand } from '../../src/cli/staff.js';
import { DEMO_JURISDICTION_ID, loadConfig } from '../../src/config.js';
import { EXIT_CODES, OperatorError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { upsertCatalog } from '../../src/store/catalog-store.js';
import { openDb } from '../../src/store/db.js';
import { addJurisdiction, removeJurisdiction, renameJurisdiction } from '../../src/store/jurisdictions-store.js';
import { ensureConfiguredJurisdiction } from '../../src/store/seed.js';
import { BASE, ctx, unique } from '../helpers/test-server.js';

const COMMANDS: Record<string, Command> = {
  keys: keysCommand,
  migrate: migrateCommand,
  seed: seedCommand,
  'seed-synthetic': seedSyntheticCommand,
  jurisdictions: jurisdictionsCommand,
  backup: backupCommand,
  restore: restoreCommand,
  staff: staffCommand,
};

/** Runs a tool in-process on an embedded data folder (never on the suite's DATABASE_URL). */
async function run(command: Command, argv: string[], dataDirectory: string, extra: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const env = { DATA_DIR: dataDirectory, LOG_LEVEL: 'silent', ...extra };
  const code = await execute(command, argv, { env, out: (text) => (out += text), err: (text) => (err += text) }, 'tool');
  return { code, out, err };
}

const temporaryFolder = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `open311-${prefix}-`));

describe('command-line tools', () => {
  describe('--help', () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      it(`${name} --help prints its usage, exits 0 and touches no store`, async () => {
        const parent = temporaryFolder('help');
        const dataDirectory = path.join(parent, 'data');
        try {
          for (const argv of [['--help'], ['-h'], ['list', '--help']]) {
            const answer = await run(command, argv, dataDirectory);
            expect(answer.code, answer.err).to.equal(0);
            expect(answer.out).to.match(/^Usage/);
            expect(answer.out).to.include(`npm run ${name === 'seed-synthetic' ? 'seed:synthetic' : name}`);
            expect(answer.err).to.equal('');
          }
          expect(fs.existsSync(dataDirectory), 'the data folder was created: the tool did something').to.equal(false);
        } finally {
          fs.rmSync(parent, { recursive: true, force: true });
        }
      });
    }

    it('a usage error is one message, the usage, and exit code 2', async () => {
      const parent = temporaryFolder('usage');
      try {
        const answer = await run(keysCommand, ['frobnicate'], path.join(parent, 'data'));
        expect(answer.code).to.equal(EXIT_CODES.usage);
        expect(answer.err).to.match(/^tool: Unknown command "frobnicate"\.\nUsage/);
        expect(answer.err).not.to.match(/\n\s+at /);
      } finally {
        fs.rmSync(parent, { recursive: true, force: true });
      }
    });
  });

  describe('migrate and jurisdictions on a data folder of their own', function () {
    this.timeout(300_000);
    const parent = temporaryFolder('migrate');
    const dataDirectory = path.join(parent, 'data');
    after(() => fs.rmSync(parent, { recursive: true, force: true }));

    it('migrate -- rollback undoes the last batch only; --all needs --yes', async () => {
      // Two batches: all migrations but the last, then the last one.
      const db = openDb({ dataDirectory, holder: 'test' });
      let last: string;
      try {
        await db.migrate.latest();
        const [done] = (await db.migrate.list()) as [Array<{ name: string }>];
        last = done.at(-1)!.name;
        await db.migrate.down();
        await db.migrate.up();
        expect(await db.schema.hasTable('jurisdictions')).to.equal(true);
      } finally {
        await db.destroy();
      }

      const rolledBack = await run(migrateCommand, ['rollback'], dataDirectory);
      expect(rolledBack.code, rolledBack.err).to.equal(0);
      expect(rolledBack.out).to.equal(`Rolled back batch 2: ${last}\n`);

      const status = await run(migrateCommand, ['status'], dataDirectory);
      expect(status.out).to.include(`Pending: ${last}\n`);
      expect(status.out).to.match(/Applied: 2026\d+_postgis\.ts/);

      const refused = await run(migrateCommand, ['rollback', '--all'], dataDirectory);
      expect(refused.code).to.equal(EXIT_CODES.usage);
      expect(refused.err).to.include('add --yes');
      expect((await run(migrateCommand, ['status'], dataDirectory)).out).to.match(/Applied: 2026\d+_postgis\.ts/);

      const latest = await run(migrateCommand, [], dataDirectory);
      expect(latest.out).to.equal(`Applied ${last}\n`);
    });

    it('jurisdictions -- list, add, rename and remove (only an empty one)', async () => {
      const seeded = await run(seedCommand, [], dataDirectory);
      expect(seeded.code, seeded.err).to.equal(0);
      const listed = await run(jurisdictionsCommand, ['list'], dataDirectory);
      expect(listed.out).to.match(
        /^lancasterohio\.gov\tCity of Lancaster, Ohio\tAmerica\/New_York\t9 services\t0 requests\t\(configured\)\n$/,
      );

      const refused = await run(jurisdictionsCommand, ['remove', DEMO_JURISDICTION_ID], dataDirectory);
      expect(refused.code).to.equal(1);
      expect(refused.err).to.include('has 9 services and 0 requests; only an empty one can be removed');

      const renamed = await run(jurisdictionsCommand, ['rename', DEMO_JURISDICTION_ID, 'springfield.example'], dataDirectory);
      expect(renamed.code, renamed.err).to.equal(0);
      expect(renamed.out).to.include('Set OPEN311_JURISDICTION_ID=springfield.example');
      // The store now matches a server configured for the new id, with every service moved.
      const springfield = { OPEN311_JURISDICTION_ID: 'springfield.example', OPEN311_JURISDICTION_NAME: 'Springfield' };
      const after = await run(jurisdictionsCommand, ['list'], dataDirectory, springfield);
      expect(after.out).to.match(
        /^springfield\.example\tCity of Lancaster, Ohio\t\S+\t9 services\t0 requests\t\(configured\)\n$/,
      );
      expect((await run(seedCommand, [], dataDirectory, springfield)).code).to.equal(0);

      // A deliberate second jurisdiction, then its removal (it is empty).
      const added = await run(jurisdictionsCommand, ['add', 'shelbyville.example', '--name', 'Shelbyville'], dataDirectory);
      expect(added.code, added.err).to.equal(0);
      expect((await run(jurisdictionsCommand, ['list'], dataDirectory)).out).to.include('shelbyville.example\tShelbyville');
      expect((await run(jurisdictionsCommand, ['remove', 'shelbyville.example'], dataDirectory)).code).to.equal(0);
      expect((await run(jurisdictionsCommand, ['list'], dataDirectory)).out).not.to.include('shelbyville');
      const unknown = await run(jurisdictionsCommand, ['remove', 'nowhere.example'], dataDirectory);
      expect(unknown.code).to.equal(1);
      expect(unknown.err).to.include('No jurisdiction nowhere.example');
    });

    it('a tool on a store of another jurisdiction refuses, naming the stored one and the command to rename', async () => {
      const answer = await run(seedCommand, [], dataDirectory, { OPEN311_JURISDICTION_ID: 'capitalcity.example' });
      expect(answer.code).to.equal(EXIT_CODES.storeMismatch);
      expect(answer.err).to.include('OPEN311_JURISDICTION_ID is capitalcity.example');
      expect(answer.err).to.include('springfield.example');
      expect(answer.err).to.include('npm run jurisdictions -- rename springfield.example capitalcity.example');
      const listed = await run(jurisdictionsCommand, ['list'], dataDirectory);
      expect(listed.out).not.to.include('capitalcity');
    });
  });

  describe('jurisdictions in the store (both stores)', () => {
    it('start-up refuses a configured jurisdiction the store does not hold, and adds nothing', async () => {
      const { db, config } = ctx();
      const other = { jurisdictionId: unique('other-city'), jurisdictionName: 'Other City', timeZone: 'America/Chicago' };
      let thrown: unknown;
      try {
        await ensureConfiguredJurisdiction(db, other);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(OperatorError);
      expect((thrown as OperatorError).exitCode).to.equal(EXIT_CODES.storeMismatch);
      expect((thrown as Error).message).to.include(config.jurisdictionId);
      expect(await db('jurisdictions').where({ jurisdiction_id: other.jurisdictionId }).first()).to.equal(undefined);
      // The configured one is still accepted (and its name and zone updated as before).
      await ensureConfiguredJurisdiction(db, config);
    });

    it('rename moves services and requests; remove refuses a jurisdiction that has any', async () => {
      const { db } = ctx();
      const from = unique('rename-from');
      const to = unique('rename-to');
      await addJurisdiction(db, { jurisdiction_id: from, name: 'Old Name', time_zone: 'UTC' });
      try {
        await upsertCatalog(db, from, [DEMO_CATALOG.find((service) => service.service_code === 'SIDEWALK')!]);
        const service = await db('services').where({ jurisdiction_id: from }).first('id');
        await db('service_requests').insert({
          jurisdiction_id: from,
          service_id: service.id,
          status: 'open',
          description: unique('renamed request'),
          requested_datetime: new Date(),
          updated_datetime: new Date(),
        });
        const moved = await renameJurisdiction(db, from, to);
        expect(moved).to.be.at.least(2);
        expect(await db('jurisdictions').where({ jurisdiction_id: from }).first()).to.equal(undefined);
        expect((await db('jurisdictions').where({ jurisdiction_id: to }).first()).name).to.equal('Old Name');
        expect(Number((await db('services').where({ jurisdiction_id: to }).count({ n: '*' }))[0]!.n)).to.equal(1);
        expect(Number((await db('service_requests').where({ jurisdiction_id: to }).count({ n: '*' }))[0]!.n)).to.equal(1);
        let refused: unknown;
        try {
          await removeJurisdiction(db, to);
        } catch (error) {
          refused = error;
        }
        expect((refused as Error).message).to.include('has 1 services and 1 requests');
        let clash: unknown;
        try {
          await renameJurisdiction(db, to, ctx().config.jurisdictionId);
        } catch (error) {
          clash = error;
        }
        expect((clash as Error).message).to.include('already exists');
      } finally {
        for (const id of [from, to]) {
          await db('service_requests').where({ jurisdiction_id: id }).delete();
          await db('jurisdictions').where({ jurisdiction_id: id }).delete();
        }
      }
    });
  });

  describe("another city's discovery", () => {
    it('publishes neither Lancaster nor a command: contact and key_service come from the configured city', async () => {
      const config = loadConfig({
        OPEN311_JURISDICTION_ID: 'springfield.example',
        OPEN311_JURISDICTION_NAME: 'City of Springfield',
        PUBLIC_URL: 'https://311.springfield.example',
        LOG_LEVEL: 'silent',
        DATABASE_URL: process.env.DATABASE_URL,
      });
      expect(config.contact).to.equal('City of Springfield: https://311.springfield.example');
      expect(config.keyService).to.equal('Ask City of Springfield for an API key (https://311.springfield.example).');
      const { app } = createApp({ config, db: ctx().db, logger: createLogger('silent') });
      for (const format of ['json', 'xml']) {
        const answer = await request(app).get(`${BASE}/discovery.${format}`);
        expect(answer.status).to.equal(200);
        expect(answer.text).to.include('City of Springfield');
        expect(answer.text).not.to.match(/lancaster|740 687|npm run/i);
      }
      // The resident site too: its name and the contact it shows the public are the configured city's.
      expect(config.site.cityName).to.equal('City of Springfield');
      expect(config.site.contact).to.equal(config.contact);
      for (const path of ['/', '/about']) {
        const page = await request(app).get(path).set('Accept', 'text/html');
        expect(page.status, path).to.equal(200);
        expect(page.text, path).to.include('City of Springfield');
        expect(page.text, path).not.to.match(/lancaster|740 687/i);
      }
      // Only the name given: the id, not Lancaster's name.
      expect(loadConfig({ OPEN311_JURISDICTION_ID: 'springfield.example' }).jurisdictionName).to.equal('springfield.example');
    });

    it('the demo city keeps its contact, and its key_service names no command either', () => {
      const config = loadConfig({});
      expect(config.contact).to.include('311@lancasterohio.gov');
      expect(config.site.cityName).to.equal('Lancaster, Ohio');
      expect(config.site.contact).to.include('311@lancasterohio.gov');
      expect(
        loadConfig({ OPEN311_JURISDICTION_ID: 'springfield.example', SITE_CONTACT: 'Call 311', CITY_NAME: 'Springfield' }).site,
      ).to.include({ contact: 'Call 311', cityName: 'Springfield' });
      expect(config.keyService).to.include('311@lancasterohio.gov');
      expect(config.keyService).not.to.match(/npm|keys --|`/);
      expect(loadConfig({ OPEN311_KEY_SERVICE: 'https://example.org/keys' }).keyService).to.equal('https://example.org/keys');
    });
  });
});
