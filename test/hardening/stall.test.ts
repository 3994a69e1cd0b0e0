// A stalled database (issue 10, item 8): the link to PostgreSQL drops packets — nothing is refused, nothing
// answers. Every request that needs the database is answered 503 + Retry-After with an errors body within
// DATABASE_STALL_TIMEOUT_MS (plus a little), on public GETs and POSTs and on the staff API; never a 500, never
// two answers ("Cannot set headers after they are sent" never logged); and the same app recovers by itself
// when the link comes back. The proxy of resilience.test.ts (tcp-proxy.ts) black-holes the link.
// PostgreSQL only: the embedded store has no link to stall.
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createKey } from '../../src/store/api-keys-store.js';
import { openDb, type Db } from '../../src/store/db.js';
import { LANCASTER } from '../helpers/build.js';
import { BASE, ctx, testConfig, unique } from '../helpers/test-server.js';
import { checkErrorsBody, errorFormatOfPath, listen, rawRequest, type Listening, type RawAnswer } from './support.js';
import { TcpProxy } from './tcp-proxy.js';

const STALL_MS = 1500;
/** Scheduling slack on a shared machine: the bound is the stall timeout, not this. */
const SLACK_MS = 1500;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** knex prints every failed connection attempt to the console; the tests below cause many on purpose. */
function quiet(db: Db): Db {
  (db.client as { logger: { _warn?: (message: string) => void } }).logger._warn = () => undefined;
  return db;
}

