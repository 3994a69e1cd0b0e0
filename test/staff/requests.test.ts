import { expect } from 'chai';
import request from 'supertest';
import { createJurisdictionRegistry } from '../../src/domain/jurisdictions.js';
import { queue } from '../../src/http/workflow-actions.js';
import { createKey, type KeyRole } from '../../src/store/api-keys-store.js';
import { addServices, createRequest, submit } from '../helpers/build.js';
import { BASE, ctx, get, unique } from '../helpers/test-server.js';

const keys: Partial<Record<KeyRole, { key: string; name: string }>> = {};
async function keyFor(role: KeyRole): Promise<{ key: string; name: string }> {
  if (!keys[role]) {
    const name = unique(`${role} tester`);
    keys[role] = { key: (await createKey(ctx().db, name, role)).key, name };
  }
  return keys[role]!;
}
const staff = async () => `Bearer ${(await keyFor('staff')).key}`;

async function patch(id: string, body: unknown, headers: Record<string, string> = {}) {
  let call = request(ctx().app)
    .patch(`/api/v1/requests/${id}`)
    .set('Authorization', await staff())
    .set('Content-Type', 'application/json');
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
  return call.send(JSON.stringify(body));
}
async function staffGet(path: string) {
  return request(ctx().app)
    .get(path)
    .set('Authorization', await staff());
}

describe('staff API: access', () => {
  it('needs a key (401), refuses client keys (403) and accepts staff and admin keys', async () => {
    const none = await request(ctx().app).get('/api/v1/requests');
    expect(none.status).to.equal(401);
    expect(none.headers['www-authenticate']).to.match(/^Bearer/);
    expect(none.body).to.deep.equal([
      { code: 401, description: 'This API needs a staff key: send Authorization: Bearer <key>.' },
    ]);
    const client = await request(ctx().app).get('/api/v1/requests').set('Authorization', `Bearer ${ctx().apiKey}`);
    expect(client.status).to.equal(403);
    expect(client.body[0].code).to.equal(403);
    const bogus = await request(ctx().app).get('/api/v1/requests').set('Authorization', 'Bearer not-a-key');
    expect(bogus.status).to.equal(401);
    expect((await staffGet('/api/v1/requests')).status).to.equal(200);
    const admin = await request(ctx().app)
      .get('/api/v1/requests')
      .set('Authorization', `Bearer ${(await keyFor('admin')).key}`);
    expect(admin.status).to.equal(200);
  });

  it('lets only admins manage keys; a new key is shown once and works at once', async () => {
    expect((await staffGet('/api/v1/keys')).status).to.equal(403);
    const admin = `Bearer ${(await keyFor('admin')).key}`;
    const created = await request(ctx().app)
      .post('/api/v1/keys')
      .set('Authorization', admin)
      .send({ name: unique('app'), role: 'client' });
    expect(created.status).to.equal(201);
    expect(created.body.key).to.match(/^o311_/);
    const listed = await request(ctx().app).get('/api/v1/keys').set('Authorization', admin);
    expect(JSON.stringify(listed.body)).to.include(created.body.name).and.not.include(created.body.key);
    expect((await submit({ api_key: created.body.key })).status).to.equal(200);
    expect((await request(ctx().app).delete(`/api/v1/keys/${created.body.id}`).set('Authorization', admin)).status).to.equal(204);
    expect((await submit({ api_key: created.body.key })).status).to.equal(403);
    const bad = await request(ctx().app).post('/api/v1/keys').set('Authorization', admin).send({ role: 'root' });
    expect(bad.status).to.equal(400);
    expect(bad.body.map((error: { description: string }) => error.description)).to.include.members([
      'name is required.',
      'role must be client, staff or admin.',
    ]);
  });
});

