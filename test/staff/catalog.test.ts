// Catalog and routing administration through the staff API, on the real store: services with attributes,
// the whole catalog as JSON, agencies, areas (PostGIS), routing rules and availability, audit, roles.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import request from 'supertest';
import { createKey, type KeyRole } from '../../src/store/api-keys-store.js';
import { submit } from '../helpers/build.js';
import { BASE, ctx, get, unique } from '../helpers/test-server.js';

const API = '/api/v1';

// The documented answers (spec/openapi-fragments/staff-catalog.json), checked against the live ones.
const FRAGMENT_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'spec',
  'openapi-fragments',
  'staff-catalog.json',
);
const FRAGMENT = JSON.parse(fs.readFileSync(FRAGMENT_FILE, 'utf8')) as {
  paths: Record<
    string,
    Record<
      string,
      {
        security: unknown;
        responses: Record<string, { content?: Record<string, { schema: { $ref: string }; example?: unknown }> }>;
      }
    >
  >;
};
const documented = new Ajv2020({ strict: false, allErrors: true });
documented.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/);
documented.addSchema({ $id: 'staff-catalog', ...(FRAGMENT as object) });
function assertDocumented(schemaName: string, body: unknown): void {
  const check = documented.getSchema(`staff-catalog#/components/schemas/${schemaName}`);
  if (!check) throw new Error(`No schema ${schemaName} in the fragment`);
  if (!check(body))
    throw new Error(`Not a ${schemaName}: ${JSON.stringify(check.errors, null, 1)}\n${JSON.stringify(body).slice(0, 2000)}`);
}

const keys: Partial<Record<KeyRole, { key: string; name: string; id: string }>> = {};
async function keyFor(role: KeyRole): Promise<{ key: string; name: string; id: string }> {
  if (!keys[role]) {
    const name = unique(`catalog ${role}`);
    const { key, record } = await createKey(ctx().db, name, role);
    keys[role] = { key, name, id: record.id };
  }
  return keys[role]!;
}

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  body: any;
  headers: Record<string, string>;
}

async function call(
  method: 'get' | 'post' | 'put' | 'delete' | 'patch',
  path: string,
  role: KeyRole | 'none',
  body?: unknown,
): Promise<Reply> {
  let test = request(ctx().app)[method](path);
  if (role !== 'none') test = test.set('Authorization', `Bearer ${(await keyFor(role)).key}`);
  if (body !== undefined) test = test.set('Content-Type', 'application/json').send(JSON.stringify(body));
  const response = await test;
  return { status: response.status, body: response.body, headers: response.headers as Record<string, string> };
}
const admin = (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown) => call(method, path, 'admin', body);

const descriptions = (reply: Reply): string[] => (reply.body as Array<{ description: string }>).map((error) => error.description);

/** A code nobody else uses (the demo catalog is never touched here). */
const code = (prefix: string): string => unique(`CAT_${prefix}`).toUpperCase();

function definition(serviceCode: string, overrides: Record<string, unknown> = {}) {
  return {
    service_code: serviceCode,
    service_name: 'Broken bench',
    description: 'A park bench that is broken or missing slats.',
    type: 'realtime',
    keywords: ['bench', 'park', 'seat'],
    group: 'Parks',
    service_notice: 'Parks crews repair benches within a week.',
    agency_responsible: 'Parks Department',
    response_hours: 72,
    attributes: [
      {
        variable: false,
        code: 'NOTE',
        datatype: 'string',
        required: false,
        datatype_description: null,
        order: 1,
        description: 'Benches on private land are not ours.',
      },
      {
        variable: true,
        code: 'DAMAGE',
        datatype: 'singlevaluelist',
        required: true,
        datatype_description: 'Pick one.',
        order: 2,
        description: 'What is wrong with it?',
        values: [
          { key: 'SLATS', name: 'Missing slats' },
          { key: 'TIPPED', name: 'Tipped over' },
        ],
      },
      {
        variable: true,
        code: 'PARTS',
        datatype: 'multivaluelist',
        required: false,
        datatype_description: null,
        order: 3,
        description: 'Which parts?',
        values: [{ key: 'SEAT', name: 'Seat' }],
      },
      {
        variable: true,
        code: 'COUNT',
        datatype: 'number',
        required: false,
        datatype_description: 'How many benches',
        order: 4,
        description: 'How many?',
      },
      {
        variable: true,
        code: 'SEEN',
        datatype: 'datetime',
        required: false,
        datatype_description: null,
        order: 5,
        description: 'When did you notice?',
      },
      {
        variable: true,
        code: 'MORE',
        datatype: 'text',
        required: false,
        datatype_description: null,
        order: 6,
        description: 'Anything else?',
      },
    ],
    ...overrides,
  };
}

