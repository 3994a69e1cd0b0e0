// npm run import -- open311: from a live instance of this server (a second jurisdiction of the test store),
// in both formats, through a source that caps its answers (so full windows must be split), a re-run that
// changes nothing, a change picked up by the next run, an interruption and its resume, and a dry run.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { importFromOpen311, type Open311ImportOptions } from '../../src/import/open311-import.js';
import { createLogger } from '../../src/logger.js';
import { ensureJurisdiction, upsertCatalog } from '../../src/store/catalog-store.js';
import { readCheckpoint } from '../../src/store/import-store.js';
import { queryQueue } from '../../src/store/staff-requests-store.js';
import { ctx, FORMATS, STANDARD_REQUEST_FIELDS, testConfig } from '../helpers/test-server.js';
import {
  addSourceRequests,
  DAY,
  makeSourceJurisdiction,
  removeJurisdictions,
  type Source,
  type SourceRequest,
  startSource,
} from './support.js';

const SOURCE = 'source.import.test';
const COUNT = 24;
let source: Source;
let made: SourceRequest[];
const targets: string[] = [];

async function newTarget(name: string): Promise<{ jurisdiction_id: string; time_zone: string }> {
  const target = { jurisdiction_id: `${name}.target.import.test`, name: `Target ${name}`, time_zone: 'America/New_York' };
  await ensureJurisdiction(ctx().db, target);
  targets.push(target.jurisdiction_id);
  // The city already has a streetlight service: the mapping sends the source's there.
  await upsertCatalog(ctx().db, target.jurisdiction_id, [
    { service_code: 'LIGHT', service_name: 'Streetlight out', type: 'realtime' },
  ]);
  return target;
}

function options(format: 'json' | 'xml', extra: Partial<Open311ImportOptions> = {}): Open311ImportOptions {
  return {
    baseUrl: source.url,
    sourceJurisdiction: SOURCE,
    format,
    since: new Date(Date.now() - 250 * DAY),
    serviceMap: new Map([['SRC-LIGHT', 'LIGHT']]),
    dryRun: false,
    notify: false,
    userAgent: 'open311-server-import-test',
    retryBaseMs: 10,
    ...extra,
  };
}

