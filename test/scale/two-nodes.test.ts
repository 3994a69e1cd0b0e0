// Two nodes, one truth: two real server processes on one PostgreSQL database, each with its response cache on
// and a TTL far longer than the test, so only the change feed (LISTEN/NOTIFY) can explain that a write through
// one shows at once in the other's cached list. PostgreSQL only: the embedded store is one process.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ctx, unique } from '../helpers/test-server.js';

const databaseUrl = process.env.DATABASE_URL;
const ADMIN_KEY = `two-nodes-admin-${Math.random().toString(36).slice(2)}-key`;
const root = path.resolve(import.meta.dirname, '..', '..');

interface Node {
  child: ChildProcess;
  base: string;
  output: () => string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startNode(env: NodeJS.ProcessEnv, waitFor: RegExp | undefined): Promise<Node> {
  const port = await freePort();
  const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-node-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: databaseUrl,
      DATABASE_LISTEN_URL: process.env.DATABASE_LISTEN_URL ?? databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDirectory,
      LOG_LEVEL: 'info',
      SEED_DEMO: 'false',
      RATE_LIMIT_PER_KEY: '0',
      RATE_LIMIT_PER_ADDRESS: '0',
      OPEN311_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      // A minute: far beyond the test, so no answer expires on its own during it.
      RESPONSE_CACHE_TTL_MS: '60000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const base = `http://127.0.0.1:${port}/open311/v2`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${output}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (answer) => answer.ok,
      () => false,
    );
    if (healthy && (!waitFor || waitFor.test(output))) break;
    if (Date.now() > deadline) throw new Error(`the server did not get ready: ${output}`);
    await sleep(100);
  }
  return { child, base, output: () => output };
}

async function stopNode(node: Node | undefined): Promise<void> {
  if (!node || node.child.exitCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  await exited;
}

async function create(node: Node, description: string): Promise<string> {
  const answer = await fetch(`${node.base}/requests.json`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ api_key: ctx().apiKey, service_code: 'SIDEWALK', address_string: '1 Main St', description }),
  });
  expect(answer.status, await answer.clone().text()).to.equal(200);
  return String(((await answer.json()) as Array<{ service_request_id: string }>)[0]!.service_request_id);
}

/** Polls a node's list until it shows `description`; the time from `since` to the start of the poll that did. */
async function visibleAfter(node: Node, list: string, description: string, since: number, timeoutMs: number): Promise<number> {
  for (;;) {
    const started = performance.now();
    const answer = await fetch(`${node.base}${list}`);
    expect(answer.status).to.equal(200);
    if ((await answer.text()).includes(description)) return started - since;
    if (started - since > timeoutMs) throw new Error(`not visible after ${Math.round(started - since)} ms`);
    await sleep(5);
  }
}

async function primeCache(node: Node, list: string): Promise<void> {
  const first = await fetch(`${node.base}${list}`);
  const again = await fetch(`${node.base}${list}`);
  expect(again.headers.get('etag')).to.equal(first.headers.get('etag'));
}

if (databaseUrl) {
  describe('two server processes on one database (LISTEN/NOTIFY change feed)', function () {
    this.timeout(180_000);
    let first: Node | undefined;
    let second: Node | undefined;

    before(async () => {
      // One after the other: both would otherwise run the (already applied) migrations at once.
      first = await startNode({}, /change feed live/);
      second = await startNode({}, /change feed live/);
    });

    after(async () => {
      await Promise.all([stopNode(first), stopNode(second)]);
    });

    it('a write through one shows in the other’s cached list within 100 ms, both ways', async () => {
      const list = `/requests.json?service_code=SIDEWALK&status=open&page_size=50&jurisdiction_id=${ctx().config.jurisdictionId}`;
      for (const [writer, reader] of [
        [first!, second!],
        [second!, first!],
      ] as const) {
        await primeCache(reader, list);
        const description = unique('two-nodes');
        await create(writer, description);
        const elapsed = await visibleAfter(reader, list, description, performance.now(), 5000);
        expect(elapsed, `visible on the other node after ${Math.round(elapsed)} ms`).to.be.at.most(100);
      }
    });

    it('a change made outside any server (plain SQL) reaches both caches too', async () => {
      const list = '/requests.json?service_code=SIDEWALK&page_size=20';
      await Promise.all([primeCache(first!, list), primeCache(second!, list)]);
      const description = unique('by-hand');
      const service = await ctx()
        .db('services')
        .where({ jurisdiction_id: ctx().config.jurisdictionId, service_code: 'SIDEWALK' })
        .first('id');
      await ctx()
        .db('service_requests')
        .insert({ jurisdiction_id: ctx().config.jurisdictionId, service_id: service.id, description });
      const since = performance.now();
      for (const node of [first!, second!]) expect(await visibleAfter(node, list, description, since, 5000)).to.be.at.most(100);
    });

    it('a catalog change through one shows in both nodes’ services.json and discovery changeset at once', async () => {
      const services = async (node: Node) =>
        (await (await fetch(`${node.base}/services.json`)).json()) as Array<{ service_code: string }>;
      const changeset = async (node: Node) =>
        ((await (await fetch(`${node.base}/discovery.json`)).json()) as { changeset: string }).changeset;
      // Remembered on both: the changeset and the rendered list.
      const before = await changeset(second!);
      await Promise.all([services(first!), services(second!), changeset(first!)]);
      const code = unique('TWO_NODES').toUpperCase().replace(/-/g, '_');
      const created = await fetch(`${first!.base.replace('/open311/v2', '')}/api/v1/services`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          service_code: code,
          service_name: 'Two nodes',
          description: 'Made by the two-node test.',
          type: 'realtime',
        }),
      });
      expect(created.status, await created.clone().text()).to.be.oneOf([200, 201]);
      // The writer itself: at once.
      expect((await services(first!)).map((service) => service.service_code)).to.include(code);
      // The other node: within 100 ms.
      const since = performance.now();
      for (;;) {
        const started = performance.now();
        if ((await services(second!)).some((service) => service.service_code === code)) {
          expect(started - since).to.be.at.most(100);
          break;
        }
        if (started - since > 5000) throw new Error('the new service never showed on the other node');
        await sleep(5);
      }
      expect(await changeset(second!)).not.to.equal(before);
    });

    it('where notifications cannot arrive, polls the change marker instead (never serves a stale list for the TTL)', async () => {
      // Nothing listens on the first; the second (in .ci/pgbouncer.sh) is PgBouncer in transaction pooling mode,
      // where LISTEN seems to work but notifications never reach the listening client.
      const listenUrls = [`postgres://nobody:nothing@127.0.0.1:${await freePort()}/none`];
      if (process.env.PGBOUNCER_DATABASE_URL) listenUrls.push(process.env.PGBOUNCER_DATABASE_URL);
      for (const listenUrl of listenUrls) {
        const polling = await startNode({ DATABASE_LISTEN_URL: listenUrl }, undefined);
        try {
          const list = '/requests.json?service_code=SIDEWALK&status=open&page_size=30';
          await primeCache(polling, list);
          // Past the feed's first ping timeout (2 s): had it worked, it would be live by now.
          await sleep(3000);
          const description = unique('polled');
          await create(first!, description);
          // The marker is read at most every 100 ms: well under a second, where the TTL is a minute.
          expect(await visibleAfter(polling, list, description, performance.now(), 5000)).to.be.below(1000);
          expect(polling.output()).not.to.match(/change feed live/);
        } finally {
          await stopNode(polling);
        }
      }
    });
  });
}