async function changeset(): Promise<number> {
  const answer = await get(`${BASE}/discovery.json`);
  expect(answer.status).to.equal(200);
  return Date.parse((answer.body as { changeset: string }).changeset);
}
const LONG_AGO = new Date('2001-02-03T04:05:06Z');
/** Puts the catalog's changeset far in the past, so that a bump is visible despite whole-second timestamps. */
async function ageChangeset(): Promise<void> {
  const { db, config } = ctx();
  await db('jurisdictions').where({ jurisdiction_id: config.jurisdictionId }).update({ catalog_changed_at: LONG_AGO });
  expect(await changeset()).to.equal(LONG_AGO.getTime());
}

async function auditOf(entityType: string, entityId: string) {
  return ctx()
    .db('audit_log')
    .select(ctx().db.raw('actor_key_id::text AS actor_key_id'), 'actor_name', 'action', 'changes')
    .where({ entity_type: entityType, entity_id: entityId })
    .orderBy('id');
}

/** A square polygon (GeoJSON, [long, lat]) of `half` degrees around a point. */
function square(lat: number, long: number, half = 0.01) {
  const [west, east, south, north] = [long - half, long + half, lat - half, lat + half].map((value) =>
    Number(value.toFixed(6)),
  ) as [number, number, number, number];
  return {
    type: 'Polygon',
    coordinates: [
      [
        [west, south],
        [east, south],
        [east, north],
        [west, north],
        [west, south],
      ],
    ],
  };
}

describe('staff API: catalog documentation', () => {
  it('documents every route with its key and examples that match the response schemas', () => {
    for (const [route, operations] of Object.entries(FRAGMENT.paths)) {
      expect(route.startsWith('/api/v1/'), route).to.equal(true);
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.security, `${method} ${route}`).to.deep.equal(
          method === 'get' ? [{ staffKey: [] }] : [{ adminKey: [] }],
        );
        for (const [status, response] of Object.entries(operation.responses)) {
          const json = response.content?.['application/json'];
          if (!json) continue;
          const name = json.schema.$ref.replace('#/components/schemas/', '');
          expect(json.example, `${method} ${route} ${status}`).to.not.equal(undefined);
          assertDocumented(name, json.example);
        }
      }
    }
  });
});

describe('staff API: catalog access', () => {
  it('reads need a staff key (401 without, 403 for a client key); writes need an admin key (403 for staff)', async () => {
    const none = await call('get', `${API}/services`, 'none');
    expect(none.status).to.equal(401);
    expect(none.headers['www-authenticate']).to.match(/^Bearer/);
    for (const path of ['/services', '/catalog', '/agencies', '/areas']) {
      expect((await call('get', `${API}${path}`, 'client')).status, path).to.equal(403);
      expect((await call('get', `${API}${path}`, 'staff')).status, path).to.equal(200);
      expect((await call('get', `${API}${path}`, 'admin')).status, path).to.equal(200);
    }
    const serviceCode = code('ROLE');
    const writes: Array<['post' | 'put' | 'delete', string, unknown]> = [
      ['post', '/services', definition(serviceCode)],
      ['put', '/services/POTHOLE', definition('POTHOLE')],
      ['delete', '/services/POTHOLE', undefined],
      ['put', '/services/POTHOLE/routing', { rules: [] }],
      ['put', '/services/POTHOLE/availability', { areas: [] }],
      ['put', '/catalog', { services: [] }],
      ['post', '/agencies', { code: 'X', name: 'X' }],
      ['put', '/agencies/X', { name: 'X' }],
      ['post', '/areas', { code: 'X', name: 'X', geometry: square(39.7, -82.6) }],
      ['delete', '/areas/X', undefined],
    ];
    for (const [method, path, body] of writes) {
      const staff = await call(method, `${API}${path}`, 'staff', body);
      expect(staff.status, `${method} ${path}`).to.equal(403);
      expect(descriptions(staff)[0]).to.include('admin');
      expect((await call(method, `${API}${path}`, 'client', body)).status, `${method} ${path}`).to.equal(403);
      expect((await call(method, `${API}${path}`, 'none', body)).status, `${method} ${path}`).to.equal(401);
    }
    expect((await admin('get', `${API}/services/${serviceCode}`)).status).to.equal(404);
  });
});

