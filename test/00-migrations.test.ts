// Runs first (file order): latest → rollback all → latest on the run's store, then restores the seed
// data and the suite's key, so the migrations are proven reversible and re-appliable.
import fs from 'node:fs';
import { expect } from 'chai';
import { MIGRATIONS_DIRECTORY } from '../src/store/db.js';
import { ensureKey } from '../src/store/api-keys-store.js';
import { seedDemoCatalog } from '../src/store/seed.js';
import { ctx } from './helpers/test-server.js';

const TABLES = [
  'jurisdictions',
  'services',
  'service_attributes',
  'service_attribute_values',
  'service_requests',
  'service_request_submitters',
  'request_tokens',
  'api_keys',
  'service_request_updates',
  'agencies',
  'service_areas',
  'routing_rules',
  'service_availability',
  'audit_log',
  'idempotency_keys',
  'webhooks',
  'webhook_deliveries',
];

async function existingTables(): Promise<string[]> {
  const { db } = ctx();
  const rows: Array<{ table_name: string }> = await db('information_schema.tables')
    .select('table_name')
    .where({ table_schema: 'public' })
    .whereIn('table_name', TABLES);
  return rows.map((row) => row.table_name).sort();
}

describe('migrations', () => {
  it('roll back completely and re-apply (latest → rollback → latest)', async () => {
    const { db, config, apiKey } = ctx();
    await db.migrate.latest();
    expect(await existingTables()).to.deep.equal([...TABLES].sort());

    await db.migrate.rollback(undefined, true);
    expect(await existingTables()).to.deep.equal([]);
    const [, pending] = (await db.migrate.list()) as [unknown[], unknown[]];
    expect(pending).to.have.length(fs.readdirSync(MIGRATIONS_DIRECTORY).filter((file) => file.endsWith('.ts')).length);

    await db.migrate.latest();
    expect(await existingTables()).to.deep.equal([...TABLES].sort());
    const location = await db.raw(
      `SELECT udt_name FROM information_schema.columns WHERE table_name = 'service_requests' AND column_name = 'location'`,
    );
    expect(location.rows[0].udt_name).to.equal('geography');
    const indexes = await db.raw(`SELECT indexdef FROM pg_indexes WHERE tablename = 'service_requests'`);
    expect(indexes.rows.map((row: { indexdef: string }) => row.indexdef).join('\n')).to.match(/USING gist \(location\)/);

    // Seeds are safe to run twice: the second run changes nothing and duplicates nothing.
    expect(await seedDemoCatalog(db, config)).to.have.length.of.at.least(8);
    expect(await seedDemoCatalog(db, config)).to.deep.equal([]);
    const count = await db('services').count({ count: '*' }).first();
    expect(Number(count?.count)).to.equal(9);
    await ensureKey(db, 'test suite client', apiKey, 'client');
  });
});
