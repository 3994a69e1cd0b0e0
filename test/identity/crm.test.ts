// What identity changes in the CRM, against the real store: the audit trail names people (and keys record
// who made them), assignment with its queue filters, audit and webhook field, response templates used from
// PATCH, GET /me, the admin API for people — and no public answer ever shows an assignee or a person.
import { expect } from 'chai';
import request from 'supertest';
import { createKey } from '../../src/store/api-keys-store.js';
import { createWebhook, deactivateWebhook } from '../../src/store/webhooks-store.js';
import { createRequest } from '../helpers/build.js';
import { csrfOf, makePerson, signInWithLink, type Agent } from '../helpers/staff-people.js';
import { BASE, ctx, unique } from '../helpers/test-server.js';

// Made inside the tests: keys made by a root-level hook would not survive the migrations test's rollback.
let adminKeyValue: string | undefined;
async function adminKeyHeader(): Promise<string> {
  adminKeyValue ??= `Bearer ${(await createKey(ctx().db, unique('identity admin key'), 'admin')).key}`;
  return adminKeyValue;
}

async function patchAs(agent: Agent, id: string, body: Record<string, unknown>) {
  const current = await agent.get(`/api/v1/requests/${id}`);
  return agent
    .patch(`/api/v1/requests/${id}`)
    .set('X-CSRF-Token', await csrfOf(agent))
    .set('If-Match', String(current.headers.etag))
    .send(body);
}