describe('staff API: services', () => {
  it('creates a service (201) that GeoReport then lists and defines; 409 for a taken code', async () => {
    const serviceCode = code('BENCH');
    const created = await admin('post', `${API}/services`, definition(serviceCode));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body).to.deep.equal({ ...definition(serviceCode), active: true, availability: [], routing: [] });
    assertDocumented('CatalogStaffService', created.body);
    expect((await admin('get', `${API}/services/${serviceCode}`)).body).to.deep.equal(created.body);
    const all = await call('get', `${API}/services`, 'staff');
    assertDocumented('CatalogServiceList', all.body);
    expect(all.body.services.find((service: { service_code: string }) => service.service_code === serviceCode)).to.deep.equal(
      created.body,
    );
    expect(all.body.services.find((service: { service_code: string }) => service.service_code === 'POTHOLE')).to.include({
      active: true,
    });

    const listed = (await get(`${BASE}/services.json`)).body as Array<Record<string, unknown>>;
    expect(listed.find((service) => service.service_code === serviceCode)).to.deep.equal({
      service_code: serviceCode,
      service_name: 'Broken bench',
      description: 'A park bench that is broken or missing slats.',
      metadata: true,
      type: 'realtime',
      keywords: 'bench,park,seat',
      group: 'Parks',
    });
    const defined = await get(`${BASE}/services/${serviceCode}.xml`);
    expect(defined.status).to.equal(200);
    expect((defined.body as { attributes: unknown[] }).attributes).to.deep.equal(definition(serviceCode).attributes);

    const again = await admin('post', `${API}/services`, definition(serviceCode, { service_name: 'Other' }));
    expect(again.status).to.equal(409);
    expect(descriptions(again)[0]).to.include(serviceCode);
  });

  it('fills in defaults: realtime, no keywords, variable attributes that are not required', async () => {
    const serviceCode = code('MIN');
    const created = await admin('post', `${API}/services`, {
      service_code: serviceCode,
      service_name: 'Minimal',
      attributes: [{ code: 'Q', datatype: 'string', order: 1, description: 'Question?' }],
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body).to.deep.equal({
      service_code: serviceCode,
      service_name: 'Minimal',
      description: null,
      type: 'realtime',
      keywords: [],
      group: null,
      service_notice: null,
      agency_responsible: null,
      response_hours: null,
      active: true,
      attributes: [
        {
          variable: true,
          code: 'Q',
          datatype: 'string',
          required: false,
          datatype_description: null,
          order: 1,
          description: 'Question?',
        },
      ],
      availability: [],
      routing: [],
    });
  });

  it('replaces a definition with PUT, attributes and values included; 404 for an unknown code, 400 for a different code in the body', async () => {
    const serviceCode = code('EDIT');
    expect((await admin('post', `${API}/services`, definition(serviceCode))).status).to.equal(201);
    const edited = definition(serviceCode, {
      service_name: 'Damaged bench',
      keywords: ['bench'],
      group: 'Parks and trees',
      response_hours: null,
      attributes: [
        {
          variable: true,
          code: 'DAMAGE',
          datatype: 'multivaluelist',
          required: false,
          datatype_description: null,
          order: 1,
          description: 'What is wrong?',
          values: [
            { key: 'GRAFFITI', name: 'Graffiti' },
            { key: 'SLATS', name: 'Missing slats' },
            { key: 'BOLTS', name: 'Loose bolts' },
          ],
        },
      ],
    });
    const { service_code: _omitted, ...withoutCode } = edited;
    const replaced = await admin('put', `${API}/services/${serviceCode}`, withoutCode);
    expect(replaced.status, JSON.stringify(replaced.body)).to.equal(200);
    expect(replaced.body).to.deep.equal({ ...edited, active: true, availability: [], routing: [] });
    const defined = await get(`${BASE}/services/${serviceCode}.json`);
    expect(defined.body).to.deep.equal({ service_code: serviceCode, attributes: edited.attributes });
    const listed = (await get(`${BASE}/services.xml`)).body as Array<Record<string, unknown>>;
    expect(listed.find((service) => service.service_code === serviceCode)).to.include({
      service_name: 'Damaged bench',
      keywords: 'bench',
      group: 'Parks and trees',
    });

    const unknown = await admin('put', `${API}/services/${code('NOPE')}`, withoutCode);
    expect(unknown.status).to.equal(404);
    const renamed = await admin('put', `${API}/services/${serviceCode}`, { ...edited, service_code: `${serviceCode}X` });
    expect(renamed.status).to.equal(400);
    expect(descriptions(renamed)[0]).to.include('cannot change');
  });

  it('retires a service with DELETE: gone from GeoReport, new requests get 404, old requests keep it', async () => {
    const serviceCode = code('RETIRE');
    expect((await admin('post', `${API}/services`, definition(serviceCode, { attributes: [] }))).status).to.equal(201);
    const before = await submit({ service_code: serviceCode });
    expect(before.status, JSON.stringify(before.body)).to.equal(200);
    const id = (before.body as Array<{ service_request_id: string }>)[0]!.service_request_id;

    const retired = await admin('delete', `${API}/services/${serviceCode}`);
    expect(retired.status).to.equal(200);
    expect(retired.body).to.include({ service_code: serviceCode, active: false });
    for (const format of ['json', 'xml']) {
      const listed = (await get(`${BASE}/services.${format}`)).body as Array<{ service_code: string }>;
      expect(listed.map((service) => service.service_code)).to.not.include(serviceCode);
      expect(listed.map((service) => service.service_code)).to.include('POTHOLE');
      expect((await get(`${BASE}/services/${serviceCode}.${format}`)).status).to.equal(404);
    }
    const after = await submit({ service_code: serviceCode });
    expect(after.status).to.equal(404);
    const kept = await get(`${BASE}/requests/${id}.json`);
    expect((kept.body as Array<{ service_code: string }>)[0]!.service_code).to.equal(serviceCode);
    // Still in the staff list, as retired; retiring again is harmless; a PUT without `active` keeps it retired.
    const all = (await call('get', `${API}/services`, 'staff')).body.services as Array<{ service_code: string; active: boolean }>;
    expect(all.find((service) => service.service_code === serviceCode)!.active).to.equal(false);
    expect((await admin('delete', `${API}/services/${serviceCode}`)).body.active).to.equal(false);
    expect(
      (await admin('put', `${API}/services/${serviceCode}`, definition(serviceCode, { service_name: 'Renamed' }))).body.active,
    ).to.equal(false);
    const revived = await admin('put', `${API}/services/${serviceCode}`, definition(serviceCode, { active: true }));
    expect(revived.body.active).to.equal(true);
    expect(
      ((await get(`${BASE}/services.json`)).body as Array<{ service_code: string }>).map((service) => service.service_code),
    ).to.include(serviceCode);
    expect((await admin('delete', `${API}/services/${code('NOPE')}`)).status).to.equal(404);
  });

  it('validates the definition and reports every problem in one 400', async () => {
    const bad = await admin('post', `${API}/services`, {
      service_code: 'has space',
      service_name: '',
      type: 'instant',
      response_hours: 0,
      colour: 'red',
      keywords: ['a,b'],
      attributes: [
        { code: 'A', datatype: 'string', order: 1, description: 'A', values: [{ key: 'X', name: 'X' }] },
        { code: 'A', datatype: 'singlevaluelist', order: 1, description: 'B' },
        { code: 'C', datatype: 'colour', order: 0, description: 'C' },
        {
          code: 'D',
          datatype: 'multivaluelist',
          order: 4,
          description: 'D',
          values: [
            { key: 'K', name: 'One' },
            { key: 'K', name: 'Two' },
          ],
        },
        { code: 'E', datatype: 'multivaluelist', order: 5, description: 'E', values: [] },
      ],
    });
    expect(bad.status).to.equal(400);
    assertDocumented('CatalogErrors', bad.body);
    const problems = descriptions(bad);
    const expected = [
      'service_code must be 1 to 100 letters, digits, dots, underscores or hyphens.',
      'service_name must be 1 to 200 characters (not only blanks).',
      'type must be realtime, batch or blackbox.',
      'response_hours must be a positive whole number of hours (at most 87600), or null.',
      'colour is not a known field.',
      'keywords must be an array of at most 100 words or phrases, each 1 to 100 characters without commas.',
      'attributes[0] (A): only singlevaluelist and multivaluelist attributes have values.',
      'attributes[1] (A): a singlevaluelist or multivaluelist attribute needs at least one value in values.',
      'attributes[2] (C): datatype must be one of string, number, datetime, text, singlevaluelist, multivaluelist.',
      'attributes[2] (C): order must be a positive whole number, unique within the service.',
      'attributes[4] (E): a singlevaluelist or multivaluelist attribute needs at least one value in values.',
      'attribute code A is used more than once: codes must be unique within the service.',
      'order 1 is used by more than one attribute (A, A): orders must be unique within the service.',
      'attributes[3] (D): value key K is used more than once: keys must be unique within the attribute.',
    ];
    for (const text of expected) expect(problems, text).to.include(text);
    for (const error of bad.body as Array<{ code: number }>) expect(error.code).to.equal(400);

    const missing = await admin('post', `${API}/services`, { attributes: 'none' });
    expect(descriptions(missing)).to.include.members([
      'service_code is required.',
      'service_name is required.',
      'attributes must be an array of attribute definitions.',
    ]);
    const notJson = await request(ctx().app)
      .post(`${API}/services`)
      .set('Authorization', `Bearer ${(await keyFor('admin')).key}`)
      .set('Content-Type', 'application/json')
      .send('{');
    expect(notJson.status).to.equal(400);
  });

  it('every change bumps the discovery changeset; a PUT that changes nothing does not', async () => {
    const serviceCode = code('BUMP');
    await ageChangeset();
    expect((await admin('post', `${API}/services`, definition(serviceCode))).status).to.equal(201);
    expect(await changeset()).to.be.greaterThan(LONG_AGO.getTime());

    await ageChangeset();
    expect((await admin('put', `${API}/services/${serviceCode}`, definition(serviceCode))).status).to.equal(200);
    expect(await changeset()).to.equal(LONG_AGO.getTime());
    expect(
      (await admin('put', `${API}/services/${serviceCode}`, definition(serviceCode, { description: 'Changed.' }))).status,
    ).to.equal(200);
    expect(await changeset()).to.be.greaterThan(LONG_AGO.getTime());

    await ageChangeset();
    expect((await admin('delete', `${API}/services/${serviceCode}`)).status).to.equal(200);
    expect(await changeset()).to.be.greaterThan(LONG_AGO.getTime());

    await ageChangeset();
    const exported = (await admin('get', `${API}/catalog`)).body;
    expect((await admin('put', `${API}/catalog`, exported)).body.changed).to.deep.equal([]);
    expect(await changeset()).to.equal(LONG_AGO.getTime());
  });

  it('writes an audit row for every admin change, naming the key', async () => {
    const serviceCode = code('AUDIT');
    await admin('post', `${API}/services`, definition(serviceCode));
    await admin('put', `${API}/services/${serviceCode}`, definition(serviceCode, { service_name: 'Audited bench' }));
    await admin('delete', `${API}/services/${serviceCode}`);
    const rows = await auditOf('service', serviceCode);
    const adminKey = await keyFor('admin');
    expect(rows.map((row) => row.action)).to.deep.equal(['create', 'update', 'retire']);
    for (const row of rows) expect(row).to.include({ actor_key_id: adminKey.id, actor_name: adminKey.name });
    expect(rows[1]!.changes).to.deep.equal({ service_name: { from: 'Broken bench', to: 'Audited bench' } });
    expect(rows[2]!.changes).to.deep.equal({ active: { from: true, to: false } });
    expect(rows[0]!.changes.definition.service_code).to.equal(serviceCode);
  });
});

