// The very first start of a real server process (src/main.ts) on an empty store: it makes the first admin and
// logs one one-time sign-in link (no default password), says that e-mail notifications are off without
// SMTP_URL, and the link signs that admin in. After a restart no new link is logged and the session made
// before it still works (sessions live in the store). On a fresh embedded data folder, or on a fresh database
// of the DATABASE_URL server.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';
import { ctx } from '../helpers/test-server.js';
import { freePort, waitUntil } from '../notifications/support.js';

async function ready(port: number, child: ServerProcess): Promise<void> {
  await waitUntil(
    async () => {
      if (child.process.exitCode !== null) throw new Error(`server exited:\n${child.lines.join('\n')}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
    120_000,
    'the server to be ready',
  );
}

async function stop(child: ServerProcess): Promise<void> {
  child.process.kill('SIGTERM');
  await child.exited;
}

const messages = (child: ServerProcess): string[] =>
  child.lines.map((line) => {
    try {
      return String((JSON.parse(line) as { msg?: unknown }).msg ?? line);
    } catch {
      return line;
    }
  });

describe('the first start of a server with no staff account', function () {
  this.timeout(300_000);
  const children: ServerProcess[] = [];
  let dataDirectory: string | undefined;
  let database: string | undefined;

  after(async () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    if (dataDirectory) fs.rmSync(dataDirectory, { recursive: true, force: true });
    // FORCE: a pooler in front (the PgBouncer run of CI) keeps its own connections to the database open.
    if (database) await ctx().db.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed')
      for (const child of children) process.stderr.write(`--- server output ---\n${child.lines.join('\n')}\n`);
  });

  it('logs a one-time link for the first admin that signs them in; a restart logs none and keeps the session', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const email = `first.admin.${randomBytes(4).toString('hex')}@city.example`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      FIRST_ADMIN_EMAIL: email,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'info',
      WEB_CONCURRENCY: '1',
    };
    delete env.SMTP_URL;
    if (process.env.DATABASE_URL) {
      // A database of its own on the same server: the suite's store has accounts already.
      database = `open311_first_start_${randomBytes(4).toString('hex')}`;
      await ctx().db.raw(`CREATE DATABASE ${database}`);
      const url = new URL(process.env.DATABASE_URL);
      url.pathname = `/${database}`;
      env.DATABASE_URL = url.href;
      delete env.DATABASE_READ_URL;
      delete env.DATABASE_LISTEN_URL;
    } else {
      dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-first-start-'));
      delete env.DATABASE_URL;
      env.DATA_DIR = dataDirectory;
    }

    const first = startServerProcess(env);
    children.push(first);
    await ready(port, first);
    const logged = messages(first).filter((message) => message.includes('/staff/sign-in/link/'));
    expect(logged, 'one line with the link').to.have.length(1);
    expect(logged[0]).to.include(`created the first admin ${email}`);
    expect(messages(first)).to.include('e-mail notifications off: SMTP_URL is not set');
    const link = new RegExp(`${publicUrl}/staff/sign-in/link/[\\w-]{43}`).exec(logged[0]!)?.[0];
    expect(link, logged[0]).to.be.a('string');

    // The link shows a button; its POST signs the first admin in.
    expect((await fetch(link!)).status).to.equal(200);
    const used = await fetch(link!, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(used.status).to.equal(303);
    const cookie = used.headers
      .getSetCookie()
      .find((value) => value.startsWith('open311_session='))!
      .split(';')[0]!;
    const me = async () => fetch(`${publicUrl}/api/v1/me`, { headers: { cookie } });
    expect(await (await me()).json()).to.include({ kind: 'person', email, role: 'admin' });
    expect((await fetch(link!, { method: 'POST', redirect: 'manual' })).status).to.equal(404);

    // A restart: the account exists, so no new link; the session is in the store and still works.
    await stop(first);
    const second = startServerProcess(env);
    children.push(second);
    await ready(port, second);
    expect(messages(second).filter((message) => message.includes('/staff/sign-in/link/'))).to.deep.equal([]);
    const after = await me();
    expect(after.status).to.equal(200);
    expect(await after.json()).to.include({ email, role: 'admin' });
    await stop(second);
  });
});