const databaseUrl = process.env.DATABASE_URL;
// The one conditional registration: without DATABASE_URL there is no PostgreSQL link to stall.
if (databaseUrl) {
  describe('hardening: a stalled database link (PostgreSQL)', function () {
    this.timeout(120_000);
    const { proxy, url } = TcpProxy.forDatabase(databaseUrl);
    let db: Db;
    let app: Listening;
    let staffKey: string;
    const logLines: string[] = [];

    interface Call {
      name: string;
      method: string;
      path: string;
      headers?: Record<string, string>;
      body?: string;
      /** The errors format when the path does not say (the staff API answers JSON). */
      format?: 'json' | 'xml';
    }
    const calls = (): Call[] => [
      { name: 'discovery', method: 'GET', path: `${BASE}/discovery.json` },
      { name: 'services', method: 'GET', path: `${BASE}/services.xml` },
      { name: 'requests list', method: 'GET', path: `${BASE}/requests.json?page_size=5` },
      { name: 'one request', method: 'GET', path: `${BASE}/requests/1.xml` },
      { name: 'updates', method: 'GET', path: `${BASE}/servicerequestupdates.json` },
      {
        name: 'POST requests',
        method: 'POST',
        path: `${BASE}/requests.json`,
        headers: FORM,
        body: new URLSearchParams({
          api_key: ctx().apiKey,
          service_code: 'SIDEWALK',
          lat: String(LANCASTER.lat),
          long: String(LANCASTER.long),
          description: unique('stall'),
        }).toString(),
      },
      {
        name: 'POST servicerequestupdates',
        method: 'POST',
        path: `${BASE}/servicerequestupdates.xml`,
        headers: { ...FORM, Authorization: `Bearer ${ctx().apiKey}` },
        body: 'service_request_id=1&description=stalled',
      },
      {
        name: 'staff queue',
        method: 'GET',
        path: '/api/v1/requests',
        headers: { Authorization: `Bearer ${staffKey}` },
        format: 'json',
      },
      {
        name: 'staff stats',
        method: 'GET',
        path: '/api/v1/stats',
        headers: { Authorization: `Bearer ${staffKey}` },
        format: 'json',
      },
    ];

    const send = async (call: Call, port = app.port): Promise<{ answer: RawAnswer; elapsed: number }> => {
      const started = Date.now();
      const answer = await rawRequest(port, {
        method: call.method,
        path: call.path,
        headers: call.headers ?? {},
        ...(call.body === undefined ? {} : { body: call.body }),
      });
      return { answer, elapsed: Date.now() - started };
    };

    async function expectStallAnswer(call: Call, answer: RawAnswer, elapsed: number, boundMs: number): Promise<void> {
      const context = `${call.name} (${call.method} ${call.path}) after ${elapsed} ms`;
      expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).to.equal(503);
      expect(answer.headers['retry-after'], context).to.match(/^\d+$/);
      await checkErrorsBody(answer, call.format ?? errorFormatOfPath(call.path), context);
      expect(answer.text, context).to.not.match(/timeout expired|Query read timeout|Knex|127\.0\.0\.1|postgres/i);
      expect(elapsed, context).to.be.below(boundMs);
    }

    const expectCleanLogs = (): void => {
      const joined = logLines.join('\n');
      expect(joined).to.not.match(/Cannot set headers after they are sent/);
      expect(joined).to.not.match(/unexpected error/);
    };

    before(async () => {
      staffKey = (await createKey(ctx().db, unique('stall staff'), 'staff')).key;
      await proxy.open();
      db = quiet(openDb({ databaseUrl: url(), stallTimeoutMs: STALL_MS }));
      const stream = new PassThrough();
      stream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
      app = await listen(
        createApp({
          config: testConfig({ DATABASE_STALL_TIMEOUT_MS: String(STALL_MS) }),
          db,
          logger: createLogger('debug', stream),
        }).app,
      );
    });
    after(async () => {
      proxy.restore();
      await app.close();
      await db.destroy();
      await proxy.cut();
    });

    it(`every database call is answered 503 + Retry-After within DATABASE_STALL_TIMEOUT_MS (${STALL_MS} ms), never a 500, then recovers by itself`, async () => {
      // Healthy first: the pool holds open connections, which the black hole then strands.
      for (const call of calls()) {
        const { answer } = await send(call);
        expect(answer.status, `${call.name}: ${answer.text.slice(0, 200)}`).to.be.below(500);
      }
      expect((await send({ name: 'ready', method: 'GET', path: '/readyz' })).answer.status).to.equal(200);

      proxy.blackHole();
      // Two waves: the first meets the stranded pooled connections (queries sent, no answer), the second
      // needs new connections (connects that never complete).
      for (const wave of [1, 2]) {
        const results = await Promise.all(calls().map(async (call) => ({ call, ...(await send(call)) })));
        for (const { call, answer, elapsed } of results) await expectStallAnswer(call, answer, elapsed, STALL_MS + SLACK_MS);
        // One at a time as well: each alone is bounded too.
        for (const call of calls().slice(0, wave === 1 ? 3 : calls().length)) {
          const { answer, elapsed } = await send(call);
          await expectStallAnswer(call, answer, elapsed, STALL_MS + SLACK_MS);
        }
      }
      const ready = await send({ name: 'ready', method: 'GET', path: '/readyz' });
      expect(ready.answer.status).to.equal(503);
      expect((await send({ name: 'health', method: 'GET', path: '/healthz' })).answer.status).to.equal(200);

      // The link comes back: the same app answers again, no restart.
      proxy.restore();
      let status = 0;
      for (let attempt = 0; attempt < 60 && status !== 200; attempt++) {
        status = (await send({ name: 'services', method: 'GET', path: `${BASE}/services.json` })).answer.status;
        if (status !== 200) await sleep(250);
      }
      expect(status, 'the app did not recover').to.equal(200);
      for (const call of calls()) {
        const { answer } = await send(call);
        expect(answer.status, `${call.name} after recovery: ${answer.text.slice(0, 200)}`).to.be.below(500);
        expect(answer.status, `${call.name} after recovery`).to.not.equal(503);
      }
      expect((await send({ name: 'ready', method: 'GET', path: '/readyz' })).answer.status).to.equal(200);
      expectCleanLogs();
    });

    it('when REQUEST_TIMEOUT_MS answers first, the late database failure never makes a second answer', async () => {
      const stream = new PassThrough();
      const lines: string[] = [];
      stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
      const early = await listen(
        createApp({
          config: testConfig({ DATABASE_STALL_TIMEOUT_MS: String(STALL_MS), REQUEST_TIMEOUT_MS: '300' }),
          db,
          logger: createLogger('debug', stream),
        }).app,
      );
      try {
        proxy.blackHole();
        const results = await Promise.all(calls().map(async (call) => ({ call, ...(await send(call, early.port)) })));
        for (const { call, answer, elapsed } of results) await expectStallAnswer(call, answer, elapsed, 300 + SLACK_MS);
        // Let the database calls fail behind the answers already sent.
        await sleep(STALL_MS * 2 + 500);
        const joined = lines.join('\n');
        expect(joined).to.not.match(/Cannot set headers after they are sent/);
        expect(joined).to.not.match(/unexpected error/);
      } finally {
        proxy.restore();
        await early.close();
      }
    });
  });
}