describe('staff API: catalog import and export', () => {
  it('exports the whole catalog; an import creates and updates the listed services and its export round-trips', async () => {
    const exported = await call('get', `${API}/catalog`, 'staff');
    expect(exported.status).to.equal(200);
    assertDocumented('CatalogDocument', exported.body);
    expect(exported.body.jurisdiction_id).to.equal(ctx().config.jurisdictionId);
    expect(Date.parse(exported.body.exported_at)).to.be.closeTo(Date.now(), 60_000);
    const pothole = exported.body.services.find((service: { service_code: string }) => service.service_code === 'POTHOLE');
    expect(pothole).to.include({ service_name: 'Pothole', active: true, response_hours: null });
    expect(pothole.keywords).to.be.an('array');

    const first = definition(code('IMPORT_A'));
    const second = { ...definition(code('IMPORT_B'), { type: 'batch', attributes: [] }), active: false };
    const imported = await admin('put', `${API}/catalog`, { services: [first, second] });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
    assertDocumented('CatalogImportResult', imported.body);
    expect(imported.body).to.deep.equal({
      jurisdiction_id: ctx().config.jurisdictionId,
      changed: [first.service_code, second.service_code],
      retired: [],
      unchanged: 0,
    });
    const again = (await admin('get', `${API}/catalog`)).body;
    const byCode = (document: { services: Array<{ service_code: string }> }, wanted: string) =>
      document.services.find((service) => service.service_code === wanted);
    expect(byCode(again, first.service_code)).to.deep.equal({ ...first, active: true });
    expect(byCode(again, second.service_code)).to.deep.equal(second);
    expect(((await get(`${BASE}/services.json`)).body as Array<{ service_code: string }>).map((service) => service.service_code))
      .to.include(first.service_code)
      .and.not.include(second.service_code);

    // The whole export imports back unchanged, and exports the same again.
    const roundTrip = await admin('put', `${API}/catalog`, again);
    expect(roundTrip.status, JSON.stringify(roundTrip.body)).to.equal(200);
    expect(roundTrip.body.changed).to.deep.equal([]);
    expect(roundTrip.body.unchanged).to.equal(again.services.length);
    expect((await admin('get', `${API}/catalog`)).body.services).to.deep.equal(again.services);

    // An edited export: the changed service only.
    const edited = {
      ...again,
      services: again.services.map((service: { service_code: string }) =>
        service.service_code === first.service_code ? { ...service, service_name: 'Imported bench' } : service,
      ),
    };
    expect((await admin('put', `${API}/catalog`, edited)).body.changed).to.deep.equal([first.service_code]);
    expect((await admin('get', `${API}/services/${first.service_code}`)).body.service_name).to.equal('Imported bench');
    const rows = await auditOf('catalog', ctx().config.jurisdictionId);
    expect(rows.at(-1)).to.deep.include({ action: 'import', actor_name: (await keyFor('admin')).name });
  });

  it('retire_missing=true retires the active services the import leaves out', async () => {
    const kept = definition(code('KEEP'));
    const dropped = definition(code('DROP'));
    expect((await admin('put', `${API}/catalog`, { services: [kept, dropped] })).status).to.equal(200);
    const whole = (await admin('get', `${API}/catalog`)).body;
    const without = {
      services: whole.services.filter((service: { service_code: string }) => service.service_code !== dropped.service_code),
    };
    expect((await admin('put', `${API}/catalog?retire_missing=maybe`, without)).status).to.equal(400);
    const answer = await admin('put', `${API}/catalog?retire_missing=true`, without);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    expect(answer.body.retired).to.deep.equal([dropped.service_code]);
    expect(descriptions(await admin('put', `${API}/catalog?retire_missing=true`, { services: [] }))[0]).to.include(
      'would retire every service',
    );
    // A listed service without `active` stays retired.
    const { active: _active, ...withoutActive } = whole.services.find(
      (service: { service_code: string }) => service.service_code === dropped.service_code,
    );
    expect(
      (await admin('put', `${API}/catalog`, { services: [{ ...withoutActive, service_name: 'Still retired' }] })).body.changed,
    ).to.deep.equal([dropped.service_code]);
    expect((await admin('get', `${API}/services/${dropped.service_code}`)).body).to.include({
      service_name: 'Still retired',
      active: false,
    });
    expect((await admin('get', `${API}/services/${dropped.service_code}`)).body.active).to.equal(false);
    expect((await admin('get', `${API}/services/${kept.service_code}`)).body.active).to.equal(true);
    expect((await admin('get', `${API}/services/POTHOLE`)).body.active).to.equal(true);
  });

  it('refuses an import with invalid or repeated services, naming each (and changes nothing)', async () => {
    const good = definition(code('GOOD'));
    const answer = await admin('put', `${API}/catalog`, {
      services: [good, { ...definition(code('BAD')), type: 'sometimes' }, good, { service_name: 'No code' }],
      extra: true,
    });
    expect(answer.status).to.equal(400);
    const problems = descriptions(answer);
    expect(
      problems.some((text) => /^services\[1\] \(CAT_BAD-[^)]+\): type must be realtime, batch or blackbox\.$/i.test(text)),
      problems.join(' | '),
    ).to.equal(true);
    expect(problems).to.include(
      `service_code ${good.service_code} is listed more than once: each service appears once in an import.`,
    );
    expect(problems).to.include('services[3]: service_code is required.');
    expect(problems).to.include('extra is not a known field.');
    expect((await admin('get', `${API}/services/${good.service_code}`)).status).to.equal(404);
    expect(descriptions(await admin('put', `${API}/catalog`, { services: 'all' }))).to.include(
      'services must be an array of at most 2000 service definitions.',
    );
  });
});