describe('staff API: changing a request', () => {
  it('closes a request: GeoReport shows it at once, in both formats, with public history and an audit entry', async () => {
    const id = await createRequest();
    const before = (await get(`${BASE}/requests/${id}.json`)).body as Array<Record<string, string>>;
    await new Promise((resolve) => setTimeout(resolve, 1100)); // updated_datetime has whole seconds
    const response = await patch(id, { status: 'closed', status_notes: 'Filled the pothole', version: 1 });
    expect(response.status, response.text).to.equal(200);
    expect(response.headers.etag).to.equal(`"${id}-v2"`);
    expect(response.body).to.include({
      status: 'closed',
      detailed_status: 'closed',
      status_notes: 'Filled the pothole',
      version: 2,
    });

    for (const format of ['json', 'xml'] as const) {
      const [after] = (await get(`${BASE}/requests/${id}.${format}`)).body as Array<Record<string, string>>;
      expect(after!.status).to.equal('closed');
      expect(after!.status_notes).to.equal('Filled the pothole');
      expect(Date.parse(after!.updated_datetime!)).to.be.greaterThan(Date.parse(before[0]!.updated_datetime!));
      const closedList = (await get(`${BASE}/requests.${format}?status=closed&service_request_id=${id}`)).body as unknown[];
      expect(closedList).to.have.length(1);
    }
    const [extended] = (await get(`${BASE}/requests/${id}.json?extensions=true`)).body as Array<{
      extended_attributes: { detailed_status: string };
      notes: Array<{ type: string; summary: string; description: string }>;
    }>;
    expect(extended!.extended_attributes.detailed_status).to.equal('closed');
    expect(extended!.notes.map((note) => note.type)).to.deep.equal(['opened', 'closed']);
    expect(extended!.notes[1]).to.include({ summary: 'Closed', description: 'Filled the pothole' });

    const updates = (await get(`${BASE}/servicerequestupdates.json`)).body as Array<Record<string, string>>;
    const mine = updates.filter((update) => update.service_request_id === id);
    expect(mine).to.have.length(1);
    expect(mine[0]).to.include({ status: 'closed', description: 'Filled the pothole' });

    const full = await staffGet(`/api/v1/requests/${id}`);
    expect(full.body.audit).to.have.length(1);
    expect(full.body.audit[0].actor).to.equal((await keyFor('staff')).name);
    expect(full.body.audit[0].changes.status).to.deep.equal({ from: 'open', to: 'closed' });
    expect(full.body.audit[0].changes.status_notes).to.deep.equal({ from: null, to: 'Filled the pothole' });
    expect(full.body.closed_datetime).to.be.a('string');
  });

  it('refuses a change made on an old version (412), and one that names no version (428)', async () => {
    const id = await createRequest();
    const first = await patch(id, { status: 'acknowledged' }, { 'If-Match': `"${id}-v1"` });
    expect(first.status).to.equal(200);
    // A second editor who also read version 1 must not overwrite the first edit.
    const second = await patch(id, { status: 'on_hold', status_notes: 'Waiting for parts', version: 1 });
    expect(second.status).to.equal(412);
    expect(second.body[0].description).to.match(/changed by someone else.*version 2/);
    expect(second.headers.etag).to.equal(`"${id}-v2"`);
    const stale = await patch(id, { status: 'on_hold' }, { 'If-Match': `"${id}-v1"` });
    expect(stale.status).to.equal(412);
    const unversioned = await patch(id, { status: 'on_hold' });
    expect(unversioned.status).to.equal(428);
    const state = await staffGet(`/api/v1/requests/${id}`);
    expect(state.body).to.include({ detailed_status: 'acknowledged', version: 2, status_notes: null });
    const retry = await patch(
      id,
      { status: 'on_hold', status_notes: 'Waiting for parts' },
      { 'If-Match': String(state.headers.etag) },
    );
    expect(retry.status).to.equal(200);
    expect(retry.body).to.include({ detailed_status: 'on_hold', status: 'open', version: 3 });
  });

  it('keeps internal notes out of every public answer', async () => {
    const secret = unique('internal-only note');
    const id = await createRequest();
    const response = await patch(id, { internal_note: secret, version: 1 });
    expect(response.status).to.equal(200);
    expect(
      response.body.history.some(
        (entry: { description: string; public: boolean }) => entry.description === secret && !entry.public,
      ),
    ).to.equal(true);
    for (const path of [
      `${BASE}/requests/${id}.json?extensions=true`,
      `${BASE}/requests/${id}.xml?extensions=true`,
      `${BASE}/requests.json?extensions=true&service_request_id=${id}`,
      `${BASE}/servicerequestupdates.json`,
      `${BASE}/servicerequestupdates.xml`,
      `/open311/bulk/requests.csv?service_request_id=${id}`,
    ]) {
      expect((await get(path)).text, path).not.to.include(secret);
    }
  });

  it('validates changes: unknown fields, bad statuses and dates are 400s listing each problem; unknown id is 404', async () => {
    const id = await createRequest();
    const bad = await patch(id, { status: 'done', expected_datetime: 'soon', colour: 'red', version: 1 });
    expect(bad.status).to.equal(400);
    const descriptions = bad.body.map((error: { description: string }) => error.description);
    expect(descriptions).to.include(
      'status must be one of submitted, acknowledged, in_progress, on_hold, closed, duplicate, rejected.',
    );
    expect(descriptions).to.include('expected_datetime must be a datetime such as 2024-05-08T14:00:00-04:00, or null.');
    expect(descriptions.join(' ')).to.include('colour');
    expect((await patch('99999999999', { status: 'closed', version: 1 })).status).to.equal(404);
    expect((await patch('abc', { status: 'closed', version: 1 })).status).to.equal(404);
    const notJson = await request(ctx().app)
      .patch(`/api/v1/requests/${id}`)
      .set('Authorization', await staff())
      .set('Content-Type', 'application/json')
      .send('{');
    expect(notJson.status).to.equal(400);
  });
});

