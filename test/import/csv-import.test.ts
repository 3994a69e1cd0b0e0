// npm run import -- csv: the GeoReport bulk layout (a fixture, and a round trip through our own bulk export),
// and a city's own export through a mapping with date formats and value maps, bad rows reported by line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { BULK_CSV_MAPPING, type CsvMapping } from '../../src/domain/import.js';
import { importFromCsv } from '../../src/import/csv-import.js';
import { createLogger } from '../../src/logger.js';
import { ensureJurisdiction } from '../../src/store/catalog-store.js';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { ctx, testConfig } from '../helpers/test-server.js';
import { addSourceRequests, makeSourceJurisdiction, removeJurisdictions } from './support.js';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'import');
const CITY_MAPPING = (() => {
  const raw = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'city-mapping.json'), 'utf8')) as {
    columns: Record<string, string | { column: string }>;
    time_zone: string;
  };
  const columns: CsvMapping['columns'] = {};
  for (const [field, rule] of Object.entries(raw.columns)) {
    (columns as Record<string, unknown>)[field] = typeof rule === 'string' ? { column: rule } : rule;
  }
  return { columns, time_zone: raw.time_zone } as CsvMapping;
})();
const targets: string[] = [];

async function newTarget(name: string) {
  const target = { jurisdiction_id: `${name}.csv.import.test`, name: `CSV ${name}`, time_zone: 'America/New_York' };
  await ensureJurisdiction(ctx().db, target);
  targets.push(target.jurisdiction_id);
  return target;
}

const run = (
  target: { jurisdiction_id: string; time_zone: string },
  file: string,
  extra: Partial<Parameters<typeof importFromCsv>[2]> = {},
) =>
  importFromCsv(ctx().db, target, {
    file,
    mapping: BULK_CSV_MAPPING,
    source: `csv:${path.basename(file)}`,
    dryRun: false,
    notify: false,
    strict: false,
    ...extra,
  });