describe('staff API: agencies, areas, routing and availability', () => {
  it('creates, lists and renames agencies (409 for a taken code, 404 for an unknown one)', async () => {
    const agency = unique('parks');
    const created = await admin('post', `${API}/agencies`, { code: agency, name: 'Parks Crew' });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body).to.include({ code: agency, name: 'Parks Crew' });
    assertDocumented('CatalogAgency', created.body);
    expect((await admin('post', `${API}/agencies`, { code: agency, name: 'Again' })).status).to.equal(409);
    const bad = await admin('post', `${API}/agencies`, { code: 'a b', name: '' });
    expect(descriptions(bad)).to.include.members([
      'code must be 1 to 100 letters, digits, dots, underscores or hyphens.',
      'name must be 1 to 255 characters (not only blanks).',
    ]);
    const renamed = await admin('put', `${API}/agencies/${agency}`, { name: 'Parks and Trees Crew' });
    expect(renamed.status).to.equal(200);
    expect(renamed.body).to.include({ code: agency, name: 'Parks and Trees Crew' });
    assertDocumented('CatalogAgencyList', (await call('get', `${API}/agencies`, 'staff')).body);
    const listed = (await call('get', `${API}/agencies`, 'staff')).body.agencies as Array<{ code: string; name: string }>;
    expect(listed.find((item) => item.code === agency)!.name).to.equal('Parks and Trees Crew');
    expect((await admin('put', `${API}/agencies/${unique('none')}`, { name: 'X' })).status).to.equal(404);
    expect((await admin('put', `${API}/agencies/${agency}`, { code: 'other', name: 'X' })).status).to.equal(400);
    expect((await auditOf('agency', agency)).map((row) => row.action)).to.deep.equal(['create', 'update']);
  });

  it('stores areas as PostGIS polygons, lists them as GeoJSON, refuses invalid polygons and deletes unused areas', async () => {
    const ward = unique('ward');
    const created = await admin('post', `${API}/areas`, {
      code: ward,
      name: 'East ward',
      kind: 'ward',
      geometry: square(39.9, -82.4),
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body).to.deep.include({ type: 'Feature', id: ward });
    assertDocumented('CatalogAreaFeature', created.body);
    expect(created.body.properties).to.include({ code: ward, name: 'East ward', kind: 'ward' });
    expect(created.body.geometry.type).to.equal('MultiPolygon');
    expect(created.body.geometry.coordinates).to.deep.equal([square(39.9, -82.4).coordinates]);
    const collection = (await call('get', `${API}/areas`, 'staff')).body;
    assertDocumented('CatalogAreaCollection', collection);
    expect(collection.features.find((feature: { id: string }) => feature.id === ward)).to.deep.equal(created.body);
    expect((await call('get', `${API}/areas/${ward}`, 'staff')).body).to.deep.equal(created.body);

    const multi = unique('district');
    const twoParts = { type: 'MultiPolygon', coordinates: [square(39.5, -82.5).coordinates, square(39.6, -82.5).coordinates] };
    const district = await admin('post', `${API}/areas`, { code: multi, name: 'Split district', geometry: twoParts });
    expect(district.status, JSON.stringify(district.body)).to.equal(201);
    expect(district.body.properties.kind).to.equal('district');
    expect(district.body.geometry).to.deep.equal(twoParts);

    const bowtie = {
      type: 'Polygon',
      coordinates: [
        [
          [-82.6, 39.7],
          [-82.5, 39.8],
          [-82.5, 39.7],
          [-82.6, 39.8],
          [-82.6, 39.7],
        ],
      ],
    };
    const invalid = await admin('post', `${API}/areas`, { code: unique('bowtie'), name: 'Bow tie', geometry: bowtie });
    expect(invalid.status).to.equal(400);
    expect(descriptions(invalid)[0]).to.match(/^geometry is not a valid polygon: Self-intersection/);
    const open = {
      type: 'Polygon',
      coordinates: [
        [
          [-82.6, 39.7],
          [-82.5, 39.7],
          [-82.5, 39.8],
          [-82.6, 39.8],
        ],
      ],
    };
    expect((await admin('post', `${API}/areas`, { code: unique('open'), name: 'Open ring', geometry: open })).status).to.equal(
      400,
    );
    const far = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 95],
          [0, 0],
        ],
      ],
    };
    expect(descriptions(await admin('post', `${API}/areas`, { code: unique('far'), name: 'Far', geometry: far }))[0]).to.include(
      'latitude',
    );
    const point = await admin('post', `${API}/areas`, {
      code: unique('point'),
      name: 'Point',
      geometry: { type: 'Point', coordinates: [0, 0] },
    });
    expect(descriptions(point)[0]).to.match(/^geometry must be a GeoJSON Polygon or MultiPolygon/);
    const short = await admin('post', `${API}/areas`, {
      code: unique('short'),
      name: 'Short',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [0, 0],
          ],
        ],
      },
    });
    expect(descriptions(short)[0]).to.match(/^geometry must be a GeoJSON Polygon or MultiPolygon/);
    expect((await admin('post', `${API}/areas`, { code: ward, name: 'Again', geometry: square(10, 10) })).status).to.equal(409);

    expect((await admin('delete', `${API}/areas/${multi}`)).status).to.equal(204);
    expect((await call('get', `${API}/areas/${multi}`, 'staff')).status).to.equal(404);
    expect((await admin('delete', `${API}/areas/${multi}`)).status).to.equal(404);
    expect((await auditOf('service_area', multi)).map((row) => row.action)).to.deep.equal(['create', 'delete']);
  });

  it('replaces routing rules and availability; new requests follow the rules; areas in use cannot be deleted', async () => {
    const serviceCode = code('ROUTED');
    expect((await admin('post', `${API}/services`, definition(serviceCode, { attributes: [] }))).status).to.equal(201);
    const north = unique('north');
    const citywide = unique('citywide');
    await admin('post', `${API}/agencies`, { code: north, name: 'North Parks Crew' });
    await admin('post', `${API}/agencies`, { code: citywide, name: 'Citywide Parks Crew' });
    const ward = unique('ward');
    expect(
      (await admin('post', `${API}/areas`, { code: ward, name: 'North ward', kind: 'ward', geometry: square(39.95, -82.3) }))
        .status,
    ).to.equal(201);

    const routed = await admin('put', `${API}/services/${serviceCode}/routing`, {
      rules: [
        { agency: citywide, area: null },
        { agency: north, area: ward },
      ],
    });
    expect(routed.status, JSON.stringify(routed.body)).to.equal(200);
    expect(routed.body.routing).to.deep.equal([
      { agency: north, area: ward },
      { agency: citywide, area: null },
    ]);
    const inside = await submit({ service_code: serviceCode, lat: '39.95', long: '-82.3' });
    const outside = await submit({ service_code: serviceCode, lat: '39.70', long: '-82.6' });
    const agencyOf = async (answer: { body: unknown }) =>
      (
        (await get(`${BASE}/requests/${(answer.body as Array<{ service_request_id: string }>)[0]!.service_request_id}.json`))
          .body as Array<{ agency_responsible: string }>
      )[0]!.agency_responsible;
    expect(await agencyOf(inside)).to.equal('North Parks Crew');
    const [insideRequest] = (
      await get(`${BASE}/requests/${(inside.body as Array<{ service_request_id: string }>)[0]!.service_request_id}.json`)
    ).body as Array<{
      requested_datetime: string;
      expected_datetime: string;
    }>;
    // response_hours (72) sets the deadline.
    expect(Date.parse(insideRequest!.expected_datetime) - Date.parse(insideRequest!.requested_datetime)).to.be.closeTo(
      72 * 3600 * 1000,
      2000,
    );
    expect(await agencyOf(outside)).to.equal('Citywide Parks Crew');

    const badRules = await admin('put', `${API}/services/${serviceCode}/routing`, {
      rules: [{ agency: 'no-such-agency', area: null }, { agency: north, area: 'no-such-area' }, { agency: citywide }],
    });
    expect(badRules.status).to.equal(400);
    expect(descriptions(badRules)).to.include.members([
      'rules[0]: agency no-such-agency was not found.',
      'rules[1]: area no-such-area was not found.',
      'rules: only one rule may have no area.',
    ]);
    expect((await admin('put', `${API}/services/${code('NOPE')}/routing`, { rules: [] })).status).to.equal(404);

    await ageChangeset();
    const available = await admin('put', `${API}/services/${serviceCode}/availability`, { areas: [ward] });
    expect(available.status).to.equal(200);
    expect(available.body.availability).to.deep.equal([ward]);
    expect(await changeset(), 'availability is part of the service list').to.be.greaterThan(LONG_AGO.getTime());
    expect(
      descriptions(await admin('put', `${API}/services/${serviceCode}/availability`, { areas: ['no-such-area'] })),
    ).to.deep.equal(['areas: service area no-such-area was not found.']);

    const inUse = await admin('delete', `${API}/areas/${ward}`);
    expect(inUse.status).to.equal(409);
    expect(descriptions(inUse)).to.have.length(2);

    const replaced = await admin('put', `${API}/services/${serviceCode}/routing`, { rules: [{ agency: citywide }] });
    expect(replaced.body.routing).to.deep.equal([{ agency: citywide, area: null }]);
    const everywhere = await admin('put', `${API}/services/${serviceCode}/availability`, { areas: [] });
    expect(everywhere.body.availability).to.deep.equal([]);
    expect((await admin('delete', `${API}/areas/${ward}`)).status).to.equal(204);
    const rows = await auditOf('service', serviceCode);
    expect(rows.map((row) => row.action)).to.deep.equal(['create', 'routing', 'availability', 'routing', 'availability']);
    expect(rows[2]!.changes).to.deep.equal({ availability: { from: [], to: [ward] } });
  });
});
