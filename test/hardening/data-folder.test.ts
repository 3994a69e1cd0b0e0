// One writer per embedded data folder, with real processes (built like `npm start`): the server owns the
// folder, `keys` works through it, other tools and a second server are refused naming its pid, a killed
// server's lock is taken over; a port in use is one line and exit code 3; a database error at start-up is one
// line; and a backup taken through the running server under concurrent POSTs restores every request that
// was acknowledged before it. Always on the embedded store (DATABASE_URL is removed from the children).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EXIT_CODES } from '../../src/errors.js';
import { openDb } from '../../src/store/db.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BASE = '/open311/v2';
const API_KEY = `folder-test-${randomBytes(12).toString('hex')}`;
const runFile = promisify(execFile);
const children = new Set<ChildProcess>();

function childEnvironment(dataDirectory: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDirectory,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    OPEN311_BOOTSTRAP_API_KEY: API_KEY,
    RATE_LIMIT_PER_KEY: '0',
    RATE_LIMIT_PER_ADDRESS: '0',
    ...extra,
  };
  if (!('DATABASE_URL' in extra)) delete env.DATABASE_URL;
  // Settings that only go with DATABASE_URL (the PgBouncer and replica runs set them for the whole suite).
  delete env.DATABASE_LISTEN_URL;
  delete env.DATABASE_READ_URL;
  return env;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

function start(dataDirectory: string, port: number, extra: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: ROOT,
    env: childEnvironment(dataDirectory, { PORT: String(port), ...extra }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, port, output: () => output, exited };
}

