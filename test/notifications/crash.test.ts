// kill -9 of a real server process after a change is committed and before its e-mail is sent: the message is
// in the outbox (written in the change's statement), so a restarted server sends it, exactly once. The server
// runs as a child process (src/main.ts) on a fresh embedded data folder, or on DATABASE_URL when set.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';
import { freePort, PASSWORD, sleep, startSmtp, USER, waitUntil, type SmtpServer } from './support.js';

const API_KEY = `crash-notify-${randomBytes(12).toString('hex')}`;

/**
 * Starts the server and waits until it answers. A first start on a fresh embedded folder (initdb + PostGIS in
 * WebAssembly) can exceed the store's 30 s connection timeout on a loaded machine: such a start is tried again.
 */
async function startReady(env: NodeJS.ProcessEnv, port: number, children: ServerProcess[]): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt += 1) {
    const child = startServerProcess(env);
    children.push(child);
    try {
      await ready(port, child);
      return child;
    } catch (error) {
      const slowStart = child.lines.some((line) => line.includes('KnexTimeoutError'));
      if (!slowStart || attempt === 3) throw error;
    }
  }
}

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

describe('e-mail notifications survive kill -9 of the server', function () {
  this.timeout(240_000);
  const children: ServerProcess[] = [];
  let dataDirectory: string | undefined;
  let smtp: SmtpServer | undefined;

  after(async () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    await smtp?.close();
    if (dataDirectory) fs.rmSync(dataDirectory, { recursive: true, force: true });
  });

  afterEach(function () {
    // A failure shows what the server processes said.
    if (this.currentTest?.state === 'failed')
      for (const child of children) process.stderr.write(`--- server output ---\n${child.lines.join('\n')}\n`);
  });

  it('a report committed before the send is mailed exactly once after the restart', async () => {
    const httpPort = await freePort();
    const smtpPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(httpPort),
      HOST: '127.0.0.1',
      PUBLIC_URL: 'http://311.crash.example',
      OPEN311_BOOTSTRAP_API_KEY: API_KEY,
      SEED_DEMO: 'true',
      LOG_LEVEL: 'warn',
      WEB_CONCURRENCY: '1',
      SMTP_URL: `smtp://${USER}:${PASSWORD}@127.0.0.1:${smtpPort}`,
      MAIL_FROM: '311@lancasterohio.gov',
      NOTIFY_POLL_MS: '50',
      NOTIFY_TIMEOUT_MS: '1000',
      NOTIFY_RETRY_BASE_MS: '200',
    };
    if (!process.env.DATABASE_URL) {
      dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-notify-crash-'));
      delete env.DATABASE_URL;
      env.DATA_DIR = dataDirectory;
    }

    // An SMTP server that accepts the connection and never greets: the send is in progress when we kill.
    const stalled: net.Socket[] = [];
    const hanging = net.createServer((socket) => stalled.push(socket));
    await new Promise<void>((resolve) => hanging.listen(smtpPort, '127.0.0.1', resolve));

    const first = await startReady(env, httpPort, children);
    const email = `crash-${randomBytes(6).toString('hex')}@example.org`;
    const created = await fetch(`http://127.0.0.1:${httpPort}/open311/v2/requests.json`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        api_key: API_KEY,
        service_code: 'SIDEWALK',
        lat: '39.7137',
        long: '-82.5993',
        description: 'Kill me softly',
        email,
      }),
    });
    expect(created.status).to.equal(200);
    const id = ((await created.json()) as Array<{ service_request_id: string }>)[0]!.service_request_id;

    await waitUntil(() => stalled.length > 0, 30_000, 'the send to start');
    first.process.kill('SIGKILL');
    await first.exited;
    for (const socket of stalled) socket.destroy();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));

    smtp = await startSmtp(smtpPort);
    const second = await startReady(env, httpPort, children);
    // The lease of the killed attempt runs out (a few seconds), then the restarted server sends it.
    await smtp.waitFor(() => smtp!.to(email).length >= 1, 60_000, 'the confirmation after the restart');
    await sleep(2000);
    expect(smtp.to(email)).to.have.length(1);
    expect(smtp.to(email)[0]!.text).to.include(`http://311.crash.example/requests/${id}`);

    second.process.kill('SIGTERM');
    await second.exited;
  });
});
