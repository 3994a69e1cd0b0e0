// Read replicas, for real: .ci/replica.sh makes a streaming replica of the CI database's cluster with
// pg_basebackup on a second port and runs this file with REPLICA_DATABASE_URL (and REPLICA_STOP_COMMAND, which
// stops that replica). Registered only then: there is no replica to read from otherwise.
import { execSync } from 'node:child_process';
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { openDb, type Db } from '../../src/store/db.js';
import { ReadPool } from '../../src/store/read-pool.js';
import { ctx, testConfig, unique } from '../helpers/test-server.js';

const replicaUrl = process.env.REPLICA_DATABASE_URL;
const stopCommand = process.env.REPLICA_STOP_COMMAND;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Scans of service_requests counted by one server's own statistics (each server counts only its own reads). */
async function requestScans(db: Db): Promise<number> {
  const row = await db('pg_stat_user_tables')
    .where('relname', 'service_requests')
    .first(db.raw('(coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::integer AS scans'));
  return Number(row?.scans ?? 0);
}

if (replicaUrl) {
  describe('read replicas (DATABASE_READ_URL) on a real streaming replica', function () {
    this.timeout(120_000);
    let replica: Db;
    let app: ReturnType<typeof createApp>['app'];
    const list = '/open311/v2/requests.json?service_code=SIDEWALK&status=open&page_size=100';

    before(async () => {
      replica = openDb({ databaseUrl: replicaUrl });
      const inRecovery = await replica.raw('SELECT pg_is_in_recovery() AS standby');
      expect(inRecovery.rows[0].standby, 'REPLICA_DATABASE_URL must be a standby').to.equal(true);
      app = createApp({
        config: testConfig(),
        db: ctx().db,
        logger: createLogger('silent'),
        reads: new ReadPool(ctx().db, [replica]),
      }).app;
      // The suite's catalog and key were written before the replica caught up, maybe: wait for them.
      await eventually('the replica to replay the suite key', async () =>
        (await replica('api_keys').count({ count: '*' }).first())?.count ? true : undefined,
      );
    });

    after(async () => {
      await replica.raw('SELECT pg_wal_replay_resume()').catch(() => undefined);
      await replica.destroy();
    });

    async function create(description: string): Promise<string> {
      const created = await request(app)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({ api_key: ctx().apiKey, service_code: 'SIDEWALK', lat: 39.71, long: -82.6, description });
      expect(created.status, created.text).to.equal(200);
      return String(created.body[0].service_request_id);
    }

    it('reads lists from the replica: its own statistics count the scans, the primary’s do not', async () => {
      const replicaBefore = await requestScans(replica);
      const primaryBefore = await requestScans(ctx().db);
      const lists = 20;
      for (let index = 0; index < lists; index++) {
        const answer = await request(app).get(`${list}&page=${index + 1}`);
        expect(answer.status).to.equal(200);
      }
      // Statistics are flushed by each backend within a second or so of going idle.
      const replicaAfter = await eventually('the replica to count the list scans', async () => {
        const scans = await requestScans(replica);
        return scans >= replicaBefore + lists ? scans : undefined;
      });
      expect(replicaAfter - replicaBefore).to.be.at.least(lists);
      await sleep(1500);
      expect((await requestScans(ctx().db)) - primaryBefore).to.be.below(lists);
    });

    it('shows a request created on the primary in a replica read after the lag', async () => {
      const description = unique('replicated');
      const id = await create(description);
      const found = await eventually('the replica to show the new request', async () => {
        const answer = await request(app).get(`/open311/v2/requests.json?service_request_id=${id}`);
        expect(answer.status).to.equal(200);
        return answer.body.length === 1 ? answer.body[0] : undefined;
      });
      expect(found.description).to.equal(description);
    });

    it('answers a GET by the id just created even while the replica lags (read your own write)', async () => {
      // A lag made certain: the replica stops replaying WAL until resumed.
      await replica.raw('SELECT pg_wal_replay_pause()');
      try {
        await eventually('replay to pause', async () => {
          const row = await replica.raw('SELECT pg_get_wal_replay_pause_state() AS state');
          return row.rows[0].state === 'paused' ? true : undefined;
        });
        const description = unique('read-your-write');
        const id = await create(description);
        // The list is read from the replica, which has not seen the create…
        const listed = await request(app).get(`/open311/v2/requests.json?service_request_id=${id}`);
        expect(listed.status).to.equal(200);
        expect(listed.body).to.deep.equal([]);
        expect(await replica('service_requests').where('id', id).first('id')).to.equal(undefined);
        // …but the id its creator was given is found (on the primary), in both formats.
        const single = await request(app).get(`/open311/v2/requests/${id}.json`);
        expect(single.status, single.text).to.equal(200);
        expect(single.body[0].service_request_id).to.equal(id);
        expect(single.body[0].description).to.equal(description);
        const xml = await request(app).get(`/open311/v2/requests/${id}.xml?extensions=true`);
        expect(xml.status).to.equal(200);
        expect(xml.text).to.include(description);
        // An id that exists nowhere is still a 404.
        const missing = await request(app).get('/open311/v2/requests/999999999999.json');
        expect(missing.status).to.equal(404);
      } finally {
        await replica.raw('SELECT pg_wal_replay_resume()');
      }
    });

    it('falls back to the primary with no error when the replica stops', async () => {
      if (!stopCommand) throw new Error('REPLICA_STOP_COMMAND is needed to stop the replica');
      const description = unique('after-stop');
      // Connections to the replica are open (the tests above used them) when it goes away.
      expect((await request(app).get(list)).status).to.equal(200);
      execSync(stopCommand, { stdio: 'inherit' });
      const stopped = await replica.raw('SELECT 1').then(
        () => false,
        () => true,
      );
      expect(stopped, 'the replica still answers after REPLICA_STOP_COMMAND').to.equal(true);
      const id = await create(description);
      for (let attempt = 0; attempt < 5; attempt++) {
        const listed = await request(app).get(`/open311/v2/requests.json?service_request_id=${id}`);
        expect(listed.status, listed.text).to.equal(200);
        expect(listed.body).to.have.length(1);
        expect(listed.body[0].description).to.equal(description);
        const single = await request(app).get(`/open311/v2/requests/${id}.json`);
        expect(single.status, single.text).to.equal(200);
        const services = await request(app).get('/open311/v2/services.json');
        expect(services.status).to.equal(200);
        expect(services.body.map((service: { service_code: string }) => service.service_code)).to.include('SIDEWALK');
      }
    });
  });
}