async function rows(jurisdiction: string) {
  return ctx()
    .db('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .where('r.jurisdiction_id', jurisdiction)
    .select(
      'r.external_id',
      's.service_code',
      's.service_name',
      's.active',
      'r.status',
      'r.detailed_status',
      'r.status_notes',
      'r.description',
      'r.address',
      'r.channel',
      'r.requested_datetime',
      'r.closed_datetime',
      ctx().db.raw('ST_Y(r.location::geometry) AS lat'),
    )
    .orderBy('r.external_id');
}

describe('import from a CSV export (npm run import -- csv)', function () {
  this.timeout(120_000);
  after(async () => {
    await removeJurisdictions([...targets, 'csvsource.import.test']);
  });

  it('reads the GeoReport bulk layout: quoting, offsets, status words, missing coordinates; a re-run changes nothing', async () => {
    const target = await newTarget('bulk');
    const file = path.join(FIXTURES, 'bulk.csv');
    const report = await run(target, file);
    expect(report.problems).to.deep.equal([]);
    expect(report.counts).to.deep.equal({ created: 3, updated: 0, unchanged: 0 });
    expect(report.services_created.sort()).to.deep.equal(['BULK_GRAFFITI', 'BULK_POTHOLE']);
    const stored = await rows(target.jurisdiction_id);
    expect(stored.map((row) => [row.external_id, row.status, row.detailed_status])).to.deep.equal([
      ['B-1001', 'closed', 'closed'],
      ['B-1002', 'open', 'in_progress'],
      ['B-1003', 'open', 'submitted'],
    ]);
    expect(stored[0]).to.deep.include({
      description: 'Deep hole, "near" the curb',
      status_notes: 'Patched',
      channel: 'import:phone',
      active: false,
    });
    expect(new Date(stored[0]!.requested_datetime).toISOString()).to.equal('2026-03-02T13:15:00.000Z');
    expect(new Date(stored[0]!.closed_datetime).toISOString()).to.equal('2026-03-04T15:00:00.000Z');
    expect(stored[2]!.lat).to.equal(null);

    const again = await run(target, file);
    expect(again.counts).to.deep.equal({ created: 0, updated: 0, unchanged: 3 });
    expect(await rows(target.jurisdiction_id)).to.have.length(3);
  });

  it('round-trips our own bulk export into another jurisdiction', async () => {
    await makeSourceJurisdiction('csvsource.import.test');
    const made = await addSourceRequests('csvsource.import.test', 12, 60);
    const { app } = createApp({ config: testConfig(), db: ctx().db, logger: createLogger('silent') });
    const exported = await request(app).get('/open311/bulk/requests.csv?jurisdiction_id=csvsource.import.test');
    expect(exported.status).to.equal(200);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'open311-import-')), 'export.csv');
    fs.writeFileSync(file, exported.text);
    const target = await newTarget('roundtrip');
    const report = await run(target, file);
    expect(report.counts.created).to.equal(12);
    const stored = await rows(target.jurisdiction_id);
    expect(stored.map((row) => row.external_id).sort()).to.deep.equal(made.map((entry) => entry.id).sort());
    for (const row of stored) {
      const original = made.find((entry) => entry.id === row.external_id)!;
      expect(row.status).to.equal(original.status);
      expect(row.service_code).to.equal(original.service_code);
    }
  });

  it('reads a city export through a mapping; bad rows are reported by line and skipped', async () => {
    const target = await newTarget('mapped');
    const report = await run(target, path.join(FIXTURES, 'city-export.csv'), { mapping: CITY_MAPPING, source: 'city-export' });
    expect(report.problems).to.deep.equal([
      { where: 'line 4', reason: 'its requested_datetime is not a date' },
      { where: 'line 5', reason: 'its lat is not a latitude' },
      { where: 'line 6', reason: 'its status is neither open nor closed' },
      { where: 'line 8', reason: 'it has no service_request_id' },
    ]);
    expect(report.counts.created).to.equal(4);
    const stored = await rows(target.jurisdiction_id);
    expect(stored.map((row) => [row.external_id, row.service_code, row.status, row.detailed_status])).to.deep.equal([
      ['C-1', 'PH', 'closed', 'closed'],
      ['C-2', 'PH', 'open', 'in_progress'],
      ['C-6', 'SL', 'closed', 'closed'],
      ['C-8', 'GR', 'open', 'submitted'],
    ]);
    expect(stored[0]).to.deep.include({
      service_name: 'Pothole Repair',
      status_notes: 'Filled with cold patch',
      address: '12 Main St, Lancaster',
    });
    // 08:15 AM in New York in March (EST) is 13:15 UTC; 01:30 PM the next day.
    expect(new Date(stored[0]!.requested_datetime).toISOString()).to.equal('2026-03-02T13:15:00.000Z');
    expect(new Date(stored[0]!.closed_datetime).toISOString()).to.equal('2026-03-03T18:30:00.000Z');
  });

  it('--strict stops at the first bad row; batches before it stay whole, the one holding it is not written', async () => {
    const target = await newTarget('strict');
    const report = await run(target, path.join(FIXTURES, 'city-export.csv'), {
      mapping: CITY_MAPPING,
      source: 'city-export',
      strict: true,
      batchSize: 2,
    });
    expect(report.stopped).to.equal(true);
    expect(report.problems).to.deep.equal([{ where: 'line 4', reason: 'its requested_datetime is not a date' }]);
    expect((await rows(target.jurisdiction_id)).map((row) => row.external_id)).to.deep.equal(['C-1', 'C-2']);
  });

  it('writes batches side by side: each row once, the newest version of an id wins, a new service is made once', async () => {
    const target = await newTarget('parallel');
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-parallel-import-'));
    const file = path.join(directory, 'requests.csv');
    const header =
      'service_request_id,requested_datetime,updated_datetime,closed_date,status_description,status_notes,source,service_name,service_code,service_subtype,description,agency_responsible,address,lat,long';
    const line = (id: string, updated: string, description: string, code: string) =>
      `${id},2026-01-05T10:00:00Z,${updated},,open,,web,Service ${code},${code},,${description},,1 Main St,39.71,-82.6`;
    const lines = [header];
    for (let index = 0; index < 60; index += 1)
      lines.push(line(`P-${index}`, '2026-01-06T10:00:00Z', `row ${index}`, `PAR_${index % 3}`));
    // The same ids again in later batches: one newer (wins), one older (loses) than its first version.
    lines.push(line('P-1', '2026-01-07T10:00:00Z', 'newer version', 'PAR_1'));
    lines.push(line('P-2', '2026-01-05T11:00:00Z', 'older version', 'PAR_2'));
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    try {
      const report = await run(target, file, { batchSize: 4, writers: 3 });
      expect(report.problem_count).to.equal(0);
      expect(report.counts).to.deep.equal({ created: 60, updated: 1, unchanged: 1 });
      expect([...report.services_created].sort()).to.deep.equal(['PAR_0', 'PAR_1', 'PAR_2']);
      const stored = await rows(target.jurisdiction_id);
      expect(stored).to.have.length(60);
      expect(stored.find((row) => row.external_id === 'P-1')?.description).to.equal('newer version');
      expect(stored.find((row) => row.external_id === 'P-2')?.description).to.equal('row 2');
      const again = await run(target, file, { batchSize: 4, writers: 3 });
      expect(again.counts).to.deep.equal({ created: 0, updated: 0, unchanged: 62 });
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it('keeps a request to the services of its own jurisdiction (one key for jurisdiction and service)', async () => {
    const target = await newTarget('foreign');
    const other = await ctx().db('services').whereNot('jurisdiction_id', target.jurisdiction_id).select('id').first();
    try {
      await ctx().db('service_requests').insert({ jurisdiction_id: target.jurisdiction_id, service_id: other.id });
      expect.fail("a request with another jurisdiction's service must be refused");
    } catch (error) {
      expect((error as { code?: string }).code).to.equal('23503');
    }
  });

  it('--dry-run reports the counts and writes nothing; a file without the mapped columns is refused', async () => {
    const target = await newTarget('dry');
    const report = await run(target, path.join(FIXTURES, 'city-export.csv'), {
      mapping: CITY_MAPPING,
      source: 'city-export',
      dryRun: true,
    });
    expect(report.counts.created).to.equal(4);
    expect(await rows(target.jurisdiction_id)).to.deep.equal([]);
    const services = await ctx().db('services').where('jurisdiction_id', target.jurisdiction_id).count({ n: '*' }).first();
    expect(Number(services?.n)).to.equal(0);
    try {
      await run(target, path.join(FIXTURES, 'bulk.csv'), { mapping: CITY_MAPPING });
      expect.fail('a file without the mapped columns must be refused');
    } catch (error) {
      expect((error as Error).message).to.equal(
        'The file has no column "Case Number", "Type Code", "Request Type", "Status", "Resolution", "Opened", "Closed", "Location", "Latitude", "Longitude" that the mapping names.',
      );
    }
    // Not CSV from some line on (a stray quote): refused with that line, nothing written.
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-csv-'));
    const broken = path.join(directory, 'broken.csv');
    fs.writeFileSync(
      broken,
      `${fs.readFileSync(path.join(FIXTURES, 'bulk.csv'), 'utf8').split('\n')[0]}\nB-1,2024-01-01T00:00:00Z,x"y\n`,
    );
    try {
      await run(target, broken);
      expect.fail('a file that is not CSV must be refused');
    } catch (error) {
      expect((error as Error).message).to.equal(
        'The file is not valid CSV at line 2: a quote in a field that does not start with one.',
      );
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
    expect(await rows(target.jurisdiction_id)).to.deep.equal([]);
  });
});