describe('staff API: the queue', () => {
  it('filters by detailed status, agency, overdue, text and location, sorted and paged', async () => {
    const tag = unique('queue');
    const near = { lat: '40.1000', long: '-83.2000' };
    const a = await createRequest({ description: `${tag} alpha`, ...near });
    const b = await createRequest({
      description: `${tag} beta`,
      address_string: `${tag} 12 Main St`,
      lat: '40.1005',
      long: '-83.2000',
    });
    const c = await createRequest({ description: `${tag} gamma`, lat: '40.2000', long: '-83.2000' });
    expect((await patch(a, { status: 'in_progress', agency_responsible: 'Night Crew', version: 1 })).status).to.equal(200);
    expect((await patch(b, { expected_datetime: '2020-01-01T00:00:00Z', version: 1 })).status).to.equal(200);

    const byText = await staffGet(`/api/v1/requests?q=${encodeURIComponent(tag)}&sort=requested_datetime`);
    expect(byText.body.total).to.equal(3);
    expect(byText.body.requests.map((row: { service_request_id: string }) => row.service_request_id)).to.deep.equal([a, b, c]);
    const byAddress = await staffGet(`/api/v1/requests?q=${encodeURIComponent(`${tag} 12 main`)}`);
    expect(byAddress.body.requests.map((row: { service_request_id: string }) => row.service_request_id)).to.deep.equal([b]);
    const inProgress = await staffGet(`/api/v1/requests?q=${encodeURIComponent(tag)}&status=in_progress`);
    expect(inProgress.body.requests.map((row: { service_request_id: string }) => row.service_request_id)).to.deep.equal([a]);
    const agency = await staffGet(`/api/v1/requests?q=${encodeURIComponent(tag)}&agency=Night%20Crew`);
    expect(agency.body.total).to.equal(1);
    const overdue = await staffGet(`/api/v1/requests?q=${encodeURIComponent(tag)}&overdue=true`);
    expect(
      overdue.body.requests.map((row: { service_request_id: string; overdue: boolean }) => [row.service_request_id, row.overdue]),
    ).to.deep.equal([[b, true]]);
    const nearby = await staffGet(
      `/api/v1/requests?q=${encodeURIComponent(tag)}&lat=40.1&long=-83.2&radius=100&sort=requested_datetime`,
    );
    expect(nearby.body.requests.map((row: { service_request_id: string }) => row.service_request_id)).to.deep.equal([a, b]);
    const paged = await staffGet(`/api/v1/requests?q=${encodeURIComponent(tag)}&sort=-requested_datetime&page=2&page_size=2`);
    expect(paged.body).to.include({ total: 3, page: 2, page_size: 2 });
    expect(paged.body.requests.map((row: { service_request_id: string }) => row.service_request_id)).to.deep.equal([a]);
    const invalid = await staffGet('/api/v1/requests?status=lost&lat=1&page_size=501');
    expect(invalid.status).to.equal(400);
    expect(invalid.body.length).to.be.at.least(3);
  });
  it('filters by service group (one or several, in SQL), combined with the other filters', async () => {
    const tag = unique('groups');
    const groupA = unique('Group A');
    const groupB = unique('Group B');
    const codeA = unique('GRPA').toUpperCase();
    const codeB = unique('GRPB').toUpperCase();
    const codeC = unique('GRPC').toUpperCase();
    await addServices([
      { service_code: codeA, service_name: 'Grouped A', group: groupA },
      { service_code: codeB, service_name: 'Grouped B', group: groupB },
      { service_code: codeC, service_name: 'Also A', group: groupA },
    ]);
    const a = await createRequest({ service_code: codeA, description: `${tag} a` });
    const b = await createRequest({ service_code: codeB, description: `${tag} b` });
    const c = await createRequest({ service_code: codeC, description: `${tag} c` });
    await createRequest({ description: `${tag} pothole` });
    const ids = (body: { requests: Array<{ service_request_id: string }> }) => body.requests.map((row) => row.service_request_id);
    const base = `/api/v1/requests?q=${encodeURIComponent(tag)}&sort=requested_datetime`;
    const onlyA = await staffGet(`${base}&group=${encodeURIComponent(groupA)}`);
    expect(onlyA.status, onlyA.text).to.equal(200);
    expect(ids(onlyA.body)).to.deep.equal([a, c]);
    expect(onlyA.body.total).to.equal(2);
    const both = await staffGet(`${base}&group=${encodeURIComponent(groupA)},${encodeURIComponent(groupB)}`);
    expect(ids(both.body)).to.deep.equal([a, b, c]);
    const repeated = await staffGet(`${base}&group=${encodeURIComponent(groupB)}&group=${encodeURIComponent(groupA)}`);
    expect(ids(repeated.body)).to.deep.equal([a, b, c]);
    const withService = await staffGet(`${base}&group=${encodeURIComponent(groupA)}&service_code=${codeC}`);
    expect(ids(withService.body)).to.deep.equal([c]);
    expect(withService.body.total).to.equal(1);
    const byServices = await staffGet(`${base}&service_code=${codeA},${codeB}`);
    expect(ids(byServices.body)).to.deep.equal([a, b]);
    expect(byServices.body.total).to.equal(2);
    const none = await staffGet(`${base}&group=${encodeURIComponent(unique('no such group'))}`);
    expect(none.body).to.include({ total: 0 });
    const tooLong = await staffGet(`/api/v1/requests?group=${'x'.repeat(256)}`);
    expect(tooLong.status).to.equal(400);
    expect(tooLong.body[0].description).to.equal('group must be a list of at most 100 service group names.');
  });
});