describe('identity in the CRM: assignment', () => {
  it('assigns to me, to a person by id, and to nobody; the queue filters by assigned_to; each change is audited by name', async () => {
    const dana = await makePerson('staff', unique('Dana'));
    const lee = await makePerson('staff', unique('Lee'));
    const agent = await signInWithLink(dana);
    const [mine, theirs, nobody] = [await createRequest(), await createRequest(), await createRequest()];
    expect((await patchAs(agent, mine, { assigned_to: 'me' })).status).to.equal(200);
    const assigned = await patchAs(agent, theirs, { assigned_to: lee.id });
    expect(assigned.status).to.equal(200);
    expect(assigned.body.assigned_to).to.deep.equal({ id: lee.id, name: lee.display_name });

    const ids = `${mine},${theirs},${nobody}`;
    const queue = async (filter: string) =>
      (
        (await agent.get(`/api/v1/requests?service_request_id=${ids}&assigned_to=${filter}`)).body.requests as Array<{
          service_request_id: string;
        }>
      )
        .map((row) => row.service_request_id)
        .sort();
    expect(await queue('me')).to.deep.equal([mine]);
    expect(await queue(lee.id)).to.deep.equal([theirs]);
    expect(await queue('none')).to.deep.equal([nobody]);
    expect((await agent.get('/api/v1/requests?assigned_to=someone')).status).to.equal(400);
    // A key is nobody: "me" matches nothing for it.
    const byKey = await request(ctx().app)
      .get(`/api/v1/requests?service_request_id=${ids}&assigned_to=me`)
      .set('Authorization', await adminKeyHeader());
    expect(byKey.body.requests).to.deep.equal([]);

    const unassigned = await patchAs(agent, theirs, { assigned_to: null });
    expect(unassigned.body.assigned_to).to.equal(null);
    const audit = unassigned.body.audit as Array<{ actor: string; action: string; changes: Record<string, unknown> }>;
    expect(audit.map((entry) => [entry.actor, entry.action])).to.deep.equal([
      [dana.display_name, 'assign'],
      [dana.display_name, 'assign'],
    ]);
    expect(audit[0]!.changes.assigned_to).to.deep.equal({ from: null, to: { id: lee.id, name: lee.display_name } });
    expect(audit[1]!.changes.assigned_to).to.deep.equal({ from: { id: lee.id, name: lee.display_name }, to: null });
    const row = await ctx().db('audit_log').where({ entity_type: 'service_request', entity_id: theirs }).first();
    expect(String(row.actor_staff_id)).to.equal(dana.id);
    expect(row.actor_key_id).to.equal(null);

    // A key must name the person; an unknown or deactivated account is refused.
    const keyMe = await request(ctx().app)
      .patch(`/api/v1/requests/${nobody}`)
      .set('Authorization', await adminKeyHeader())
      .send({ assigned_to: 'me', version: 1 });
    expect(keyMe.status).to.equal(400);
    const retired = await makePerson();
    await request(ctx().app)
      .delete(`/api/v1/staff/${retired.id}`)
      .set('Authorization', await adminKeyHeader());
    const toRetired = await request(ctx().app)
      .patch(`/api/v1/requests/${nobody}`)
      .set('Authorization', await adminKeyHeader())
      .send({ assigned_to: retired.id, version: 1 });
    expect(toRetired.status).to.equal(400);
  });

  it('puts the assignee in the request.updated webhook event (a staff field), and no public answer shows it', async () => {
    const person = await makePerson('staff', unique('Morgan Assignee'));
    const agent = await signInWithLink(person);
    const hook = await createWebhook(ctx().db, {
      jurisdiction_id: ctx().config.jurisdictionId,
      url: 'http://127.0.0.1:9/never-called',
      events: ['request.updated'],
      secret: unique('secret'),
      actor: { key_id: null, name: 'test' },
    });
    const id = await createRequest({ email: `${unique('resident')}@example.org` });
    const token = (await ctx().db('request_tokens').select('token').where({ service_request_id: id }).first())?.token as
      | string
      | undefined;
    expect((await patchAs(agent, id, { assigned_to: 'me', status: 'in_progress', status_notes: 'On it.' })).status).to.equal(200);
    const delivery = await ctx()
      .db('webhook_deliveries')
      .select('payload')
      .where({ webhook_id: hook.id, event_type: 'request.updated' })
      .whereRaw(`payload->>'service_request_id' = ?`, [id])
      .first();
    expect(delivery.payload.assigned_to).to.deep.equal({ id: person.id, name: person.display_name });
    await deactivateWebhook(ctx().db, ctx().config.jurisdictionId, hook.id, { key_id: null, name: 'test' });

    const publicPaths = [
      `${BASE}/requests/${id}.json`,
      `${BASE}/requests/${id}.xml`,
      `${BASE}/requests/${id}.json?extensions=true`,
      `${BASE}/requests/${id}.xml?extensions=true`,
      `${BASE}/requests/${id}.geojson?extensions=true`,
      `${BASE}/requests.json?service_request_id=${id}`,
      `${BASE}/requests.json?service_request_id=${id}&extensions=true`,
      `${BASE}/requests.xml?service_request_id=${id}&extensions=true`,
      `${BASE}/requests.geojson?service_request_id=${id}&extensions=true`,
      `${BASE}/servicerequestupdates.json?service_request_id=${id}`,
      `${BASE}/servicerequestupdates.xml?service_request_id=${id}`,
      `${BASE}/discovery.json`,
      '/open311/bulk/requests.csv',
      // The resident site and the public feeds.
      `/requests/${id}`,
      `/requests?service_request_id=${id}`,
      '/map',
      '/numbers',
      '/feeds/requests.atom',
      ...(token ? [`${BASE}/tokens/${token}.json`] : []),
    ];
    let checked = 0;
    for (const path of publicPaths) {
      const answer = await request(ctx().app).get(path);
      // Redirects lead to pages of this list (the site sends a looked-up id to its tracking page).
      if (answer.status === 404 || answer.status === 400 || answer.status === 303) continue;
      expect(answer.status, path).to.equal(200);
      checked++;
      for (const secret of ['assigned_to', 'assignee', person.display_name, person.email, 'staff_id'])
        expect(answer.text.toLowerCase(), `${path} shows ${secret}`).to.not.include(secret.toLowerCase());
    }
    expect(checked).to.be.greaterThan(8);
    // The public request itself is there (so the scan looked at the right thing).
    expect((await request(ctx().app).get(`${BASE}/requests/${id}.json`)).text).to.include('On it.');
    const trackPage = await request(ctx().app).get(`/requests/${id}`);
    expect(trackPage.status).to.equal(200);
    expect(trackPage.text).to.include('On it.');
  });
});

