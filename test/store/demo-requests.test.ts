// The demo requests: a few hundred on Lancaster streets over 90 days, in every state the console shows, and
// written once. On its own embedded store, so the shared suite's store keeps only the rows tests make.
import { expect } from 'chai';
import { migrateLatest, openDb, type Db } from '../../src/store/db.js';
import { DEMO_CHANNEL, seedDemoRequests } from '../../src/store/demo-requests.js';
import { seedDemoCatalog } from '../../src/store/seed.js';
import { testConfig } from '../helpers/test-server.js';

describe('store: demo requests', function () {
  this.timeout(300_000);
  let db: Db;
  const config = testConfig({ DATABASE_URL: '' });

  // A store of its own: on PostgreSQL a fresh database beside the suite's, else a second embedded PGlite.
  let admin: Db | undefined;
  let database: string | undefined;

  before(async () => {
    const base = process.env.DATABASE_URL;
    if (base) {
      admin = openDb({ databaseUrl: base });
      database = `open311_demo_test_${Date.now().toString(36)}`;
      await admin.raw(`CREATE DATABASE ${database}`);
      const url = new URL(base);
      url.pathname = `/${database}`;
      db = openDb({ databaseUrl: url.toString() });
      await migrateLatest(db);
    } else {
      // Loading a second PGlite + PostGIS can outlast Knex's connection wait on a busy machine: open it again.
      for (let attempt = 1; ; attempt += 1) {
        db = openDb({ databaseUrl: undefined, dataDirectory: undefined });
        try {
          await migrateLatest(db);
          break;
        } catch (error) {
          await db.destroy().catch(() => undefined);
          if (attempt >= 3 || (error as Error).name !== 'KnexTimeoutError') throw error;
        }
      }
    }
    await seedDemoCatalog(db, config);
  });
  after(async () => {
    await db?.destroy();
    // FORCE: a pooler in front (the PgBouncer run) keeps its own connection to the database open.
    if (admin && database) await admin.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.destroy();
  });

  it('seeds a few hundred requests in every state, once', async () => {
    const now = new Date();
    const written = await seedDemoRequests(db, config.jurisdictionId, now);
    expect(written).to.be.within(300, 400);
    expect(await seedDemoRequests(db, config.jurisdictionId, now)).to.equal(0);
    const rows = (await db('service_requests')
      .select(
        'status',
        'detailed_status',
        'requested_datetime',
        'address',
        db.raw('(status = ? AND expected_datetime < now()) AS overdue', ['open']),
        db.raw('suspected_duplicate_of IS NOT NULL AS suspected'),
        db.raw('ST_Y(location::geometry) AS lat'),
        db.raw('ST_X(location::geometry) AS long'),
      )
      .where({ channel: DEMO_CHANNEL })) as Array<Record<string, unknown>>;
    expect(rows).to.have.length(written);
    const count = (test: (row: Record<string, unknown>) => boolean) => rows.filter(test).length;
    expect(count((row) => row.status === 'closed')).to.be.greaterThan(50);
    expect(count((row) => row.detailed_status === 'in_progress')).to.be.greaterThan(5);
    expect(count((row) => row.overdue === true)).to.be.greaterThan(5);
    expect(count((row) => row.suspected === true)).to.be.within(3, 40);
    for (const row of rows) {
      expect(now.getTime() - new Date(row.requested_datetime as Date).getTime()).to.be.below(91 * 86_400_000);
      expect(row.lat as number).to.be.within(39.68, 39.77);
      expect(row.long as number).to.be.within(-82.63, -82.55);
      expect(row.address as string).to.match(/^\d+ .+ (St|Ave|Dr|Rd)$/);
    }
    const closedNotes = await db('service_request_updates as u')
      .join('service_requests as r', 'r.id', 'u.service_request_id')
      .where({ 'r.channel': DEMO_CHANNEL, 'u.note_type': 'closed' })
      .whereNot('u.description', '')
      .count({ count: '*' })
      .first();
    expect(Number((closedNotes as { count: string }).count)).to.be.greaterThan(50);
  });
});
