// The store tells its followers of every committed write (src/store/committed-writes.ts): which statements
// are writes and to which tables, statements outside transactions at once, transactions once committed.
import { expect } from 'chai';
import { ANY_TABLE, onCommittedWrite, writtenTables } from '../../src/store/committed-writes.js';
import { ctx, unique } from '../helpers/test-server.js';

describe('committed writes', () => {
  it('reads a statement for the tables it writes; reads and session statements write nothing', () => {
    const tables = (sql: string) => (writtenTables(sql) ? [...writtenTables(sql)!].sort() : undefined);
    expect(tables('insert into "service_requests" ("a") values (?) returning "id"')).to.deep.equal(['service_requests']);
    expect(tables('update "staff_sessions" set "seen_at" = ? where "id" = ?')).to.deep.equal(['staff_sessions']);
    expect(tables('UPDATE service_requests r SET status = 1')).to.deep.equal(['service_requests']);
    expect(tables('UPDATE ONLY public."services" AS s SET x = 1')).to.deep.equal(['services']);
    expect(tables('delete from "webhook_deliveries" where "id" = ?')).to.deep.equal(['webhook_deliveries']);
    expect(tables('truncate "audit_log" restart identity')).to.deep.equal(['audit_log']);
    expect(
      tables(`WITH created AS (INSERT INTO service_requests (id) SELECT 1 RETURNING id),
              history AS (INSERT INTO service_request_updates (id) SELECT id FROM created)
              INSERT INTO idempotency_keys (x) SELECT 1 ON CONFLICT (x) DO UPDATE SET x = EXCLUDED.x`),
    ).to.deep.equal(['idempotency_keys', 'service_request_updates', 'service_requests']);
    expect(tables('CREATE INDEX x ON service_requests (id)')).to.deep.equal([ANY_TABLE]);
    expect(tables('ALTER TABLE services ADD COLUMN x text')).to.deep.equal([ANY_TABLE]);
    for (const read of [
      'select "id" from "service_requests" where "updated_datetime" > ?',
      'SELECT id FROM webhook_deliveries WHERE status = $1 ORDER BY id LIMIT 5 FOR UPDATE SKIP LOCKED',
      'with recent as (select 1) select * from recent',
      'SET jit = off',
      'BEGIN;',
      'COMMIT;',
      "NOTIFY open311_changes, 'x'",
      'LISTEN open311_changes',
      'explain select 1',
    ])
      expect(writtenTables(read), read).to.equal(undefined);
  });

  it('tells a write outside a transaction at once, a transaction once after COMMIT, a rolled back one or a read never', async () => {
    const { db, config } = ctx();
    const told: string[][] = [];
    const stop = onCommittedWrite(db, (tables) => told.push([...tables].sort()));
    try {
      const name = unique('committed');
      await db('api_keys').select('id').limit(1);
      expect(told, 'a read').to.deep.equal([]);
      await db.transaction(async (trx) => {
        await trx('agencies').insert({ jurisdiction_id: config.jurisdictionId, code: name, name });
        await trx.transaction(async (inner) => {
          await inner('agencies')
            .where({ code: name })
            .update({ name: `${name} renamed` });
        });
        expect(told, 'before COMMIT').to.deep.equal([]);
      });
      expect(told, 'once, after COMMIT, with the savepoint’s writes').to.deep.equal([['agencies']]);
      await db('agencies').where({ code: name }).delete();
      expect(told).to.deep.equal([['agencies'], ['agencies']]);
      const failed = db.transaction(async (trx) => {
        await trx('agencies').insert({ jurisdiction_id: config.jurisdictionId, code: `${name}-x`, name });
        throw new Error('rolled back');
      });
      await failed.catch(() => undefined);
      // A rolled back transaction changed nothing; telling it anyway is harmless (at worst a cache emptied).
      expect(told.length).to.be.within(2, 3);
      expect(await db('agencies').where({ code: `${name}-x` })).to.deep.equal([]);
    } finally {
      stop();
    }
    const after = unique('after');
    await db('agencies').insert({ jurisdiction_id: config.jurisdictionId, code: after, name: 'after' });
    await db('agencies').where({ code: after }).delete();
    expect(told.length, 'nothing after stop()').to.be.within(2, 3);
  });
});