describe('identity in the CRM: response templates', () => {
  it('admins manage templates; staff use one from PATCH, with the text editable; the audit names it', async () => {
    const admin = await signInWithLink(await makePerson('admin'));
    const staff = await signInWithLink(await makePerson('staff'));
    const name = unique('Pothole filled');
    const body = { name, text: 'The crew filled this pothole. Thanks!', service_code: 'POTHOLE', status: 'closed' };
    expect(
      (
        await staff
          .post('/api/v1/response-templates')
          .set('X-CSRF-Token', await csrfOf(staff))
          .send(body)
      ).status,
    ).to.equal(403);
    const created = await admin
      .post('/api/v1/response-templates')
      .set('X-CSRF-Token', await csrfOf(admin))
      .send(body);
    expect(created.status).to.equal(201);
    const template = created.body;
    expect(template).to.include({ name, service_code: 'POTHOLE', status: 'closed' });
    expect(
      (
        await admin
          .post('/api/v1/response-templates')
          .set('X-CSRF-Token', await csrfOf(admin))
          .send(body)
      ).status,
    ).to.equal(409);
    const listed = await staff.get('/api/v1/response-templates?service_code=POTHOLE');
    expect(listed.body.templates.map((item: { id: string }) => item.id)).to.include(template.id);
    const otherService = await staff.get('/api/v1/response-templates?service_code=SIDEWALK');
    expect(otherService.body.templates.map((item: { id: string }) => item.id)).to.not.include(template.id);

    const pothole = await createRequest({ service_code: 'POTHOLE', 'attribute[SIZE]': 'SMALL' });
    const closed = await patchAs(staff, pothole, { template_id: template.id });
    expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
    expect(closed.body).to.include({ status: 'closed', detailed_status: 'closed', status_notes: body.text });
    expect(closed.body.audit.at(-1).changes.template).to.deep.equal({ id: template.id, name });
    const publicView = (await request(ctx().app).get(`${BASE}/requests/${pothole}.json`)).body[0];
    expect(publicView).to.include({ status: 'closed', status_notes: body.text });

    const edited = await createRequest({ service_code: 'POTHOLE', 'attribute[SIZE]': 'SMALL' });
    const withText = await patchAs(staff, edited, { template_id: template.id, status_notes: 'Filled on Tuesday. Thanks!' });
    expect(withText.body.status_notes).to.equal('Filled on Tuesday. Thanks!');
    const sidewalk = await createRequest({ service_code: 'SIDEWALK' });
    expect((await patchAs(staff, sidewalk, { template_id: template.id })).status).to.equal(400);
    expect((await patchAs(staff, sidewalk, { template_id: '999999999' })).status).to.equal(400);

    const replaced = await admin
      .put(`/api/v1/response-templates/${template.id}`)
      .set('X-CSRF-Token', await csrfOf(admin))
      .send({ ...body, text: 'Filled.', service_code: null });
    expect(replaced.status).to.equal(200);
    expect(replaced.body).to.include({ text: 'Filled.', service_code: null });
    expect(
      (await admin.delete(`/api/v1/response-templates/${template.id}`).set('X-CSRF-Token', await csrfOf(admin))).status,
    ).to.equal(204);
    expect((await staff.get(`/api/v1/response-templates/${template.id}`)).status).to.equal(404);
    const trail = await ctx().db('audit_log').where({ entity_type: 'response_template', entity_id: template.id }).orderBy('id');
    expect(trail.map((entry) => entry.action)).to.deep.equal(['create', 'update', 'delete']);
  });
});