describe('staff API: the queue count', () => {
  it('is exact for the API, and counted only up to a bound when asked (the console page)', async () => {
    const tag = unique('count-bound');
    for (let index = 0; index < 5; index += 1) await createRequest({ description: `${tag} ${index}` });
    const { db, config } = ctx();
    const jurisdiction = await createJurisdictionRegistry(db).resolve(config.jurisdictionId);
    const exact = await queue(db, jurisdiction, { q: tag, page_size: '2' });
    expect(exact).to.include({ total: 5, page_size: 2 });
    expect(exact).not.to.have.property('total_capped');
    const bounded = await queue(db, jurisdiction, { q: tag, page_size: '2' }, undefined, 3);
    expect(bounded).to.include({ total: 3, total_capped: true });
    expect(bounded.requests).to.have.length(2);
    const enough = await queue(db, jurisdiction, { q: tag, page_size: '2' }, undefined, 5);
    expect(enough).to.include({ total: 5 });
    expect(enough).not.to.have.property('total_capped');
    const api = await staffGet(`/api/v1/requests?q=${encodeURIComponent(tag)}&page_size=2`);
    expect(api.body).to.include({ total: 5 });
  });
});

describe('routing, deadlines and duplicates on creation', () => {
  it('assigns the agency of the area the request falls in, and sets expected_datetime from the response-time target', async () => {
    const { db, config } = ctx();
    const code = unique('ROUTED').toUpperCase();
    await addServices([{ service_code: code, service_name: 'Routed service', agency_responsible: 'Default Department' }]);
    const service = await db('services').where({ jurisdiction_id: config.jurisdictionId, service_code: code }).first('id');
    await db('services').where({ id: service.id }).update({ response_hours: 48 });
    const [north] = await db('agencies')
      .insert({ jurisdiction_id: config.jurisdictionId, code: unique('north'), name: 'North Crew' })
      .returning('id');
    const [citywide] = await db('agencies')
      .insert({ jurisdiction_id: config.jurisdictionId, code: unique('all'), name: 'Citywide Crew' })
      .returning('id');
    const [area] = await db('service_areas')
      .insert({
        jurisdiction_id: config.jurisdictionId,
        code: unique('ward'),
        name: 'North ward',
        kind: 'ward',
        area: db.raw(
          `ST_Multi(ST_GeomFromText('POLYGON((-82.62 39.73, -82.58 39.73, -82.58 39.75, -82.62 39.75, -82.62 39.73))', 4326))::geography`,
        ),
      })
      .returning('id');
    await db('routing_rules').insert([
      { service_id: service.id, service_area_id: (area as { id: string }).id, agency_id: (north as { id: string }).id },
      { service_id: service.id, service_area_id: null, agency_id: (citywide as { id: string }).id },
    ]);

    const inside = await createRequest({ service_code: code, lat: '39.74', long: '-82.60' });
    const outside = await createRequest({ service_code: code, lat: '39.70', long: '-82.60' });
    const addressOnly = await createRequest({ service_code: code, lat: [], long: [], address_string: 'Somewhere' } as never);
    const [insideRow] = (await get(`${BASE}/requests/${inside}.json`)).body as Array<Record<string, string>>;
    const [outsideRow] = (await get(`${BASE}/requests/${outside}.json`)).body as Array<Record<string, string>>;
    const [addressRow] = (await get(`${BASE}/requests/${addressOnly}.json`)).body as Array<Record<string, string>>;
    expect(insideRow!.agency_responsible).to.equal('North Crew');
    expect(outsideRow!.agency_responsible).to.equal('Citywide Crew');
    expect(addressRow!.agency_responsible).to.equal('Citywide Crew');
    const expectedGap = Date.parse(insideRow!.expected_datetime!) - Date.parse(insideRow!.requested_datetime!);
    expect(Math.abs(expectedGap - 48 * 3600 * 1000)).to.be.lessThan(2000);
  });

  it('flags a nearby open request of the same service as a suspected duplicate; staff can close it as one', async () => {
    const spot = { lat: '40.3000', long: '-83.4000' };
    const original = await createRequest({ service_code: 'GRAFFITI', ...spot });
    const second = await createRequest({ service_code: 'GRAFFITI', lat: '40.30010', long: '-83.4000' });
    const otherService = await createRequest({ service_code: 'SIDEWALK', lat: '40.30010', long: '-83.4000' });
    const far = await createRequest({ service_code: 'GRAFFITI', lat: '40.3100', long: '-83.4000' });
    const view = async (id: string) => (await staffGet(`/api/v1/requests/${id}`)).body;
    expect((await view(second)).suspected_duplicate_of).to.equal(original);
    expect((await view(otherService)).suspected_duplicate_of).to.equal(null);
    expect((await view(far)).suspected_duplicate_of).to.equal(null);

    const candidates = await staffGet(`/api/v1/requests/${second}/duplicates`);
    expect(candidates.status).to.equal(200);
    expect(candidates.body.candidates.map((row: { service_request_id: string }) => row.service_request_id)).to.deep.equal([
      original,
    ]);
    expect(candidates.body.candidates[0].distance_meters).to.be.within(10, 13);

    const marked = await request(ctx().app)
      .post(`/api/v1/requests/${second}/duplicate-of`)
      .set('Authorization', await staff())
      .send({ original, version: 1 });
    expect(marked.status, marked.text).to.equal(200);
    expect(marked.body).to.include({ status: 'closed', detailed_status: 'duplicate', duplicate_of: original });
    const [extended] = (await get(`${BASE}/requests/${second}.xml?extensions=true`)).body as Array<{
      status: string;
      extended_attributes: { duplicate: boolean; parent_service_request_id: string };
    }>;
    expect(extended!.status).to.equal('closed');
    expect(extended!.extended_attributes).to.include({ duplicate: true, parent_service_request_id: original });
    const self = await request(ctx().app)
      .post(`/api/v1/requests/${original}/duplicate-of`)
      .set('Authorization', await staff())
      .send({ original, version: 1 });
    expect(self.status).to.equal(400);
  });
});
