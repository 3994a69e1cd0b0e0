// Webhooks are no SSRF tool (issue 10, item 7): non-public destinations — loopback, private, link-local and
// cloud metadata, unique-local IPv6, IPv4-mapped IPv6, decimal/octal/hex IPv4 spellings, 0.0.0.0, multicast,
// NAT64 — are refused at registration (400 naming the rule) and again at delivery, on the address the
// connection would use, so a name that resolves to 127.0.0.1 when the delivery is made (DNS rebinding) gets
// nothing sent and no connect attempt: the delivery log says "destination not allowed", never
// "ECONNREFUSED 127.0.0.1:PORT". WEBHOOK_ALLOWED_NETWORKS lets a city allow its own receivers.
import http from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createKey } from '../../src/store/api-keys-store.js';
import { createWebhook, deactivateWebhook, listDeliveries } from '../../src/store/webhooks-store.js';
import {
  DestinationNotAllowed,
  guardedLookup,
  isAllowedAddress,
  parseNetworks,
  refusedDestination,
} from '../../src/webhooks/destination.js';
import { startWebhookDispatcher, type WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { createRequest } from '../helpers/build.js';
import { ctx, testConfig, unique } from '../helpers/test-server.js';

const REFUSED = [
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/',
  'http://2852039166/',
  'http://0251.0376.0251.0376/',
  'http://0xa9fea9fe/',
  'http://0xA9.0xFE.0xA9.0xFE/',
  'http://127.0.0.1:5432/',
  'http://127.1/',
  'http://2130706433/',
  'http://localhost:8080/hook',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://10.0.0.5/',
  'http://172.16.0.1/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://0/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://[fe80::1]/',
  'http://[ff02::1]/',
  'http://[::]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:a9fe:a9fe::1]/',
];

interface Listener {
  port: number;
  connections: number;
  requests: number;
  close(): Promise<void>;
}

/** A receiver on 127.0.0.1 that counts TCP connections (a connect attempt shows even without a request). */
async function startListener(): Promise<Listener> {
  const server = http.createServer((req, res) => {
    listener.requests += 1;
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  const listener: Listener = {
    port: 0,
    connections: 0,
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', () => (listener.connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listener.port = (server.address() as AddressInfo).port;
  return listener;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('hardening: webhook destinations', function () {
  this.timeout(60_000);
  let adminKey: string;
  let adminId: string;
  const webhookIds: string[] = [];
  const dispatchers: WebhookDispatcher[] = [];
  const appWith = (env: NodeJS.ProcessEnv = {}): Express =>
    createApp({ config: testConfig(env), db: ctx().db, logger: createLogger('silent') }).app;

  before(async () => {
    const created = await createKey(ctx().db, unique('ssrf-admin'), 'admin');
    adminKey = created.key;
    adminId = created.record.id;
  });
  /** Registered webhooks are deactivated at once: no later test's request may be delivered to them. */
  const deactivateAll = async (): Promise<void> => {
    for (const id of webhookIds.splice(0))
      await deactivateWebhook(ctx().db, ctx().config.jurisdictionId, id, { key_id: adminId, name: 'test' });
  };
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((dispatcher) => dispatcher.stop()));
    await deactivateAll();
  });

  const register = (app: Express, url: string) =>
    request(app)
      .post('/api/v1/webhooks')
      .set('Authorization', `Bearer ${adminKey}`)
      .send({ url, events: ['request.created'] });

  describe('at registration', () => {
    for (const url of REFUSED) {
      it(`${url} → 400 naming the rule, nothing stored`, async () => {
        const answer = await register(appWith(), url);
        expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
        expect(answer.body[0].description)
          .to.match(/public address/)
          .and.match(/WEBHOOK_ALLOWED_NETWORKS/);
        const stored = await ctx()
          .db('webhooks')
          .where({ url: new URL(url).href })
          .count({ n: '*' });
        expect(Number((stored[0] as { n: string | number }).n)).to.equal(0);
      });
    }

    it('public addresses and names that do not resolve (yet) are accepted', async () => {
      for (const url of ['https://93.184.215.14/hook', 'http://[2606:4700::1111]/hook', 'https://hooks.invalid/311']) {
        const answer = await register(appWith(), url);
        expect(answer.status, `${url}: ${JSON.stringify(answer.body)}`).to.equal(201);
        webhookIds.push(answer.body.id);
      }
    });

    it('WEBHOOK_ALLOWED_NETWORKS allows exactly the listed networks', async () => {
      const app = appWith({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32, fd00:ec2::/64' });
      for (const url of ['http://127.0.0.1:9/hook', 'http://[fd00:ec2::254]/', 'http://[::ffff:127.0.0.1]:9/']) {
        const answer = await register(app, url);
        expect(answer.status, `${url}: ${JSON.stringify(answer.body)}`).to.equal(201);
        webhookIds.push(answer.body.id);
      }
      for (const url of ['http://127.0.0.2/', 'http://10.0.0.5/', 'http://169.254.169.254/']) {
        expect((await register(app, url)).status, url).to.equal(400);
      }
    });

    it('a bad WEBHOOK_ALLOWED_NETWORKS stops start-up with a message', () => {
      expect(() => loadConfig({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/33' })).to.throw(/WEBHOOK_ALLOWED_NETWORKS/);
      expect(() => loadConfig({ WEBHOOK_ALLOWED_NETWORKS: 'localhost' })).to.throw(/WEBHOOK_ALLOWED_NETWORKS/);
    });
  });

  describe('at delivery, on the address connected to', () => {
    let listener: Listener;
    beforeEach(async () => {
      listener = await startListener();
    });
    afterEach(async () => {
      await listener.close();
    });

    /** Webhooks as the store holds them when the name pointed elsewhere at registration (or the rule was not there yet). */
    async function storedWebhooks(urls: string[]): Promise<string[]> {
      const ids: string[] = [];
      for (const url of urls) {
        const record = await createWebhook(ctx().db, {
          jurisdiction_id: ctx().config.jurisdictionId,
          url,
          events: ['request.created'],
          secret: `whsec_${unique('secret').padEnd(40, 'x')}`,
          actor: { key_id: adminId, name: 'test' },
        });
        ids.push(record.id);
        webhookIds.push(record.id);
      }
      return ids;
    }

    function dispatch(env: NodeJS.ProcessEnv = {}): void {
      dispatchers.push(
        startWebhookDispatcher({
          db: ctx().db,
          logger: createLogger('silent'),
          config: testConfig({ WEBHOOK_POLL_MS: '20', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_MAX_ATTEMPTS: '1', ...env }),
        }),
      );
    }

    const settled = (id: string) =>
      waitFor(`delivery of webhook ${id}`, async () => {
        const [delivery] = await listDeliveries(ctx().db, id, 5);
        return delivery && delivery.status !== 'pending' && delivery;
      });

    it('a hostname resolving to 127.0.0.1 now, and loopback literals, get nothing: "destination not allowed", no connect attempt', async () => {
      const ids = await storedWebhooks([
        `http://localhost:${listener.port}/hook`,
        `http://127.0.0.1:${listener.port}/hook`,
        `http://[::ffff:127.0.0.1]:${listener.port}/hook`,
        `http://2130706433:${listener.port}/hook`,
      ]);
      await createRequest();
      dispatch();
      for (const id of ids) {
        const delivery = await settled(id);
        expect(delivery.status).to.equal('failed');
        expect(delivery.last_error).to.equal('destination not allowed');
        expect(delivery.last_status_code).to.equal(null);
      }
      expect(listener.connections, 'connect attempts to the refused destination').to.equal(0);
      expect(listener.requests).to.equal(0);
    });

    it('the same destinations are delivered to when WEBHOOK_ALLOWED_NETWORKS allows loopback (so the refusal above is the rule)', async () => {
      const ids = await storedWebhooks([`http://localhost:${listener.port}/hook`, `http://127.0.0.1:${listener.port}/hook`]);
      await createRequest();
      dispatch({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32, ::1/128' });
      for (const id of ids) expect((await settled(id)).status).to.equal('delivered');
      expect(listener.requests).to.be.at.least(2);
    });
  });

  describe('DNS rebinding: the name is checked again on the address used for each connection', () => {
    const answers =
      (...addresses: string[]) =>
      (_host: string, _options: unknown, callback: (error: NodeJS.ErrnoException | null, found: LookupAddress[]) => void) =>
        callback(
          null,
          addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        );

    it('a name that is public at registration and 127.0.0.1 at delivery: registered, then refused before connecting', async () => {
      const listener = await startListener();
      try {
        const url = new URL(`http://rebind.example:${listener.port}/hook`);
        expect(await refusedDestination(url, [], answers('93.184.215.14'))).to.equal(undefined);
        const outcome = await new Promise<Error | number>((resolve) => {
          const call = http.request(url, { method: 'POST', lookup: guardedLookup([], answers('127.0.0.1')), agent: false });
          call.on('response', (response) => resolve(response.statusCode ?? 0));
          call.on('error', resolve);
          call.end('{}');
        });
        expect(outcome).to.be.instanceOf(DestinationNotAllowed);
        expect(listener.connections).to.equal(0);
        // Allowed explicitly, the same lookup connects: the listener was reachable all along.
        const allowed = await new Promise<Error | number>((resolve) => {
          const call = http.request(url, {
            method: 'POST',
            lookup: guardedLookup(parseNetworks('127.0.0.1'), answers('127.0.0.1')),
            agent: false,
          });
          call.on('response', (response) => resolve(response.statusCode ?? 0));
          call.on('error', resolve);
          call.end('{}');
        });
        expect(allowed).to.equal(204);
      } finally {
        await listener.close();
      }
    });

    it('a name resolving to both a public and a private address: only the public one is ever used; registration refuses it', async () => {
      const lookup = guardedLookup([], answers('10.0.0.1', '93.184.215.14', '::1'));
      const all = await new Promise<LookupAddress[]>((resolve, reject) =>
        lookup('mixed.example', { all: true }, (error, found) => (error ? reject(error) : resolve(found as LookupAddress[]))),
      );
      expect(all.map((item) => item.address)).to.deep.equal(['93.184.215.14']);
      expect(await refusedDestination(new URL('http://mixed.example/'), [], answers('10.0.0.1', '93.184.215.14'))).to.match(
        /10\.0\.0\.1/,
      );
    });

    it('isAllowedAddress follows ipaddr.js ranges: only unicast, plus the allowed networks', () => {
      for (const address of ['8.8.8.8', '93.184.215.14', '2606:4700::1111'])
        expect(isAllowedAddress(address, []), address).to.equal(true);
      for (const address of ['127.0.0.1', '::ffff:10.1.2.3', 'fd12::1', '169.254.1.1', '0.0.0.0', '239.1.1.1', 'not an address'])
        expect(isAllowedAddress(address, []), address).to.equal(false);
      expect(isAllowedAddress('::ffff:10.1.2.3', parseNetworks('10.0.0.0/8'))).to.equal(true);
    });
  });
});