async function untilListening(server: Running): Promise<void> {
  let gone = false;
  void server.exited.then(() => (gone = true));
  const started = Date.now();
  while (!server.output().includes('listening')) {
    if (gone) throw new Error(`the server exited:\n${server.output()}`);
    if (Date.now() - started > 240_000) throw new Error(`the server did not start:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The admin endpoint is published right after the bind: wait for it, as a tool would retry.
  while (!fs.readFileSync(path.join(dataDirectoryOf(server), 'open311.lock'), 'utf8').includes('"admin"')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const dataDirectories = new Map<Running, string>();
const dataDirectoryOf = (server: Running): string => dataDirectories.get(server)!;

async function startAndWait(dataDirectory: string, port: number): Promise<Running> {
  const server = start(dataDirectory, port);
  dataDirectories.set(server, dataDirectory);
  await untilListening(server);
  return server;
}

/** A tool, compiled, as its own process: exit code and output. */
async function tool(
  name: string,
  args: string[],
  dataDirectory: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await runFile(process.execPath, [`dist/src/cli/${name}.js`, ...args], {
      cwd: ROOT,
      env: childEnvironment(dataDirectory, { LOG_LEVEL: 'silent' }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function post(port: number, key: string, description: string): Promise<{ status: number; id?: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${BASE}/requests.json`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ api_key: key, service_code: 'SIDEWALK', lat: '39.71367', long: '-82.59932', description }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as Array<{ service_request_id?: string }>;
  return { status: response.status, id: body[0]?.service_request_id };
}

async function stop(server: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  server.child.kill(signal);
  return server.exited;
}

describe('the embedded data folder: one writer, tools through the server, backups (real processes)', function () {
  this.timeout(900_000);
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-folder-'));

  before(function () {
    this.timeout(300_000);
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('a database error at start-up is one line without a stack trace', async () => {
    const port = await freePort();
    const closed = await freePort(); // nothing listens there: the connection is refused
    const server = start(path.join(parent, 'unused'), port, { DATABASE_URL: `postgres://nobody:none@127.0.0.1:${closed}/none` });
    expect(await server.exited).to.equal(EXIT_CODES.failure);
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line && !line.startsWith('{'));
    expect(lines, server.output()).to.have.length(1);
    expect(lines[0]).to.match(/^open311-server failed to start: .*ECONNREFUSED/);
    expect(server.output()).not.to.match(/\n\s+at /);
  });

  it('keys works through the running server; other tools and a second server are refused; a killed server’s lock is taken over', async () => {
    const dataDirectory = path.join(parent, 'owned');
    const port = await freePort();
    const server = await startAndWait(dataDirectory, port);
    const pid = server.child.pid!;
    const lock = path.join(dataDirectory, 'open311.lock');
    expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).to.equal(pid);
    expect(fs.statSync(lock).mode & 0o777).to.equal(0o600);

    // The README's command, while the server runs: the key works at once, in the server that owns the store.
    const created = await tool('keys', ['create', '--name', 'while running'], dataDirectory);
    expect(created.code, created.stderr).to.equal(0);
    const key = /Key \(shown once, store it now\): (\S+)/.exec(created.stdout)?.[1];
    expect(key, created.stdout).to.be.a('string');
    const accepted = await post(port, key!, 'posted with a key made while the server ran');
    expect(accepted.status).to.equal(200);
    expect((await tool('keys', ['list'], dataDirectory)).stdout).to.include('while running');

    // Tools that need the store to themselves, and a second server, are refused naming the owner.
    const migrate = await tool('migrate', ['status'], dataDirectory);
    expect(migrate.code).to.equal(EXIT_CODES.dataFolderInUse);
    expect(migrate.stderr).to.include(`pid ${pid}`).and.include('Stop the server first');
    const jurisdictions = await tool('jurisdictions', ['list'], dataDirectory);
    expect(jurisdictions.code).to.equal(EXIT_CODES.dataFolderInUse);
    expect(jurisdictions.stderr).to.include(`pid ${pid}`).and.include('staff API');
    const second = start(dataDirectory, await freePort());
    expect(await second.exited).to.equal(EXIT_CODES.dataFolderInUse);
    expect(second.output()).to.include(`pid ${pid}`);

    // A port in use: one line, its own exit code, and never "listening" (another folder, the same port).
    const clash = start(path.join(parent, 'clash'), port);
    expect(await clash.exited).to.equal(EXIT_CODES.portInUse);
    expect(clash.output()).not.to.include('listening');
    expect(clash.output()).to.include(`open311-server failed to start: Port ${port} on 127.0.0.1 is already in use`);

    // Killed: the lock stays, names a dead process, and the next server takes it over; the key survived.
    expect(await stop(server, 'SIGKILL')).to.equal(null);
    expect(fs.existsSync(lock)).to.equal(true);
    const restarted = await startAndWait(dataDirectory, port);
    expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).to.equal(restarted.child.pid);
    expect((await post(port, key!, 'after the restart')).status).to.equal(200);
    const revoked = await tool('keys', ['revoke', 'while running'], dataDirectory);
    expect(revoked.stdout).to.include('Revoked 1 key');
    expect((await post(port, key!, 'revoked')).status).to.equal(403);
    expect(await stop(restarted)).to.equal(0);
    expect(fs.existsSync(lock), 'the lock is released at exit').to.equal(false);
  });

  it('a backup taken through the running server under concurrent POSTs restores every acknowledged request', async () => {
    const dataDirectory = path.join(parent, 'busy');
    const port = await freePort();
    const server = await startAndWait(dataDirectory, port);
    const acknowledged: Array<{ id: string }> = [];
    let writing = true;
    const writer = async (worker: number): Promise<void> => {
      for (let count = 0; writing && count < 2000; count++) {
        const answer = await post(port, API_KEY, `load ${worker}-${count}`);
        expect(answer.status).to.equal(200);
        acknowledged.push({ id: answer.id! });
      }
    };
    const writers = Array.from({ length: 6 }, (_, worker) => writer(worker));
    while (acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 50));

    const file = path.join(parent, 'busy.backup');
    // The requests acknowledged before the backup is started, counted with no await in between (their times
    // can equal the start's to the millisecond, so times cannot tell them apart).
    const acknowledgedBeforeBackup = acknowledged.length;
    const backup = await tool('backup', [file], dataDirectory);
    expect(backup.code, backup.stderr).to.equal(0);
    const countAtEnd = acknowledged.length;
    // Writes go on after the snapshot, and are not in it; stop them and the server.
    while (acknowledged.length < countAtEnd + 10) await new Promise((resolve) => setTimeout(resolve, 50));
    writing = false;
    await Promise.all(writers);
    expect(await stop(server)).to.equal(0);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);

    const beforeBackup = acknowledged.slice(0, acknowledgedBeforeBackup).map((item) => item.id);
    expect(beforeBackup.length).to.be.at.least(30);

    // restore refuses a folder that is not empty, then fills an empty one.
    const refused = await tool('restore', [file], dataDirectory);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('not empty');
    const restoredDirectory = path.join(parent, 'restored');
    const restored = await tool('restore', [file], restoredDirectory);
    expect(restored.code, restored.stderr).to.equal(0);
    expect(fs.existsSync(path.join(restoredDirectory, 'open311.lock')), 'no lock comes with a backup').to.equal(false);

    const db = openDb({ dataDirectory: restoredDirectory, holder: 'test' });
    try {
      const rows = (await db('service_requests as r')
        .whereRaw('r.id::text = ANY(?)', [beforeBackup])
        .select(db.raw('r.id::text AS id'), 'r.description')) as Array<{ id: string; description: string }>;
      const found = new Set(rows.map((row) => row.id));
      const missing = beforeBackup.filter((id) => !found.has(id));
      expect(missing, 'acknowledged before the backup, missing from it').to.deep.equal([]);
      // Whole requests: each restored one has its "opened" history row (written in the same transaction).
      const withoutHistory = await db('service_requests as r')
        .whereNotExists(db('service_request_updates as u').whereRaw('u.service_request_id = r.id'))
        .count({ n: '*' });
      expect(Number(withoutHistory[0]!.n)).to.equal(0);
      const total = Number((await db('service_requests').count({ n: '*' }))[0]!.n);
      expect(total).to.be.at.most(acknowledged.length);
    } finally {
      await db.destroy();
    }
  });
});
