// Webhooks end to end: registered through the admin API, enqueued by request creation, delivered by a
// dispatcher started here to a receiver on 127.0.0.1 (loopback only). Loopback is not a public address, so
// the app and the dispatchers here allow it explicitly (WEBHOOK_ALLOWED_NETWORKS), as a city would for a
// receiver on its own network; test/hardening/webhook-destinations.test.ts checks the refusals.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createKey } from '../../src/store/api-keys-store.js';
import { enqueueEvent } from '../../src/store/outbox-store.js';
import { startWebhookDispatcher, type WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { createRequest } from '../helpers/build.js';
import { ctx, STANDARD_REQUEST_FIELDS, testConfig, unique } from '../helpers/test-server.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  text: string;
  body: { id: string; type: string; created_at: string; data: Record<string, unknown> };
  at: number;
}

interface Receiver {
  url: string;
  received: Received[];
  /** What the receiver did with each delivery it got for one request. */
  forRequest(serviceRequestId: string): Received[];
  close(): Promise<void>;
}

type Responder = (received: Received, res: ServerResponse) => void;

const receivers: Receiver[] = [];
const dispatchers: WebhookDispatcher[] = [];
const webhookIds: string[] = [];

async function startReceiver(respond: Responder = (_received, res) => res.writeHead(204).end()): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Received['body'];
      try {
        body = JSON.parse(text) as Received['body'];
      } catch {
        body = { id: '', type: '', created_at: '', data: {} };
      }
      const item: Received = { path: req.url ?? '', headers: req.headers, text, body, at: Date.now() };
      received.push(item);
      respond(item, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/311`,
    received,
    forRequest: (id) => received.filter((item) => item.body.data?.service_request_id === id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  receivers.push(receiver);
  return receiver;
}

const LOCAL_RECEIVERS = { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32' };
let localApp: Express | undefined;
/** The app, allowing deliveries to the local receivers. */
const app = (): Express =>
  (localApp ??= createApp({ config: testConfig(LOCAL_RECEIVERS), db: ctx().db, logger: createLogger('silent') }).app);

function startDispatcher(overrides: NodeJS.ProcessEnv = {}): WebhookDispatcher {
  const config = testConfig({ WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_POLL_MS: '20', ...LOCAL_RECEIVERS, ...overrides });
  const dispatcher = startWebhookDispatcher({ db: ctx().db, logger: createLogger('silent'), config });
  dispatchers.push(dispatcher);
  return dispatcher;
}

async function stopDispatchers(): Promise<void> {
  await Promise.all(dispatchers.splice(0).map((dispatcher) => dispatcher.stop()));
}

let adminKey: string | undefined;
async function admin(): Promise<string> {
  adminKey ??= (await createKey(ctx().db, unique('admin'), 'admin')).key;
  return `Bearer ${adminKey}`;
}

async function register(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const response = await request(app())
    .post('/api/v1/webhooks')
    .set('Authorization', await admin())
    .send(body);
  expect(response.status, JSON.stringify(response.body)).to.equal(201);
  webhookIds.push(response.body.id);
  return response.body;
}

async function deliveriesOf(webhookId: string) {
  const response = await request(app())
    .get(`/api/v1/webhooks/${webhookId}/deliveries`)
    .set('Authorization', await admin());
  expect(response.status, JSON.stringify(response.body)).to.equal(200);
  return response.body.deliveries as Array<{
    id: string;
    event_id: string;
    event_type: string;
    status: string;
    attempts: number;
    last_error: string | null;
    last_status_code: number | null;
    delivered_at: string | null;
  }>;
}

async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function verifySignature(received: Received, secret: string): boolean {
  const timestamp = String(received.headers['x-open311-timestamp']);
  const header = String(received.headers['x-open311-signature']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${received.text}`).digest('hex')}`;
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}

describe('staff API: webhooks', () => {
  afterEach(async () => {
    await stopDispatchers();
    // Leave no active webhook behind: later tests' requests would queue deliveries for it.
    const authorization = await admin();
    for (const id of webhookIds.splice(0))
      await request(app()).delete(`/api/v1/webhooks/${id}`).set('Authorization', authorization);
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  after(async () => {
    await stopDispatchers();
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  it('is for admins only: no key → 401, staff key → 403', async () => {
    const none = await request(app()).get('/api/v1/webhooks');
    expect(none.status).to.equal(401);
    const staff = (await createKey(ctx().db, unique('staff'), 'staff')).key;
    for (const call of [
      request(app()).get('/api/v1/webhooks'),
      request(app())
        .post('/api/v1/webhooks')
        .send({ url: 'http://127.0.0.1:9/x', events: ['request.created'] }),
      request(app()).get('/api/v1/webhooks/1/deliveries'),
    ]) {
      const answer = await call.set('Authorization', `Bearer ${staff}`);
      expect(answer.status).to.equal(403);
      expect(answer.body[0].code).to.equal(403);
    }
  });

  it('refuses a bad url, events or secret with 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url: 'ftp://example.com/hook', events: ['request.created'] }, 'url must be'],
      [{ url: 'not a url', events: ['request.created'] }, 'url must be'],
      [{ url: 'http://user:pw@example.com/hook', events: ['request.created'] }, 'url must be'],
      [{ url: 'https://example.com/hook', events: [] }, 'events must be'],
      [{ url: 'https://example.com/hook', events: ['request.deleted'] }, 'events must be'],
      [{ url: 'https://example.com/hook', events: ['request.created', 'request.created'] }, 'events must be'],
      [{ url: 'https://example.com/hook' }, 'events is required.'],
      [{ events: ['request.created'] }, 'url is required.'],
      [{ url: 'https://example.com/hook', events: ['request.created'], secret: 'short' }, 'secret must be'],
      [{ url: 'https://example.com/hook', events: ['request.created'], extra: 1 }, 'extra is not a known field.'],
    ];
    for (const [body, message] of cases) {
      const answer = await request(app())
        .post('/api/v1/webhooks')
        .set('Authorization', await admin())
        .send(body);
      expect(answer.status, JSON.stringify(body)).to.equal(400);
      expect(answer.body.map((error: { description: string }) => error.description).join(' | '), JSON.stringify(body)).to.include(
        message,
      );
    }
    const notJson = await request(app())
      .post('/api/v1/webhooks')
      .set('Authorization', await admin())
      .set('Content-Type', 'text/plain')
      .send('x');
    expect(notJson.status).to.equal(415);
    expect(
      (
        await request(app())
          .get('/api/v1/webhooks/abc/deliveries')
          .set('Authorization', await admin())
      ).status,
    ).to.equal(404);
    expect(
      (
        await request(app())
          .get('/api/v1/webhooks/999999999/deliveries')
          .set('Authorization', await admin())
      ).status,
    ).to.equal(404);
    expect(
      (
        await request(app())
          .delete('/api/v1/webhooks/999999999')
          .set('Authorization', await admin())
      ).status,
    ).to.equal(404);
  });

  it('shows the secret once (generated when absent); the list never shows secrets', async () => {
    const created = await register({ url: 'https://hooks.example.com/311', events: ['request.created', 'request.updated'] });
    expect(created.secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created).to.include({ url: 'https://hooks.example.com/311', active: true });
    const chosen = await register({
      url: 'https://hooks.example.com/other',
      events: ['request.updated'],
      secret: 'my-own-secret-0123456789',
    });
    expect(chosen.secret).to.equal('my-own-secret-0123456789');
    const listed = await request(app())
      .get('/api/v1/webhooks')
      .set('Authorization', await admin());
    expect(listed.status).to.equal(200);
    const ids = listed.body.webhooks.map((webhook: { id: string }) => webhook.id);
    expect(ids).to.include.members([created.id, chosen.id]);
    expect(listed.text).to.not.include(created.secret).and.not.include(chosen.secret).and.not.include('"secret"');
    const one = listed.body.webhooks.find((webhook: { id: string }) => webhook.id === created.id);
    expect(one.events).to.deep.equal(['request.created', 'request.updated']);
    expect(one.created_by).to.match(/^admin-/);
  });

  it('delivers request.created, signed, with public fields only', async () => {
    const receiver = await startReceiver();
    const webhook = await register({ url: receiver.url, events: ['request.created'] });
    const email = `${unique('someone')}@example.org`;
    const phone = '+1 740 555 0199';
    const id = await createRequest({
      email,
      phone,
      first_name: 'Alexandra',
      last_name: 'Privateperson',
      device_id: unique('device'),
      account_id: unique('account'),
    });
    startDispatcher();
    const [got] = await waitFor('the delivery', () => receiver.forRequest(id).length > 0 && receiver.forRequest(id));
    expect(got!.path).to.equal('/hooks/311');
    expect(got!.headers['content-type']).to.equal('application/json');
    expect(got!.headers['x-open311-event']).to.equal('request.created');
    expect(got!.headers['x-open311-delivery']).to.match(/^\d+$/);
    expect(Number(got!.headers['x-open311-timestamp'])).to.be.closeTo(Date.now() / 1000, 30);
    expect(got!.headers['x-open311-signature']).to.match(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(got!, webhook.secret)).to.equal(true);
    expect(verifySignature(got!, 'some-other-secret-123456')).to.equal(false);
    expect(got!.body.type).to.equal('request.created');
    expect(got!.body.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Date(got!.body.created_at).toISOString()).to.equal(got!.body.created_at);
    expect(got!.body.data).to.include({
      service_request_id: id,
      service_code: 'SIDEWALK',
      status: 'open',
      detailed_status: 'submitted',
    });
    // The event is built in SQL by the create statement: exactly the public fields of a request, plus detailed_status.
    expect(Object.keys(got!.body.data).sort()).to.deep.equal([...STANDARD_REQUEST_FIELDS, 'detailed_status'].sort());
    expect(got!.body.data.lat).to.be.a('number');
    expect(got!.body.data.long).to.be.a('number');
    expect(new Date(String(got!.body.data.requested_datetime)).toISOString()).to.equal(got!.body.data.requested_datetime);
    for (const secret of [email, phone, 'Alexandra', 'Privateperson', 'device-', 'account-', 'api_key'])
      expect(got!.text).to.not.include(secret);
    for (const field of ['email', 'phone', 'first_name', 'last_name', 'device_id', 'account_id', 'api_key_id'])
      expect(got!.body.data).to.not.have.property(field);

    const [delivery] = await waitFor('the delivered status', async () => {
      const list = await deliveriesOf(webhook.id);
      return list[0]?.status === 'delivered' && list;
    });
    expect(delivery).to.include({
      id: got!.headers['x-open311-delivery'],
      event_id: got!.body.id,
      event_type: 'request.created',
      attempts: 1,
      last_status_code: 204,
    });
    expect(delivery!.delivered_at).to.be.a('string');
    await sleep(100);
    expect(receiver.forRequest(id)).to.have.length(1);
  });

  it('delivers request.updated with the same public fields as request.created, plus the change', async () => {
    const receiver = await startReceiver();
    const webhook = await register({ url: receiver.url, events: ['request.created', 'request.updated'] });
    const email = `${unique('someone')}@example.org`;
    const id = await createRequest({ email, first_name: 'Alexandra', last_name: 'Privateperson' });
    const staffKey = (await createKey(ctx().db, unique('staff'), 'staff')).key;
    const changed = await request(app())
      .patch(`/api/v1/requests/${id}`)
      .set('Authorization', `Bearer ${staffKey}`)
      .send({ status: 'closed', status_notes: 'Repaired', version: 1 });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
    startDispatcher();
    const events = await waitFor('both events', () => receiver.forRequest(id).length === 2 && receiver.forRequest(id));
    const created = events.find((event) => event.body.type === 'request.created')!;
    const updated = events.find((event) => event.body.type === 'request.updated')!;
    expect(verifySignature(updated, webhook.secret)).to.equal(true);
    // One payload rule for both events: the 17 public fields and detailed_status; the update adds its change.
    const publicFields = [...STANDARD_REQUEST_FIELDS, 'detailed_status'].sort();
    expect(Object.keys(created.body.data).sort()).to.deep.equal(publicFields);
    expect(Object.keys(updated.body.data).sort()).to.deep.equal([...publicFields, 'assigned_to', 'changed'].sort());
    expect(updated.body.data).to.include({
      service_request_id: id,
      service_code: 'SIDEWALK',
      service_name: created.body.data.service_name,
      status: 'closed',
      status_notes: 'Repaired',
      zipcode: created.body.data.zipcode,
      address_id: created.body.data.address_id,
      media_url: created.body.data.media_url,
      requested_datetime: created.body.data.requested_datetime,
      assigned_to: null,
    });
    expect(updated.body.data.changed).to.have.members(['status', 'detailed_status', 'status_notes']);
    expect(updated.body.data.lat).to.equal(created.body.data.lat);
    expect(updated.body.data.long).to.equal(created.body.data.long);
    expect(new Date(String(updated.body.data.updated_datetime)).toISOString()).to.equal(updated.body.data.updated_datetime);
    for (const secret of [email, 'Alexandra', 'Privateperson']) expect(updated.text).to.not.include(secret);
  });

  it('retries with backoff: 500, 500, then 200 → 3 attempts, delivered', async () => {
    let calls = 0;
    const receiver = await startReceiver((_received, res) => {
      calls += 1;
      res.writeHead(calls <= 2 ? 500 : 200).end('ok');
    });
    const webhook = await register({ url: receiver.url, events: ['request.created'] });
    const id = await createRequest();
    startDispatcher();
    const [delivery] = await waitFor('the delivered status', async () => {
      const list = await deliveriesOf(webhook.id);
      return list[0]?.status === 'delivered' && list;
    });
    expect(delivery).to.include({ attempts: 3, last_status_code: 200, last_error: null });
    const attempts = receiver.forRequest(id);
    expect(attempts).to.have.length(3);
    // The same delivery and event each time, each attempt signed afresh.
    expect(new Set(attempts.map((item) => item.headers['x-open311-delivery'])).size).to.equal(1);
    expect(new Set(attempts.map((item) => item.body.id)).size).to.equal(1);
    for (const item of attempts) expect(verifySignature(item, webhook.secret)).to.equal(true);
    // Backoff: ≥ 0.75 · 20 ms, then ≥ 0.75 · 40 ms (a little slack for clocks).
    expect(attempts[1]!.at - attempts[0]!.at).to.be.at.least(10);
    expect(attempts[2]!.at - attempts[1]!.at).to.be.at.least(25);
  });

  it('gives up after the last attempt and does not follow redirects; times out slow receivers', async () => {
    const redirecting = await startReceiver((received, res) => {
      if (received.path === '/elsewhere') res.writeHead(200).end();
      else res.writeHead(302, { Location: '/elsewhere' }).end();
    });
    const silent = await startReceiver(() => {
      // Never answers.
    });
    const redirected = await register({ url: redirecting.url, events: ['request.created'] });
    const slow = await register({ url: silent.url, events: ['request.created'] });
    const id = await createRequest();
    startDispatcher({ WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_TIMEOUT_MS: '150' });
    const [failed] = await waitFor('the failed status', async () => {
      const list = await deliveriesOf(redirected.id);
      return list[0]?.status === 'failed' && list;
    });
    expect(failed).to.include({ attempts: 2, last_status_code: 302 });
    expect(failed!.last_error).to.match(/redirect/);
    expect(redirecting.forRequest(id)).to.have.length(2);
    expect(redirecting.received.filter((item) => item.path === '/elsewhere')).to.have.length(0);
    const [timedOut] = await waitFor('the timed-out delivery to fail', async () => {
      const list = await deliveriesOf(slow.id);
      return list[0]?.status === 'failed' && list;
    });
    expect(timedOut).to.include({ attempts: 2, last_status_code: null });
    expect(timedOut!.last_error).to.match(/timed out/);
  });

  it('is durable: a delivery recorded while no dispatcher runs is sent once by a restarted one', async () => {
    const receiver = await startReceiver();
    const webhook = await register({ url: receiver.url, events: ['request.created', 'request.updated'] });
    const id = await createRequest();
    const rows = await ctx().db('webhook_deliveries').where({ webhook_id: webhook.id });
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ status: 'pending', attempts: 0, event_type: 'request.created' });
    await sleep(100);
    expect(receiver.received).to.have.length(0);

    // A "restarted server": a new dispatcher over the same store; and a second one, as in a second process.
    startDispatcher();
    startDispatcher();
    await waitFor('the delivery', () => receiver.forRequest(id).length > 0);
    await waitFor('the delivered status', async () => (await deliveriesOf(webhook.id))[0]?.status === 'delivered');
    await sleep(150);
    expect(receiver.forRequest(id)).to.have.length(1);
    expect(receiver.received).to.have.length(1);
  });

  it('a delivery leased by a dispatcher that died is retried when its lease runs out', async () => {
    const receiver = await startReceiver();
    const webhook = await register({ url: receiver.url, events: ['request.created'] });
    const id = await createRequest();
    // As if a dispatcher had claimed it and died: the lease (next_attempt_at) is in the future.
    await ctx()
      .db('webhook_deliveries')
      .where({ webhook_id: webhook.id })
      .update({ next_attempt_at: ctx().db.raw(`now() + interval '300 milliseconds'`) });
    startDispatcher();
    await sleep(100);
    expect(receiver.forRequest(id)).to.have.length(0);
    await waitFor('the delivery after the lease', () => receiver.forRequest(id).length > 0);
  });

  it('delivers only subscribed events', async () => {
    const receiver = await startReceiver();
    const updatesOnly = await register({ url: receiver.url, events: ['request.updated'] });
    const id = await createRequest();
    expect(await ctx().db('webhook_deliveries').where({ webhook_id: updatesOnly.id })).to.have.length(0);
    startDispatcher();
    await sleep(150);
    expect(receiver.received).to.have.length(0);
    // The event it subscribed to does reach it.
    await ctx().db.transaction((trx) =>
      enqueueEvent(trx, {
        jurisdiction_id: ctx().config.jurisdictionId,
        type: 'request.updated',
        payload: { service_request_id: id, status: 'closed' },
      }),
    );
    const [got] = await waitFor('the update', () => receiver.forRequest(id).length > 0 && receiver.forRequest(id));
    expect(got!.headers['x-open311-event']).to.equal('request.updated');
    expect(got!.body.data).to.deep.equal({ service_request_id: id, status: 'closed' });
    expect(receiver.received).to.have.length(1);
  });

  it('a deactivated webhook gets nothing, and its pending deliveries are given up', async () => {
    const receiver = await startReceiver();
    const webhook = await register({ url: receiver.url, events: ['request.created'] });
    const before = await createRequest();
    expect((await deliveriesOf(webhook.id))[0]).to.include({ status: 'pending' });
    const removed = await request(app())
      .delete(`/api/v1/webhooks/${webhook.id}`)
      .set('Authorization', await admin());
    expect(removed.status).to.equal(204);
    expect(
      (
        await request(app())
          .delete(`/api/v1/webhooks/${webhook.id}`)
          .set('Authorization', await admin())
      ).status,
    ).to.equal(404);
    const after = await createRequest();
    startDispatcher();
    await sleep(200);
    expect(receiver.forRequest(before)).to.have.length(0);
    expect(receiver.forRequest(after)).to.have.length(0);
    const deliveries = await deliveriesOf(webhook.id);
    expect(deliveries).to.have.length(1);
    expect(deliveries[0]).to.include({ status: 'failed', attempts: 0, last_error: 'webhook deactivated' });
    const listed = await request(app())
      .get('/api/v1/webhooks')
      .set('Authorization', await admin());
    expect(listed.body.webhooks.find((item: { id: string }) => item.id === webhook.id)).to.include({ active: false });
  });

  it('an activated-again webhook gets the events from then on, not those of the time it was off', async () => {
    const receiver = await startReceiver();
    const webhook = await register({ url: receiver.url, events: ['request.created'] });
    const activate = async () =>
      request(app())
        .post(`/api/v1/webhooks/${webhook.id}/activate`)
        .set('Authorization', await admin());
    expect((await activate()).status).to.equal(404); // it is active: nothing to switch on
    expect(
      (
        await request(app())
          .delete(`/api/v1/webhooks/${webhook.id}`)
          .set('Authorization', await admin())
      ).status,
    ).to.equal(204);
    const whileOff = await createRequest();
    const activated = await activate();
    expect(activated.status, activated.text).to.equal(204);
    const staffOnly = await request(app())
      .post(`/api/v1/webhooks/${webhook.id}/activate`)
      .set('Authorization', `Bearer ${(await createKey(ctx().db, unique('staff'), 'staff')).key}`);
    expect(staffOnly.status).to.equal(403);
    const afterwards = await createRequest();
    startDispatcher();
    const [got] = await waitFor(
      'the new event',
      () => receiver.forRequest(afterwards).length > 0 && receiver.forRequest(afterwards),
    );
    expect(got!.headers['x-open311-event']).to.equal('request.created');
    expect(receiver.forRequest(whileOff)).to.have.length(0);
    const listed = await request(app())
      .get(`/api/v1/webhooks/${webhook.id}`)
      .set('Authorization', await admin());
    expect(listed.body).to.include({ active: true, deactivated_at: null });
  });

  it('records nothing when the request is not committed', async () => {
    const receiver = await startReceiver();
    const webhook = await register({ url: receiver.url, events: ['request.created'] });
    const failing = ctx().db.transaction(async (trx) => {
      await enqueueEvent(trx, {
        jurisdiction_id: ctx().config.jurisdictionId,
        type: 'request.created',
        payload: { service_request_id: 'x' },
      });
      throw new Error('rolled back');
    });
    await failing.catch(() => undefined);
    expect(await ctx().db('webhook_deliveries').where({ webhook_id: webhook.id })).to.have.length(0);
  });
});
