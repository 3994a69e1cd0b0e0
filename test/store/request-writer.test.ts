// Group commit of creates: concurrent creates share one statement, each is stored whole (request, history,
// submitter, token, remembered answer), a bad one fails alone, and a stale one stores nothing.
import { expect } from 'chai';
import { createKey, revokeKey } from '../../src/store/api-keys-store.js';
import { findServiceForIntake } from '../../src/store/catalog-store.js';
import { RequestWriter } from '../../src/store/request-writer.js';
import type { NewServiceRequest } from '../../src/domain/types.js';
import { addServices, LANCASTER } from '../helpers/build.js';
import { ctx, unique } from '../helpers/test-server.js';

async function newRequest(overrides: Partial<NewServiceRequest> & { service_code?: string } = {}): Promise<NewServiceRequest> {
  const { db, config } = ctx();
  const service = await findServiceForIntake(db, config.jurisdictionId, overrides.service_code ?? 'SIDEWALK');
  const key = await db('api_keys').where({ name: 'test suite client' }).first('id');
  return {
    jurisdiction_id: config.jurisdictionId,
    service: service!,
    description: unique('grouped'),
    lat: LANCASTER.lat,
    long: LANCASTER.long,
    address: null,
    address_id: null,
    zipcode: null,
    media_urls: [],
    attributes: {},
    submitter: { email: null, phone: null, first_name: null, last_name: null, device_id: null, account_id: null },
    api_key_id: String(key.id),
    token: null,
    channel: 'api',
    title: null,
    ...overrides,
  };
}

/** Counts the create statements the database receives while `work` runs. */
async function countingStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const { db } = ctx();
  let statements = 0;
  const listener = (query: { sql: string }) => {
    if (query.sql.trimStart().startsWith('WITH input AS')) statements += 1;
  };
  db.on('query', listener);
  try {
    return { result: await work(), statements };
  } finally {
    db.removeListener('query', listener);
  }
}

describe('store: grouped creates (request writer)', () => {
  it('writes concurrent creates in one statement, each whole and with its own id', async () => {
    const { db } = ctx();
    const writer = new RequestWriter(db, { maxInFlight: 1 });
    const requests = await Promise.all(
      Array.from({ length: 25 }, async (_, index) =>
        newRequest({
          submitter: {
            email: `grouped${index}@example.com`,
            phone: null,
            first_name: null,
            last_name: null,
            device_id: null,
            account_id: `acct-${index}`,
          },
        }),
      ),
    );
    const { result: created, statements } = await countingStatements(() =>
      Promise.all(requests.map((request) => writer.insert(request))),
    );
    expect(statements).to.equal(1);
    const ids = created.map((item) => item?.service_request_id);
    expect(new Set(ids).size).to.equal(25);
    for (const [index, item] of created.entries()) expect(item?.account_id).to.equal(`acct-${index}`);
    for (const [index, request] of requests.entries()) {
      const row = await db('service_requests').where({ id: ids[index] }).first('description', 'status', 'detailed_status');
      expect(row).to.deep.equal({ description: request.description, status: 'open', detailed_status: 'submitted' });
      const history = await db('service_request_updates').where({ service_request_id: ids[index] }).select('note_type');
      expect(history).to.deep.equal([{ note_type: 'opened' }]);
      const submitter = await db('service_request_submitters').where({ service_request_id: ids[index] }).first('email');
      expect(submitter?.email).to.equal(`grouped${index}@example.com`);
    }
  });

  it('stores a batch service with its token, and a remembered Idempotency-Key answer in the same statement', async () => {
    const { db } = ctx();
    const code = unique('BATCHSVC').toUpperCase();
    await addServices([{ service_code: code, service_name: 'Batch service', type: 'batch' }]);
    const base = await newRequest({ service_code: code });
    const token = unique('token');
    const idempotency = { api_key_id: base.api_key_id, key: unique('idem'), fingerprint: 'f'.repeat(64) };
    const [created] = await Promise.all([new RequestWriter(db).insert({ ...base, token, idempotency })]);
    expect(created).to.deep.equal({ service_notice: null, account_id: null, token });
    const stored = await db('request_tokens').where({ token }).first('service_request_id');
    expect(stored?.service_request_id).to.not.equal(null);
    const remembered = await db('idempotency_keys').where({ idempotency_key: idempotency.key }).first('response');
    const response = typeof remembered.response === 'string' ? JSON.parse(remembered.response) : remembered.response;
    expect(response).to.deep.equal({ service_notice: null, account_id: null, token });
  });

  it('a create that fails inside a batch fails alone; the others are stored', async () => {
    const { db } = ctx();
    const writer = new RequestWriter(db, { maxInFlight: 1 });
    const base = await newRequest();
    const used = { api_key_id: base.api_key_id, key: unique('used-key'), fingerprint: 'a'.repeat(64) };
    await db('idempotency_keys').insert({
      api_key_id: used.api_key_id,
      idempotency_key: used.key,
      fingerprint: used.fingerprint,
      response: '{}',
    });
    const requests = await Promise.all(Array.from({ length: 6 }, () => newRequest()));
    requests[3] = { ...requests[3]!, idempotency: used };
    const outcomes = await Promise.allSettled(requests.map((request) => writer.insert(request)));
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[3] as PromiseRejectedResult).reason.code).to.equal('23505');
    const stored = await db('service_requests')
      .whereIn(
        'description',
        requests.map((request) => request.description!),
      )
      .count({ n: '*' })
      .first();
    expect(Number(stored?.n)).to.equal(5);
  });

  it('stores nothing of a create whose catalog changeset or API key moved since it was validated', async () => {
    const { db } = ctx();
    const writer = new RequestWriter(db, { maxInFlight: 1 });
    const fresh = await newRequest();
    const staleCatalog = await newRequest();
    staleCatalog.service = { ...staleCatalog.service, catalog_changeset: '1' };
    const name = unique('soon-revoked');
    const { record } = await createKey(db, name);
    await revokeKey(db, name);
    const revoked = await newRequest({ api_key_id: record.id });
    const answers = await Promise.all([fresh, staleCatalog, revoked].map((request) => writer.insert(request)));
    expect(answers[0]?.service_request_id).to.be.a('string');
    expect(answers.slice(1)).to.deep.equal([undefined, undefined]);
    const stored = await db('service_requests')
      .whereIn(
        'description',
        [fresh, staleCatalog, revoked].map((request) => request.description!),
      )
      .pluck('description');
    expect(stored).to.deep.equal([fresh.description]);
  });
});