async function imported(jurisdiction: string) {
  return ctx()
    .db('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .where('r.jurisdiction_id', jurisdiction)
    .select(
      'r.external_id',
      'r.external_source',
      's.service_code',
      'r.status',
      'r.detailed_status',
      'r.status_notes',
      'r.description',
      'r.agency_responsible',
      'r.address',
      'r.zipcode',
      'r.requested_datetime',
      'r.closed_datetime',
      'r.channel',
      ctx().db.raw('ST_Y(r.location::geometry) AS lat'),
      ctx().db.raw('ST_X(r.location::geometry) AS long'),
      ctx().db.raw('(SELECT count(*)::int FROM service_request_updates u WHERE u.service_request_id = r.id) AS notes'),
    )
    .orderBy('r.requested_datetime');
}

describe('import from another Open311 server (npm run import -- open311)', function () {
  this.timeout(120_000);

  before(async () => {
    await makeSourceJurisdiction(SOURCE);
    made = await addSourceRequests(SOURCE, COUNT, 200);
    source = await startSource(SOURCE);
  });
  after(async () => {
    await source?.close();
    await removeJurisdictions([...targets, SOURCE]);
  });

  for (const format of FORMATS) {
    it(`imports catalog and requests from a source that caps answers at 5, splitting full windows (${format})`, async () => {
      const target = await newTarget(`capped-${format}`);
      source.cap = 5;
      source.calls = [];
      try {
        const report = await importFromOpen311(ctx().db, target, options(format, { maxPerAnswer: 5 }));
        expect(report.capabilities.paging).to.equal(false);
        expect(report.counts).to.deep.equal({ created: COUNT, updated: 0, unchanged: 0 });
        expect(report.problems).to.deep.equal([]);
        expect(report.warnings).to.deep.equal([]);
        // 250 days is three 90-day windows; each holds more than 5 requests, so each was split.
        expect(report.windows).to.equal(3);
        const windowCalls = source.calls.filter((call) => call.includes('start_date') && !call.includes('page_size=5&')).length;
        expect(windowCalls).to.be.greaterThan(6);
        for (const call of source.calls.filter((call) => call.includes('/requests.')))
          expect(call).to.include(`jurisdiction_id=${SOURCE}`);
      } finally {
        source.cap = undefined;
      }
      const rows = await imported(target.jurisdiction_id);
      expect(rows.map((row) => row.external_id).sort()).to.deep.equal(made.map((entry) => entry.id).sort());
      for (const row of rows) {
        const original = made.find((entry) => entry.id === row.external_id)!;
        const index = made.indexOf(original);
        expect(row.service_code).to.equal(original.service_code === 'SRC-LIGHT' ? 'LIGHT' : 'SRC_POTHOLE');
        expect(row.status).to.equal(original.status);
        expect(row.description).to.equal(`Source request ${String.fromCharCode(97 + index)}`);
        expect(row.agency_responsible).to.equal('Source Streets');
        expect(row.address).to.equal(`${String.fromCharCode(65 + index)} Street`);
        expect(row.zipcode).to.equal('43130');
        expect(new Date(row.requested_datetime).getTime()).to.equal(Math.floor(original.requested.getTime() / 1000) * 1000);
        expect(row.lat).to.be.closeTo(39.7 + index / 1000, 1e-9);
        expect(row.long).to.be.closeTo(-82.6 + index / 1000, 1e-9);
        expect(row.channel).to.equal('import');
        if (original.status === 'closed') {
          expect(row.status_notes).to.equal(`Fixed #${index}`);
          expect(row.detailed_status).to.equal('closed');
          expect(row.notes, 'opened and closed notes').to.equal(2);
        } else {
          // extensions=true told the detailed status.
          expect(row.detailed_status).to.equal('in_progress');
          expect(row.notes).to.equal(1);
        }
      }
      // The catalog: the pothole service created with its question, the light mapped to the city's own.
      const pothole = await request(createApp({ config: testConfig(), db: ctx().db, logger: createLogger('silent') }).app).get(
        `/open311/v2/services/SRC_POTHOLE.json?jurisdiction_id=${target.jurisdiction_id}`,
      );
      expect(pothole.status).to.equal(200);
      expect(pothole.body.attributes.map((attribute: { code: string }) => attribute.code)).to.deep.equal(['SIZE']);
      expect(pothole.body.attributes[0].values).to.have.length(2);
      const services = await ctx().db('services').where('jurisdiction_id', target.jurisdiction_id).pluck('service_code');
      expect(services.sort()).to.deep.equal(['LIGHT', 'SRC_POTHOLE']);
    });
  }

  it('serves imported requests on the GeoReport API, and staff find them by their source id', async () => {
    const target = await newTarget('served');
    await importFromOpen311(ctx().db, target, options('json'));
    const { app } = createApp({ config: testConfig(), db: ctx().db, logger: createLogger('silent') });
    const list = await request(app).get(
      `/open311/v2/requests.json?jurisdiction_id=${target.jurisdiction_id}&start_date=${new Date(Date.now() - 89 * DAY).toISOString()}`,
    );
    expect(list.status).to.equal(200);
    const recent = made.filter((entry) => entry.requested.getTime() > Date.now() - 89 * DAY);
    expect(list.body).to.have.length(recent.length);
    const queue = await queryQueue(ctx().db, {
      jurisdiction_id: target.jurisdiction_id,
      text: made[5]!.id,
      sort: '-requested_datetime',
      limit: 10,
      offset: 0,
    });
    expect(queue.requests.map((entry) => entry.description)).to.deep.equal(['Source request f']);
  });

  it('a re-run changes nothing; a change in the source is picked up by the next run through updated_after', async () => {
    const target = await newTarget('rerun');
    const first = await importFromOpen311(ctx().db, target, options('json'));
    expect(first.counts.created).to.equal(COUNT);
    expect(first.capabilities).to.include({ paging: true, extensions: true, updated_after: true });
    const notesBefore = await ctx()
      .db('service_request_updates')
      .whereIn('service_request_id', ctx().db('service_requests').where('jurisdiction_id', target.jurisdiction_id).select('id'))
      .count({ n: '*' })
      .first();

    const second = await importFromOpen311(ctx().db, target, options('json'));
    expect(second.mode).to.equal('updated_after');
    expect(second.counts).to.deep.equal({ created: 0, updated: 0, unchanged: 0 });
    const notesAfter = await ctx()
      .db('service_request_updates')
      .whereIn('service_request_id', ctx().db('service_requests').where('jurisdiction_id', target.jurisdiction_id).select('id'))
      .count({ n: '*' })
      .first();
    expect(notesAfter).to.deep.equal(notesBefore);

    // The source closes an old open request.
    const old = made.find((entry, index) => entry.status === 'open' && index > 15)!;
    await ctx().db('service_requests').where('id', old.id).update({
      status: 'closed',
      detailed_status: 'closed',
      status_notes: 'Done at last',
      updated_datetime: new Date(),
      closed_datetime: new Date(),
    });
    try {
      const third = await importFromOpen311(ctx().db, target, options('json'));
      expect(third.counts.updated).to.equal(1);
      expect(third.counts.created).to.equal(0);
      const row = await ctx()
        .db('service_requests')
        .where({ jurisdiction_id: target.jurisdiction_id, external_id: old.id })
        .first('status', 'status_notes', 'version');
      expect(row).to.deep.include({ status: 'closed', status_notes: 'Done at last', version: 2 });
    } finally {
      await ctx()
        .db('service_requests')
        .where('id', old.id)
        .update({ status: 'open', detailed_status: 'in_progress', status_notes: null, closed_datetime: null });
    }
  });

  it('an interrupted run continues where it stopped', async () => {
    const target = await newTarget('resume');
    let windows = 0;
    const stop = new Error('interrupted');
    try {
      await importFromOpen311(
        ctx().db,
        target,
        options('xml', {
          afterWindow: () => {
            windows += 1;
            if (windows === 1) throw stop;
          },
        }),
      );
      expect.fail('the first run should have been interrupted');
    } catch (error) {
      expect(error).to.equal(stop);
    }
    const checkpoint = await readCheckpoint(
      ctx().db,
      target.jurisdiction_id,
      `127.0.0.1:${new URL(source.url).port}/open311/v2#${SOURCE}`,
    );
    expect(checkpoint.running?.mode).to.equal('windows');
    const afterFirst = (await imported(target.jurisdiction_id)).length;
    expect(afterFirst).to.be.greaterThan(0).and.lessThan(COUNT);

    source.calls = [];
    const resumed = await importFromOpen311(ctx().db, target, options('xml'));
    expect(resumed.resumed).to.equal(true);
    expect(resumed.windows).to.equal(2);
    expect(resumed.counts.created).to.equal(COUNT - afterFirst);
    // The finished window was not asked for again.
    const firstWindowStart = new URL(
      `http://x${source.calls.find((call) => call.includes('start_date') && call.includes('extensions=true') && call.includes('page=1'))}`,
    ).searchParams.get('start_date');
    expect(Date.parse(firstWindowStart!)).to.be.greaterThan(Date.now() - 161 * DAY);
    for (const call of source.calls.filter((entry) => entry.includes('start_date'))) {
      expect(Date.parse(new URL(`http://x${call}`).searchParams.get('start_date')!)).to.be.greaterThan(Date.now() - 161 * DAY);
    }
    expect((await imported(target.jurisdiction_id)).length).to.equal(COUNT);
    expect(
      (await readCheckpoint(ctx().db, target.jurisdiction_id, `127.0.0.1:${new URL(source.url).port}/open311/v2#${SOURCE}`))
        .running,
    ).to.equal(undefined);
  });

  it('fires no webhook events unless --notify, and then one request.created per new request with the public payload', async () => {
    const quiet = await newTarget('quiet');
    const loud = await newTarget('loud');
    const hooks = (await ctx()
      .db('webhooks')
      .insert(
        [quiet, loud].map((target) => ({
          jurisdiction_id: target.jurisdiction_id,
          url: 'http://receiver.invalid/',
          secret: 's',
          events: ['request.created', 'request.updated'],
        })),
      )
      .returning('id')) as Array<{ id: string | number }>;
    await importFromOpen311(ctx().db, quiet, options('json'));
    await importFromOpen311(ctx().db, loud, options('json', { notify: true }));
    const deliveries = async (id: string | number) =>
      ctx().db('webhook_deliveries').where('webhook_id', id).select('event_type', 'event_id', 'payload');
    expect(await deliveries(hooks[0]!.id)).to.deep.equal([]);
    const sent = await deliveries(hooks[1]!.id);
    expect(sent).to.have.length(COUNT);
    expect(new Set(sent.map((delivery) => delivery.event_type))).to.deep.equal(new Set(['request.created']));
    expect(new Set(sent.map((delivery) => delivery.event_id)).size, 'one event id per request').to.equal(COUNT);
    const payload = sent[0]!.payload as Record<string, unknown>;
    expect(Object.keys(payload).sort()).to.deep.equal([...STANDARD_REQUEST_FIELDS, 'detailed_status'].sort());
  });

  it('--dry-run counts what would change and changes nothing', async () => {
    const target = await newTarget('dry');
    const report = await importFromOpen311(ctx().db, target, options('json', { dryRun: true }));
    expect(report.counts.created).to.equal(COUNT);
    expect(report.services_created).to.deep.equal(['SRC_POTHOLE']);
    expect(await imported(target.jurisdiction_id)).to.deep.equal([]);
    expect(await ctx().db('services').where('jurisdiction_id', target.jurisdiction_id).pluck('service_code')).to.deep.equal([
      'LIGHT',
    ]);
  });

  it('is polite: retries 429 and 5xx with backoff (Retry-After honoured), then gives up with a clear error', async () => {
    let calls = 0;
    const agents: string[] = [];
    const flaky = http.createServer((req, res) => {
      calls += 1;
      agents.push(String(req.headers['user-agent']));
      if (calls === 1) {
        res.writeHead(429, { 'Retry-After': '0', 'Content-Type': 'application/json' }).end('[]');
        return;
      }
      if (calls === 2) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const target = await newTarget('flaky');
      const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/open311/v2`;
      try {
        await importFromOpen311(ctx().db, target, { ...options('json'), baseUrl: url, sourceJurisdiction: undefined });
        expect.fail('a source that keeps failing must stop the import');
      } catch (error) {
        expect((error as Error).message).to.match(/services\.json answered 500 6 times/);
      }
      expect(calls).to.equal(6);
      expect(new Set(agents)).to.deep.equal(new Set(['open311-server-import-test']));
    } finally {
      flaky.close();
    }
  });
});
