import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { execute } from '../../src/cli/command.js';
import { keysCommand } from '../../src/cli/keys.js';
import { createKey, ensureKey, hashKey, revokeKey } from '../../src/store/api-keys-store.js';
import { ensureBootstrapKey } from '../../src/store/seed.js';
import { submit } from '../helpers/build.js';
import { ctx, unique } from '../helpers/test-server.js';

describe('API keys', () => {
  it('are stored hashed, never in clear', async () => {
    const { db } = ctx();
    const { key, record } = await createKey(db, unique('hashed'));
    const row = await db('api_keys').where({ id: record.id }).first();
    expect(row.key_hash).to.equal(hashKey(key));
    expect(JSON.stringify(row)).not.to.include(key);
    expect(record.key_prefix.length).to.be.lessThan(key.length / 2);
  });

  it('a revoked key gets 403; a new key is accepted at once', async () => {
    const { db } = ctx();
    const name = unique('revoke-me');
    const { key } = await createKey(db, name);
    expect((await submit({ api_key: key })).status).to.equal(200);
    expect(await revokeKey(db, name)).to.equal(1);
    const refused = await submit({ api_key: key });
    expect(refused.status).to.equal(403);
    expect(refused.body).to.deep.equal([{ code: 403, description: 'The api_key is not valid.' }]);
  });

  it('accepts the key as Authorization: Bearer when no api_key field is sent', async () => {
    const { apiKey } = ctx();
    const { default: request } = await import('supertest');
    const response = await request(ctx().app)
      .post('/open311/v2/requests.json')
      .set('Authorization', `Bearer ${apiKey}`)
      .type('form')
      .send({ service_code: 'SIDEWALK', address_string: unique('bearer street') });
    expect(response.status, response.text).to.equal(200);
  });

  it('OPEN311_BOOTSTRAP_API_KEY becomes a valid key (hashed), and is re-enabled if it had been revoked', async () => {
    const { db } = ctx();
    const bootstrap = unique('bootstrap-key-value-0123456789');
    await ensureBootstrapKey(db, bootstrap);
    expect((await submit({ api_key: bootstrap })).status).to.equal(200);
    const stored = await db('api_keys')
      .where({ key_hash: hashKey(bootstrap) })
      .first();
    expect(JSON.stringify(stored)).not.to.include(bootstrap);
    await db('api_keys')
      .where({ key_hash: hashKey(bootstrap) })
      .update({ revoked_at: db.fn.now() });
    expect((await submit({ api_key: bootstrap })).status).to.equal(403);
    await ensureBootstrapKey(db, bootstrap); // a restart with the variable still set
    expect((await submit({ api_key: bootstrap })).status).to.equal(200);
    await ensureKey(db, 'again', bootstrap, 'client');
    expect(
      Number(
        (
          await db('api_keys')
            .where({ key_hash: hashKey(bootstrap) })
            .count({ n: '*' })
            .first()
        )?.n,
      ),
    ).to.equal(1);
  });

  it('the keys CLI creates a key printed once, lists it without the secret, and revokes it', async function () {
    this.timeout(120_000);
    const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-keys-'));
    const env = { ...process.env, DATA_DIR: dataDirectory, LOG_LEVEL: 'silent' };
    // In-process: execute() is what `npm run keys` runs (a tsx start per call cost ~25 s).
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io = { env, out: (text: string) => (stdout += text), err: (text: string) => (stderr += text) };
      const code = await execute(keysCommand, args, io, 'keys');
      expect(code, stderr).to.equal(0);
      return { stdout };
    };
    try {
      const created = await cli(['create', '--name', 'FixMyStreet test']);
      const key = /Key \(shown once, store it now\): (\S+)/.exec(created.stdout)?.[1];
      expect(key, created.stdout).to.match(/^o311_[A-Za-z0-9_-]{32}$/);
      const listed = await cli(['list']);
      expect(listed.stdout).to.include('FixMyStreet test').and.include('active').and.not.include(key!);
      const revoked = await cli(['revoke', 'FixMyStreet test']);
      expect(revoked.stdout).to.include('Revoked 1 key');
      expect((await cli(['list'])).stdout).to.include('revoked');
    } finally {
      fs.rmSync(dataDirectory, { recursive: true, force: true });
    }
  });
});