describe('identity in the CRM: GET /me and the people admin API', () => {
  it('/me says who is calling: a person or a key', async () => {
    const person = await makePerson('admin');
    const me = await (await signInWithLink(person)).get('/api/v1/me');
    expect(me.body).to.deep.equal({
      kind: 'person',
      id: person.id,
      email: person.email,
      display_name: person.display_name,
      role: 'admin',
      agencies: [],
      two_factor: false,
      has_password: false,
    });
    const key = await request(ctx().app)
      .get('/api/v1/me')
      .set('Authorization', await adminKeyHeader());
    expect(key.body).to.include({ kind: 'key', role: 'admin' });
    expect((await request(ctx().app).get('/api/v1/me')).status).to.equal(401);
  });

  it('admins list, create (with a sign-in link), change and deactivate people; deactivation ends their sessions', async () => {
    const admin = await signInWithLink(await makePerson('admin'));
    const csrf = await csrfOf(admin);
    const email = `${unique('new.person')}@city.example`;
    const created = await admin
      .post('/api/v1/staff')
      .set('X-CSRF-Token', csrf)
      .send({ email, display_name: 'New Person', agencies: ['STREETS'] });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ email, role: 'staff', active: true, has_password: false });
    expect(created.body.sign_in_link.url).to.match(/\/staff\/sign-in\/link\/[\w-]{43}$/);
    expect(
      (await admin.post('/api/v1/staff').set('X-CSRF-Token', csrf).send({ email: email.toUpperCase(), display_name: 'Again' }))
        .status,
    ).to.equal(409);
    const id = created.body.id as string;

    // The new person signs in with their link.
    const person = request.agent(ctx().app);
    const path = new URL(created.body.sign_in_link.url).pathname;
    expect((await person.post(path).type('form').send('')).status).to.equal(303);
    expect((await person.get('/api/v1/me')).body.email).to.equal(email);
    expect((await person.get('/api/v1/staff')).status).to.equal(403);

    const promoted = await admin.patch(`/api/v1/staff/${id}`).set('X-CSRF-Token', csrf).send({ role: 'admin', agencies: [] });
    expect(promoted.body).to.include({ role: 'admin' });
    expect((await person.get('/api/v1/staff')).status).to.equal(200);
    const listed = await admin.get('/api/v1/staff');
    expect(JSON.stringify(listed.body)).to.not.match(/password_hash|totp_secret|scrypt/);

    const link = await admin.post(`/api/v1/staff/${id}/sign-in-link`).set('X-CSRF-Token', csrf).send('');
    expect(link.status).to.equal(201);
    expect((await admin.delete(`/api/v1/staff/${id}`).set('X-CSRF-Token', csrf)).status).to.equal(204);
    expect((await person.get('/api/v1/me')).status).to.equal(401);
    const unusable = await request(ctx().app).post(new URL(link.body.url).pathname).type('form').send('');
    expect(unusable.status).to.equal(404);
    expect((await admin.get(`/api/v1/staff/${id}`)).body).to.include({ active: false });
    const trail = await ctx().db('audit_log').where({ entity_type: 'staff_account', entity_id: id }).orderBy('id');
    expect(trail.map((entry) => entry.action)).to.deep.equal(['create', 'update', 'sign_in_link', 'deactivate']);

    const settings = await admin.patch('/api/v1/identity-settings').set('X-CSRF-Token', csrf).send({ require_two_factor: false });
    expect(settings.body).to.deep.equal({ require_two_factor: false, require_two_factor_for_admins: false });
  });

  it('a key made by a person records who made it', async () => {
    const person = await makePerson('admin');
    const agent = await signInWithLink(person);
    const created = await agent
      .post('/api/v1/keys')
      .set('X-CSRF-Token', await csrfOf(agent))
      .send({ name: unique('integration'), role: 'staff' });
    expect(created.status).to.equal(201);
    const row = await ctx().db('api_keys').where({ id: created.body.id }).first();
    expect(String(row.created_by_staff_id)).to.equal(person.id);
    expect(row.created_by_name).to.equal(person.display_name);

    // Revoking it is audited under the person, and the key stops at once.
    const staffCall = () => request(ctx().app).get('/api/v1/me').set('Authorization', `Bearer ${created.body.key}`);
    expect((await staffCall()).status).to.equal(200);
    const revoked = await agent.delete(`/api/v1/keys/${created.body.id}`).set('X-CSRF-Token', await csrfOf(agent));
    expect(revoked.status).to.equal(204);
    expect((await staffCall()).status).to.equal(401);
    const trail = await ctx()
      .db('audit_log')
      .where({ entity_type: 'api_key', entity_id: String(created.body.id) })
      .orderBy('id');
    expect(trail.map((entry) => [entry.action, String(entry.actor_staff_id), entry.actor_name])).to.deep.equal([
      ['create', person.id, person.display_name],
      ['revoke', person.id, person.display_name],
    ]);
  });

  it('the console records who made and revoked a key, and who added a person', async () => {
    const person = await makePerson('admin');
    const agent = await signInWithLink(person);
    const name = unique('console key');
    const made = await agent
      .post('/staff/admin/keys')
      .type('form')
      .send({ _csrf: await csrfOf(agent), name, role: 'staff' });
    expect(made.status, made.text.slice(0, 300)).to.equal(201);
    const row = await ctx().db('api_keys').where({ name }).first();
    expect(String(row.created_by_staff_id)).to.equal(person.id);
    const key = /data-secret[^>]*>\s*([^<\s]+)/.exec(made.text)![1]!;
    expect((await request(ctx().app).get('/api/v1/me').set('Authorization', `Bearer ${key}`)).status).to.equal(200);
    const revoked = await agent
      .post(`/staff/admin/keys/${row.id}/revoke`)
      .type('form')
      .send({ _csrf: await csrfOf(agent) });
    expect(revoked.status).to.equal(303);
    expect((await request(ctx().app).get('/api/v1/me').set('Authorization', `Bearer ${key}`)).status).to.equal(401);
    const keyTrail = await ctx()
      .db('audit_log')
      .where({ entity_type: 'api_key', entity_id: String(row.id) })
      .orderBy('id');
    expect(keyTrail.map((entry) => [entry.action, String(entry.actor_staff_id)])).to.deep.equal([
      ['create', person.id],
      ['revoke', person.id],
    ]);

    const email = `${unique('console.person')}@city.example`;
    const added = await agent
      .post('/staff/admin/staff')
      .type('form')
      .send({ _csrf: await csrfOf(agent), email, display_name: 'Console Person', role: 'staff' });
    expect(added.status, added.text.slice(0, 300)).to.equal(201);
    const account = await ctx().db('staff_accounts').whereRaw('lower(email) = lower(?)', [email]).first();
    const linked = await agent
      .post(`/staff/admin/staff/${account.id}/link`)
      .type('form')
      .send({ _csrf: await csrfOf(agent) });
    expect(linked.status).to.equal(201);
    const personTrail = await ctx()
      .db('audit_log')
      .where({ entity_type: 'staff_account', entity_id: String(account.id) })
      .orderBy('id');
    expect(personTrail.map((entry) => [entry.action, String(entry.actor_staff_id)])).to.deep.equal([
      ['create', person.id],
      ['sign_in_link', person.id],
    ]);
  });
});
