// E-mail notifications end to end against a real SMTP server on loopback: creation → confirmation, staff
// changes → updates (internal notes → nothing), follow with double opt-in, one-click unsubscribe, area
// alerts, SMTP down → retried, the staff view of what went out. Runs on whichever store the suite uses.
import { expect } from 'chai';
import request from 'supertest';
import { createKey } from '../../src/store/api-keys-store.js';
import { insertAccount } from '../../src/store/staff-accounts-store.js';
import { makePerson, signInWithLink } from '../helpers/staff-people.js';
import { BASE, ctx, unique } from '../helpers/test-server.js';
import { freePort, linkIn, sleep, startNotifyApp, startSmtp, waitUntil, type NotifyApp, type SmtpServer } from './support.js';

const PUBLIC = 'http://311.test.example';
const POINT = { lat: 39.70112, long: -82.62113 };

let smtp: SmtpServer;
let notify: NotifyApp;
let staffKey: string;
let adminKey: string;
let adminKeyId: string;

async function report(fields: Record<string, string>): Promise<string> {
  const answer = await request(notify.app)
    .post(`${BASE}/requests.json`)
    .type('form')
    .send({
      api_key: ctx().apiKey,
      service_code: 'SIDEWALK',
      lat: String(POINT.lat),
      long: String(POINT.long),
      description: unique('Cracked slab'),
      ...fields,
    });
  expect(answer.status, answer.text).to.equal(200);
  return (answer.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
}

async function staffChange(id: string, body: Record<string, unknown>): Promise<void> {
  const current = await request(notify.app).get(`/api/v1/requests/${id}`).set('Authorization', `Bearer ${staffKey}`);
  expect(current.status, current.text).to.equal(200);
  const answer = await request(notify.app)
    .patch(`/api/v1/requests/${id}`)
    .set('Authorization', `Bearer ${staffKey}`)
    .set('If-Match', String(current.headers.etag))
    .send(body);
  expect(answer.status, answer.text).to.equal(200);
}

async function messagesOf(id: string): Promise<Array<{ template: string; status: string; recipient: string }>> {
  return ctx()
    .db('notification_messages')
    .where({ service_request_id: id })
    .orderBy('id')
    .select('template', 'status', 'recipient');
}

/** Waits until nothing is pending for the request, so that "nothing was sent" is a real observation. */
async function settled(id: string): Promise<void> {
  await waitUntil(async () => (await messagesOf(id)).every((message) => message.status !== 'pending'), 10_000, 'outbox settled');
  await sleep(100);
}

/** A square service area around a point, made through the admin API; returns its code. */
async function makeArea(lat: number, long: number, half = 0.004): Promise<string> {
  const code = unique('ward');
  const ring = [
    [long - half, lat - half],
    [long + half, lat - half],
    [long + half, lat + half],
    [long - half, lat + half],
    [long - half, lat - half],
  ];
  const answer = await request(notify.app)
    .post('/api/v1/areas')
    .set('Authorization', `Bearer ${adminKey}`)
    .send({ code, name: `Ward ${code}`, geometry: { type: 'Polygon', coordinates: [ring] } });
  expect(answer.status, answer.text).to.equal(201);
  return code;
}

describe('e-mail notifications (real SMTP server)', function () {
  this.timeout(60_000);

  before(async () => {
    smtp = await startSmtp();
    notify = startNotifyApp(smtp.url);
    staffKey = (await createKey(ctx().db, unique('notify staff'), 'staff')).key;
    const admin = await createKey(ctx().db, unique('notify admin'), 'admin');
    adminKey = admin.key;
    adminKeyId = String(admin.record.id);
  });
  after(async () => {
    await notify.stop();
    await smtp.close();
  });

  it('confirms a report with an e-mail: number, what was reported, tracking link, one-click unsubscribe', async () => {
    const email = `${unique('resident')}@example.org`;
    const description = unique('Slab lifted <b>by roots</b> & cracked');
    const id = await report({ email, description, address_string: '120 E Main St' });
    await smtp.waitFor(() => smtp.to(email).length === 1, 10_000, 'the confirmation');
    const mail = smtp.to(email)[0]!;
    expect(mail.subject).to.include(id).and.include('City of Lancaster, Ohio');
    expect(mail.headers.get('from')).to.include('311@lancasterohio.gov');
    expect(mail.text).to.include(`Request number: ${id}`).and.include(description).and.include('120 E Main St');
    expect(mail.text).to.include(`${PUBLIC}/requests/${id}`);
    // The HTML part escapes what the resident wrote.
    expect(mail.html).to.include('&lt;b&gt;by roots&lt;/b&gt; &amp; cracked').and.not.include('<b>by roots</b>');
    expect(mail.html).to.include(`href="${PUBLIC}/requests/${id}"`);
    const unsubscribe = /^<(.+)>$/.exec(mail.headers.get('list-unsubscribe') ?? '')?.[1];
    expect(unsubscribe).to.match(new RegExp(`^${PUBLIC}/notifications/unsubscribe/[A-Za-z0-9_-]{40,}$`));
    expect(mail.headers.get('list-unsubscribe-post')).to.equal('List-Unsubscribe=One-Click');
    await settled(id);
    expect(await messagesOf(id)).to.deep.equal([{ template: 'confirmation', status: 'sent', recipient: email }]);
  });

  it('writes in the language of the report (locale=es)', async () => {
    const email = `${unique('residente')}@example.org`;
    const id = await report({ email, locale: 'es-US' });
    await smtp.waitFor(() => smtp.to(email).length === 1, 10_000, 'the Spanish confirmation');
    expect(smtp.to(email)[0]!.subject).to.include(`Recibimos su reporte ${id}`);
    expect(smtp.to(email)[0]!.text).to.include('Número de solicitud');
  });

  it('a report from the resident site in Spanish gets its confirmation in Spanish', async () => {
    const email = `${unique('vecina')}@example.org`;
    const headers = { 'Accept-Language': 'es' };
    const flowOf = (text: string): string => /name="flow" value="([A-Za-z0-9_-]+)"/.exec(text)?.[1] ?? '';
    const step = (name: string, text: string, pairs: Array<[string, string]>) =>
      request(notify.app)
        .post(`/report/${name}`)
        .set(headers)
        .type('form')
        .send(new URLSearchParams([['flow', flowOf(text)], ['step', name], ...pairs]).toString());
    let page = await request(notify.app).get('/report?map=off').set(headers);
    expect(page.text).to.include('lang="es"');
    page = await step('where', page.text, [['address', '12 Calle del Sitio']]);
    page = await step('what', page.text, [['service_code', 'SIDEWALK']]);
    page = await step('details', page.text, [['description', unique('Acera rota')]]);
    if (page.text.includes('name="step" value="duplicates"')) page = await step('duplicates', page.text, []);
    page = await step('contact', page.text, [['email', email]]);
    const sent = await step('review', page.text, [
      ['action', 'send'],
      ['website', ''],
    ]);
    expect(sent.status, sent.text.slice(0, 500)).to.equal(303);
    const id = /request=(\d+)/.exec(sent.headers.location ?? '')![1]!;
    await smtp.waitFor(() => smtp.to(email).length === 1, 10_000, 'the confirmation of the site report');
    const mail = smtp.to(email)[0]!;
    expect(mail.subject).to.include(`Recibimos su reporte ${id}`);
    expect(mail.text).to.include(`${PUBLIC}/requests/${id}`);
  });

  it('sends nothing for a report without an e-mail, or with a malformed one (the report is still taken)', async () => {
    const noEmail = await report({});
    const badEmail = await report({ email: 'not an address' });
    await sleep(200);
    expect(await messagesOf(noEmail)).to.deep.equal([]);
    expect(await messagesOf(badEmail)).to.deep.equal([]);
  });

  it('mails each public change; an internal note alone sends nothing; closing asks "not fixed?"', async () => {
    const email = `${unique('resident')}@example.org`;
    const id = await report({ email });
    await smtp.waitFor(() => smtp.to(email).length === 1);

    await staffChange(id, { internal_note: 'Crew lead says: check the gas line first' });
    await settled(id);
    expect(smtp.to(email)).to.have.length(1);

    await staffChange(id, { status: 'in_progress', status_notes: 'Crew scheduled for Thursday' });
    await smtp.waitFor(() => smtp.to(email).length === 2, 10_000, 'the update');
    const update = smtp.to(email)[1]!;
    expect(update.subject).to.include(id).and.include('In progress');
    expect(update.text).to.include('Crew scheduled for Thursday').and.not.include('gas line');

    await staffChange(id, { status: 'closed', status_notes: 'Slab replaced' });
    await smtp.waitFor(() => smtp.to(email).length === 3, 10_000, 'the closing message');
    const closing = smtp.to(email)[2]!;
    expect(closing.subject).to.include('closed');
    expect(closing.text).to.include('Slab replaced').and.include('Not fixed?');

    // "Not fixed?": the link's page, then its form adds a public update staff see.
    const notFixed = linkIn(closing.text, `${PUBLIC}/notifications/not-fixed/`);
    const path = notFixed.slice(PUBLIC.length);
    const pageAnswer = await request(notify.app).get(path);
    expect(pageAnswer.status).to.equal(200);
    expect(pageAnswer.headers['content-security-policy']).to.include("script-src 'self'");
    expect(pageAnswer.text).to.include('<form method="post"').and.include('<textarea');
    const posted = await request(notify.app).post(path).type('form').send({ description: 'The slab still rocks' });
    expect(posted.status, posted.text).to.equal(200);
    const staffView = await request(notify.app).get(`/api/v1/requests/${id}`).set('Authorization', `Bearer ${staffKey}`);
    const history = staffView.body.history as Array<{ type: string; public: boolean; description: string }>;
    expect(history.at(-1)).to.include({ type: 'comment', public: true, description: 'The slab still rocks' });
    const publicNotes = await request(notify.app).get(`${BASE}/requests/${id}.json?extensions=true`);
    expect(JSON.stringify(publicNotes.body)).to.include('The slab still rocks');
  });

  it('follows a request only after the confirmation click; followers never see the submitter', async () => {
    const submitter = `${unique('submitter')}@example.org`;
    const follower = `${unique('neighbour')}@example.net`;
    const id = await report({ email: submitter, first_name: 'Rosa', phone: '+1 740 555 0100' });
    await smtp.waitFor(() => smtp.to(submitter).length === 1);

    const asked = await request(notify.app).post(`/requests/${id}/follow`).type('form').send({ email: follower });
    expect(asked.status, asked.text).to.equal(200);
    expect(asked.type).to.equal('text/html');
    expect(asked.text).to.include('Check your e-mail');
    await smtp.waitFor(() => smtp.to(follower).length === 1, 10_000, 'the follow confirmation');
    const confirmation = smtp.to(follower)[0]!;
    const confirmLink = linkIn(confirmation.text, `${PUBLIC}/notifications/confirm/`);

    // Not confirmed yet: a change reaches the submitter only.
    await staffChange(id, { status: 'acknowledged' });
    await smtp.waitFor(() => smtp.to(submitter).length === 2);
    await settled(id);
    expect(smtp.to(follower)).to.have.length(1);

    // Opening the link changes nothing (mail scanners open links); the button's POST confirms.
    const confirmPath = confirmLink.slice(PUBLIC.length);
    const shown = await request(notify.app).get(confirmPath);
    expect(shown.status).to.equal(200);
    expect(shown.text).to.include(`action="${confirmPath}"`);
    const confirmed = await request(notify.app).post(confirmPath);
    expect(confirmed.status).to.equal(200);
    expect(confirmed.text).to.include('Subscription confirmed');

    await staffChange(id, { status: 'on_hold', status_notes: 'Waiting for parts' });
    await smtp.waitFor(() => smtp.to(follower).length === 2, 10_000, "the follower's update");
    const update = smtp.to(follower)[1]!;
    expect(update.text).to.include('Waiting for parts');
    for (const mail of smtp.to(follower)) {
      expect(mail.raw).to.not.include(submitter).and.not.include('Rosa').and.not.include('555 0100');
      expect(mail.to).to.deep.equal([follower]);
    }
    // Following again once confirmed sends nothing new.
    await request(notify.app).post(`/requests/${id}/follow`).type('form').send({ email: follower });
    await settled(id);
    expect(smtp.to(follower)).to.have.length(2);
  });

  it('refuses a malformed address at subscription with a clear error, and an unknown request', async () => {
    const id = await report({});
    const bad = await request(notify.app).post(`/requests/${id}/follow`).type('form').send({ email: 'someone@' });
    expect(bad.status).to.equal(400);
    expect(bad.type).to.equal('text/html');
    expect(bad.text).to.include('email must be a valid e-mail address');
    const missing = await request(notify.app).post('/requests/999999999999/follow').type('form').send({ email: 'a@example.org' });
    expect(missing.status).to.equal(404);
  });

  it('one-click unsubscribe (RFC 8058 POST) stops the next message', async () => {
    const email = `${unique('resident')}@example.org`;
    const id = await report({ email });
    await smtp.waitFor(() => smtp.to(email).length === 1);
    const url = /^<(.+)>$/.exec(smtp.to(email)[0]!.headers.get('list-unsubscribe')!)![1]!;
    const path = url.slice(PUBLIC.length);
    const page = await request(notify.app).get(path);
    expect(page.status).to.equal(200);
    const done = await request(notify.app).post(path).type('form').send('List-Unsubscribe=One-Click');
    expect(done.status, done.text).to.equal(200);
    await staffChange(id, { status: 'in_progress', status_notes: 'After unsubscribing' });
    await settled(id);
    expect(smtp.to(email)).to.have.length(1);
    expect((await messagesOf(id)).map((message) => message.template)).to.deep.equal(['confirmation']);
  });

  it('area alerts: confirmed, then one e-mail per new request inside the radius, none outside', async () => {
    const email = `${unique('watcher')}@example.org`;
    const center = { lat: 39.73555, long: -82.57111 };
    const asked = await request(notify.app)
      .post('/alerts')
      .type('form')
      .send({ email, lat: String(center.lat), long: String(center.long), radius: '300', frequency: 'immediate' });
    expect(asked.status, asked.text).to.equal(200);
    await smtp.waitFor(() => smtp.to(email).length === 1, 10_000, 'the alert confirmation');
    expect(smtp.to(email)[0]!.text).to.include('within 300 m of');
    const confirmPath = linkIn(smtp.to(email)[0]!.text, `${PUBLIC}/notifications/confirm/`).slice(PUBLIC.length);
    expect((await request(notify.app).post(confirmPath)).status).to.equal(200);

    const reporter = `${unique('reporter')}@example.org`;
    const inside = await report({ lat: String(center.lat + 0.001), long: String(center.long), email: reporter });
    const outside = await report({ lat: String(center.lat + 0.05), long: String(center.long) });
    await smtp.waitFor(() => smtp.to(email).length === 2, 10_000, 'the alert');
    await settled(outside);
    await sleep(200);
    expect(smtp.to(email)).to.have.length(2);
    const alert = smtp.to(email)[1]!;
    expect(alert.subject).to.include(inside);
    expect(alert.text).to.include(`${PUBLIC}/requests/${inside}`);
    // The alert never carries the submitter's address.
    expect(alert.raw).to.not.include(reporter);
    expect(alert.to).to.deep.equal([email]);
    expect(alert.headers.get('list-unsubscribe')).to.match(/\/notifications\/unsubscribe\//);
  });

  it('a blackbox report (no page on the site): e-mails without a tracking link; no follow, no alert, no feed entry', async () => {
    const center = { lat: 39.66 + Math.random() * 0.02, long: -82.66 - Math.random() * 0.02 };
    const watcher = `${unique('watcher')}@example.org`;
    await request(notify.app)
      .post('/alerts')
      .type('form')
      .send({ email: watcher, lat: String(center.lat), long: String(center.long), radius: '100' });
    await smtp.waitFor(() => smtp.to(watcher).length === 1, 10_000, 'the alert confirmation');
    await request(notify.app).post(linkIn(smtp.to(watcher)[0]!.text, `${PUBLIC}/notifications/confirm/`).slice(PUBLIC.length));

    const email = `${unique('blackbox')}@example.org`;
    const created = await request(notify.app)
      .post(`${BASE}/requests.json`)
      .type('form')
      .send({ api_key: ctx().apiKey, service_code: 'DEAD_ANIMAL', lat: String(center.lat), long: String(center.long), email });
    expect(created.status, created.text).to.equal(200);
    const id = String(
      (await ctx().db('notification_subscriptions').where({ email }).first('service_request_id')).service_request_id,
    );
    await smtp.waitFor(() => smtp.to(email).length === 1, 10_000, 'the confirmation');
    expect(smtp.to(email)[0]!.text).to.include(`Request number: ${id}`);
    await staffChange(id, { status: 'in_progress', status_notes: 'Crew on the way' });
    await smtp.waitFor(() => smtp.to(email).length === 2, 10_000, 'the update');
    expect(smtp.to(email)[1]!.text).to.include('Crew on the way');
    for (const mail of smtp.to(email)) expect(mail.raw).to.not.include(`${PUBLIC}/requests/`);

    const follow = await request(notify.app).post(`/requests/${id}/follow`).type('form').send({ email: 'a@example.org' });
    expect(follow.status).to.equal(404);
    // A request of another service at the same spot does raise the alert: the watcher hears of that one only.
    const sidewalk = await report({ lat: String(center.lat), long: String(center.long) });
    await smtp.waitFor(() => smtp.to(watcher).length === 2, 10_000, 'the alert of the other request');
    await settled(id);
    expect(smtp.to(watcher)[1]!.subject).to.include(sidewalk);
    expect(smtp.to(watcher)).to.have.length(2);

    const box = `${center.long - 0.001},${center.lat - 0.001},${center.long + 0.001},${center.lat + 0.001}`;
    const feed = await request(notify.app).get(`/feeds/requests.atom?bbox=${box}`);
    expect(feed.text).to.include(`/requests/${sidewalk}<`).and.not.include(`/requests/${id}<`);
    expect((await request(notify.app).get(`/feeds/requests/${id}.atom`)).status).to.equal(404);
  });

  it('area alerts inside a service area; the Atom feed of that area lists the same request', async () => {
    const email = `${unique('ward-watcher')}@example.org`;
    const center = { lat: 39.64 + Math.random() * 0.02, long: -82.64 - Math.random() * 0.02 };
    const area = await makeArea(center.lat, center.long);
    const asked = await request(notify.app).post('/alerts').type('form').send({ email, service_area: area });
    expect(asked.status, asked.text).to.equal(200);
    await smtp.waitFor(() => smtp.to(email).length === 1);
    expect(smtp.to(email)[0]!.text).to.include(`in Ward ${area}`);
    await request(notify.app).post(linkIn(smtp.to(email)[0]!.text, `${PUBLIC}/notifications/confirm/`).slice(PUBLIC.length));
    const inside = await report({ lat: String(center.lat), long: String(center.long) });
    const outside = await report({ lat: String(center.lat + 0.02), long: String(center.long) });
    await smtp.waitFor(() => smtp.to(email).length === 2, 10_000, 'the service-area alert');
    await settled(outside);
    expect(smtp.to(email)).to.have.length(2);
    expect(smtp.to(email)[1]!.subject).to.include(inside);
    const feed = await request(notify.app).get(`/feeds/requests.atom?service_area=${area}`);
    expect(feed.status).to.equal(200);
    expect(feed.text).to.include(`${PUBLIC}/requests/${inside}<`).and.not.include(`${PUBLIC}/requests/${outside}<`);
    const unknown = await request(notify.app).post('/alerts').type('form').send({ email, service_area: 'NO-SUCH-WARD' });
    expect(unknown.status).to.equal(404);
    const both = await request(notify.app)
      .post('/alerts')
      .type('form')
      .send({ email, service_area: area, lat: '39.7', long: '-82.6', radius: '100' });
    expect(both.status).to.equal(400);
    const tooWide = await request(notify.app)
      .post('/alerts')
      .type('form')
      .send({ email, lat: '39.7', long: '-82.6', radius: '50000' });
    expect(tooWide.status).to.equal(400);
    expect(tooWide.text).to.include('radius');
  });

  it('the resident site offers area alerts from its map page, in the page’s language', async () => {
    const map = await request(notify.app).get('/map').set('Accept-Language', 'es');
    expect(map.status).to.equal(200);
    const link = /<a href="(\/alerts\/new\?locale=es)">Reciba un correo sobre los nuevos reportes de una zona<\/a>/.exec(
      map.text,
    )?.[1];
    expect(link, 'the alerts link').to.be.a('string');
    const form = await request(notify.app).get(link!);
    expect(form.status).to.equal(200);
    expect(form.text).to.include('lang="es"').and.include('<form method="post" action="/alerts"');
  });

  it('area alerts as a daily digest list the new requests of the day once', async () => {
    const email = `${unique('digest')}@example.org`;
    // A spot of its own: requests of earlier runs on the same database are not in it.
    const center = { lat: 39.6 + Math.random() * 0.05, long: -82.5 - Math.random() * 0.05 };
    await request(notify.app)
      .post('/alerts')
      .type('form')
      .send({ email, lat: String(center.lat), long: String(center.long), radius: '200', frequency: 'daily', locale: 'es' });
    await smtp.waitFor(() => smtp.to(email).length === 1);
    const confirmPath = linkIn(smtp.to(email)[0]!.text, `${PUBLIC}/notifications/confirm/`).slice(PUBLIC.length);
    await request(notify.app).post(confirmPath);
    // Confirmed yesterday, so today's digest is due whatever the hour (NOTIFY_DIGEST_HOUR 0 below).
    await ctx()
      .db('notification_subscriptions')
      .where({ email })
      .update({ confirmed_at: ctx().db.raw(`now() - interval '1 day'`) });
    const first = await report({ lat: String(center.lat), long: String(center.long + 0.0005) });
    const second = await report({ lat: String(center.lat), long: String(center.long - 0.0005) });
    const digests = startNotifyApp(smtp.url, { NOTIFY_DIGEST_HOUR: '0' });
    try {
      await digests.dispatcher.writeDigests();
      await digests.dispatcher.writeDigests();
      await smtp.waitFor(() => smtp.to(email).length === 2, 10_000, 'the digest');
      await sleep(300);
      expect(smtp.to(email)).to.have.length(2);
      const digest = smtp.to(email)[1]!;
      expect(digest.subject).to.include('2 nuevas solicitudes');
      expect(digest.text).to.include(`${PUBLIC}/requests/${first}`).and.include(`${PUBLIC}/requests/${second}`);
    } finally {
      await digests.stop();
    }
  });

  it('sends an agency its daily digest of overdue requests, to the staff addresses an admin registered', async () => {
    const code = unique('AG')
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '_');
    const agency = await request(notify.app)
      .post('/api/v1/agencies')
      .set('Authorization', `Bearer ${adminKey}`)
      .send({ code, name: `Agency ${code}` });
    expect(agency.status, agency.text).to.equal(201);
    const supervisor = `${unique('supervisor')}@lancasterohio.gov`;
    const registered = await request(notify.app)
      .post('/api/v1/notifications/overdue-digests')
      .set('Authorization', `Bearer ${adminKey}`)
      .send({ agency: code, email: supervisor });
    expect(registered.status, registered.text).to.equal(201);
    expect(registered.body).to.include({ agency: code, email: supervisor });
    const bad = await request(notify.app)
      .post('/api/v1/notifications/overdue-digests')
      .set('Authorization', `Bearer ${adminKey}`)
      .send({ agency: code, email: 'nope' });
    expect(bad.status).to.equal(400);
    // The body is checked against its schema first: unknown fields and wrong types are clear 400s.
    for (const [body, message] of [
      [{ agency: code, email: supervisor, role: 'boss' }, 'role'],
      [{ agency: 7, email: supervisor }, 'agency must be the code of an agency'],
      [{ agency: code }, 'email'],
    ] as const) {
      const refused = await request(notify.app)
        .post('/api/v1/notifications/overdue-digests')
        .set('Authorization', `Bearer ${adminKey}`)
        .send(body);
      expect(refused.status, JSON.stringify(body)).to.equal(400);
      expect(JSON.stringify(refused.body), JSON.stringify(body)).to.include(message);
    }
    const overdue = await report({ address_string: '9 Overdue Ln' });
    const onTime = await report({});
    const agencyId = (await ctx().db('agencies').where({ code }).first('id')).id;
    await ctx()
      .db('service_requests')
      .where({ id: overdue })
      .update({ agency_id: agencyId, expected_datetime: ctx().db.raw(`now() - interval '2 days'`) });
    await ctx()
      .db('service_requests')
      .where({ id: onTime })
      .update({ agency_id: agencyId, expected_datetime: ctx().db.raw(`now() + interval '2 days'`) });
    await ctx()
      .db('agency_digest_recipients')
      .where({ email: supervisor })
      .update({ created_at: ctx().db.raw(`now() - interval '1 day'`) });
    const digests = startNotifyApp(smtp.url, { NOTIFY_DIGEST_HOUR: '0' });
    try {
      await digests.dispatcher.writeDigests();
      await digests.dispatcher.writeDigests();
      await smtp.waitFor(() => smtp.to(supervisor).length === 1, 10_000, 'the overdue digest');
      await sleep(300);
      expect(smtp.to(supervisor)).to.have.length(1);
      const digest = smtp.to(supervisor)[0]!;
      expect(digest.subject).to.include(`1 overdue requests for Agency ${code}`);
      expect(digest.text)
        .to.include(`${PUBLIC}/requests/${overdue}`)
        .and.include('9 Overdue Ln')
        .and.not.include(`/requests/${onTime}`);
    } finally {
      await digests.stop();
    }
    const list = await request(notify.app)
      .get('/api/v1/notifications/overdue-digests')
      .set('Authorization', `Bearer ${adminKey}`);
    const mine = (list.body.recipients as Array<{ id: string; email: string }>).find((item) => item.email === supervisor)!;
    const removed = await request(notify.app)
      .delete(`/api/v1/notifications/overdue-digests/${mine.id}`)
      .set('Authorization', `Bearer ${adminKey}`);
    expect(removed.status).to.equal(204);
    // Both changes are audited under the key that made them.
    const trail = await ctx()
      .db('audit_log')
      .where({ entity_type: 'overdue_digest_recipient', entity_id: mine.id })
      .orderBy('id');
    expect(trail.map((entry) => [entry.action, String(entry.actor_key_id)])).to.deep.equal([
      ['create', adminKeyId],
      ['delete', adminKeyId],
    ]);
  });

  it('mails the staff member a request is assigned to', async () => {
    const email = `${unique('crew')}@lancasterohio.gov`;
    const account = await insertAccount(ctx().db, { email, display_name: 'Pat Crew', role: 'staff', agencies: [] });
    const id = await report({ address_string: '5 Assigned Ave' });
    // Through the staff API's assignment (PATCH assigned_to).
    await staffChange(id, { assigned_to: account!.id });
    await smtp.waitFor(() => smtp.to(email).length === 1, 10_000, 'the assignment');
    const mail = smtp.to(email)[0]!;
    expect(mail.subject).to.include(`Request ${id} is assigned to you`);
    expect(mail.text).to.include('5 Assigned Ave').and.include(`${PUBLIC}/staff/requests/${id}`);
  });

  it('shows staff which notifications went out and when, never a follower address; admins list failures', async () => {
    const submitter = `${unique('submitter')}@example.org`;
    const follower = `${unique('follower')}@example.net`;
    const id = await report({ email: submitter });
    await request(notify.app).post(`/requests/${id}/follow`).type('form').send({ email: follower });
    await smtp.waitFor(() => smtp.to(follower).length === 1 && smtp.to(submitter).length === 1);
    await settled(id);
    const answer = await request(notify.app)
      .get(`/api/v1/requests/${id}/notifications`)
      .set('Authorization', `Bearer ${staffKey}`);
    expect(answer.status, answer.text).to.equal(200);
    const list = answer.body.notifications as Array<Record<string, unknown>>;
    expect(list.map((item) => [item.template, item.recipient_role, item.status])).to.deep.equal([
      ['confirmation', 'submitter', 'sent'],
      ['follow-confirm', 'follower', 'sent'],
    ]);
    expect(list[0]!.recipient).to.equal(submitter);
    expect(list[0]!.sent_at).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(list[1]).to.not.have.property('recipient');
    expect(answer.text).to.not.include(follower);
    // The console's request page shows the same, to a signed-in person.
    const person = await signInWithLink(await makePerson(), notify.app);
    const page = await person.get(`/staff/requests/${id}`);
    expect(page.status).to.equal(200);
    const section = page.text.slice(page.text.indexOf('<h2>E-mails</h2>'));
    expect(section).to.include('<td>Receipt</td>').and.include(`<td>${submitter}</td>`);
    expect(section).to.include('<td>Follow confirmation</td>').and.include('<td>A follower</td>');
    expect(page.text).to.not.include(follower);

    const failed = await request(notify.app)
      .get('/api/v1/notifications?status=failed')
      .set('Authorization', `Bearer ${adminKey}`);
    expect(failed.status).to.equal(200);
    expect(failed.body.notifications).to.be.an('array');
    const forbidden = await request(notify.app).get('/api/v1/notifications').set('Authorization', `Bearer ${staffKey}`);
    expect(forbidden.status).to.equal(403);
  });
});

describe('e-mail notifications without SMTP_URL', () => {
  it('are off: a report with an e-mail queues nothing, following answers 404', async () => {
    const answer = await request(ctx().app)
      .post(`${BASE}/requests.json`)
      .type('form')
      .send({
        api_key: ctx().apiKey,
        service_code: 'SIDEWALK',
        lat: '39.71',
        long: '-82.6',
        email: `${unique('off')}@example.org`,
      });
    expect(answer.status).to.equal(200);
    const id = (answer.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
    expect(await messagesOf(id)).to.deep.equal([]);
    expect(await ctx().db('notification_subscriptions').where({ service_request_id: id })).to.deep.equal([]);
    const follow = await request(ctx().app).post(`/requests/${id}/follow`).type('form').send({ email: 'a@example.org' });
    expect(follow.status).to.equal(404);
    expect(follow.text).to.include('not offered');
    // The site offers neither following nor area alerts then.
    expect((await request(ctx().app).get('/map')).text).to.not.include('/alerts/new');
    expect((await request(ctx().app).get(`/requests/${id}`)).text).to.not.include('/follow"');
  });
});

describe('e-mail notifications when the SMTP server is down', function () {
  this.timeout(60_000);

  it('never fails the report, retries with backoff and delivers once the server is back', async () => {
    const port = await freePort();
    const down = startNotifyApp(`smtp://mailer:smtp-test-password@127.0.0.1:${port}`, { NOTIFY_RETRY_BASE_MS: '200' });
    let server: SmtpServer | undefined;
    try {
      notify = down;
      const email = `${unique('patient')}@example.org`;
      const id = await report({ email });
      // Attempts fail while nothing listens…
      await waitUntil(
        async () =>
          Number((await ctx().db('notification_messages').where({ service_request_id: id }).first('attempts')).attempts) >= 2,
        15_000,
        'failed attempts',
      );
      const row = await ctx().db('notification_messages').where({ service_request_id: id }).first();
      expect(row.status).to.equal('pending');
      expect(row.last_error).to.match(/ECONNREFUSED|connect/i);
      // …then the server comes up on that port and the message goes out, once.
      server = await startSmtp(port);
      await server.waitFor(() => server!.to(email).length === 1, 20_000, 'the retried confirmation');
      await sleep(500);
      expect(server.to(email)).to.have.length(1);
      expect((await ctx().db('notification_messages').where({ service_request_id: id }).first()).status).to.equal('sent');
    } finally {
      await down.stop();
      await server?.close();
    }
  });

  it('a server that refuses a message (550): retried, then failed; the report is taken and others still go out', async () => {
    const refusing = await startSmtp(undefined, { refuse: (address) => address.startsWith('refused-') });
    const app = startNotifyApp(refusing.url, { NOTIFY_RETRY_BASE_MS: '20', NOTIFY_MAX_ATTEMPTS: '3' });
    try {
      notify = app;
      const refused = `refused-${unique('box')}@example.org`;
      const accepted = `${unique('accepted')}@example.org`;
      const refusedId = await report({ email: refused });
      const acceptedId = await report({ email: accepted });
      await refusing.waitFor(() => refusing.to(accepted).length === 1, 10_000, 'the accepted confirmation');
      await waitUntil(
        async () =>
          (await ctx().db('notification_messages').where({ service_request_id: refusedId }).first('status')).status === 'failed',
        15_000,
        'the refused message to fail',
      );
      const row = await ctx().db('notification_messages').where({ service_request_id: refusedId }).first();
      expect(Number(row.attempts)).to.equal(3);
      expect(row.last_error).to.match(/550|Mailbox unavailable/);
      expect(refusing.to(refused)).to.deep.equal([]);
      expect((await messagesOf(acceptedId)).map((message) => message.status)).to.deep.equal(['sent']);
      // The refused resident's request stands, as any other.
      expect((await request(app.app).get(`${BASE}/requests/${refusedId}.json`)).status).to.equal(200);
    } finally {
      await app.stop();
      await refusing.close();
    }
  });

  it('marks a message failed after the last attempt, visible to admins', async () => {
    const port = await freePort();
    const down = startNotifyApp(`smtp://mailer:smtp-test-password@127.0.0.1:${port}`, {
      NOTIFY_RETRY_BASE_MS: '20',
      NOTIFY_MAX_ATTEMPTS: '2',
    });
    try {
      notify = down;
      const id = await report({ email: `${unique('unlucky')}@example.org` });
      await waitUntil(
        async () =>
          (await ctx().db('notification_messages').where({ service_request_id: id }).first('status')).status === 'failed',
        15_000,
        'the failed mark',
      );
      const admin = (await createKey(ctx().db, unique('admin'), 'admin')).key;
      const answer = await request(down.app).get('/api/v1/notifications?status=failed').set('Authorization', `Bearer ${admin}`);
      const mine = (answer.body.notifications as Array<Record<string, unknown>>).find((item) => item.service_request_id === id);
      expect(mine).to.include({ status: 'failed', attempts: 2, template: 'confirmation' });
      expect(mine!.last_error).to.be.a('string');
    } finally {
      await down.stop();
    }
  });
});

describe('e-mail notifications: limits and several nodes', function () {
  this.timeout(60_000);

  it('bounds what one address receives per hour: the rest waits for the next hour', async () => {
    const smtpServer = await startSmtp();
    const capped = startNotifyApp(smtpServer.url, { NOTIFY_HOURLY_CAP: '2' });
    try {
      notify = capped;
      const email = `${unique('busy')}@example.org`;
      const ids = [await report({ email }), await report({ email }), await report({ email })];
      await smtpServer.waitFor(() => smtpServer.to(email).length === 2, 10_000, 'two messages');
      await waitUntil(
        async () =>
          (await ctx().db('notification_messages').where({ service_request_id: ids[2] }).first('last_error')).last_error !== null,
        10_000,
        'the third to wait',
      );
      await sleep(300);
      expect(smtpServer.to(email)).to.have.length(2);
      const third = await ctx().db('notification_messages').where({ service_request_id: ids[2] }).first();
      expect(third.status).to.equal('pending');
      expect(third.last_error).to.equal('hourly limit of the address');
      expect(new Date(third.next_attempt_at).getTime()).to.be.greaterThan(Date.now() + 50 * 60 * 1000);
      expect(Number(third.attempts)).to.equal(0);
    } finally {
      await capped.stop();
      await smtpServer.close();
    }
  });

  it('two dispatchers on one store send each message once', async () => {
    const smtpServer = await startSmtp();
    const first = startNotifyApp(smtpServer.url);
    const second = startNotifyApp(smtpServer.url);
    try {
      notify = first;
      const emails = Array.from({ length: 12 }, () => `${unique('node')}@example.org`);
      await Promise.all(emails.map((email) => report({ email })));
      await smtpServer.waitFor(() => emails.every((email) => smtpServer.to(email).length >= 1), 20_000, 'all confirmations');
      await sleep(500);
      for (const email of emails) expect(smtpServer.to(email), email).to.have.length(1);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      await smtpServer.close();
    }
  });
});
