// npm run test:crash: crash safety and graceful shutdown of the real server process (not part of mocha).
//
// 1. Builds and starts the server as `npm start` does (dist/, same Node flags) on a free port, on a fresh temporary DATA_DIR (the embedded
//    store) or on DATABASE_URL when set, with OPEN311_BOOTSTRAP_API_KEY; waits for /readyz.
// 2. SIGKILL: fires POST requests at concurrency 32 (unique descriptions, submitter fields, an
//    Idempotency-Key each) and kills the server with SIGKILL mid-stream.
// 3. Restarts it on the same store, waits for /readyz, and checks that every request acknowledged with 200
//    is readable (GET requests.json?service_request_id=…&extensions=true, batched) with its description and
//    its 'opened' history note.
// 4. SIGTERM: fires POSTs again (one connection each), sends SIGTERM while they are in flight, checks the
//    process exits 0 and that requests in flight were drained (answered, not cut), then restarts and checks
//    every 200 of that phase is stored. Stops the last server with SIGTERM (exit 0 again).
// 5. Opens the store directly and checks there is no partial row: every request of this run has its
//    'opened' history row, its submitter row and its remembered Idempotency-Key answer (one transaction).
// Prints a summary; exits 1 on any loss, partial row or unclean exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb } from '../src/store/db.js';
import { buildProductionServer } from './production-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BASE = '/open311/v2';
const API_KEY = `crash-${randomBytes(16).toString('hex')}`;
const RUN = randomBytes(4).toString('hex');
const CONCURRENCY = 32;
/** `node` arguments of the built server (built once, on first start). */
let serverArguments: string[] | undefined;
const KILL_AFTER_MS = Number(process.env.CRASH_KILL_AFTER_MS ?? 4000);
const TERM_AFTER_MS = Number(process.env.CRASH_TERM_AFTER_MS ?? 2000);
const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDirectory = databaseUrl ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'open311-crash-'));
const problems: string[] = [];
const children = new Set<ChildProcess>();

const log = (message: string): void => {
  process.stdout.write(`[crash-safety ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Server {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
}

function startServer(port: number): Server {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    OPEN311_BOOTSTRAP_API_KEY: API_KEY,
    SEED_DEMO: 'true',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_KEY: '0',
    RATE_LIMIT_PER_ADDRESS: '0',
    RESPONSE_CACHE_TTL_MS: '0',
    WEB_CONCURRENCY: '1',
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else {
    delete env.DATABASE_URL;
    env.DATA_DIR = dataDirectory;
  }
  serverArguments ??= buildProductionServer();
  const child = spawn(process.execPath, serverArguments, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output };
}

interface Answer {
  status: number;
  text: string;
}

function request(
  port: number,
  method: string,
  pathAndQuery: string,
  options: { body?: string; headers?: Record<string, string>; agent?: http.Agent | false; timeoutMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const call = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathAndQuery,
        agent: options.agent ?? false,
        headers: { ...(options.headers ?? {}), ...(body ? { 'Content-Length': String(body.length) } : {}) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    call.setTimeout(options.timeoutMs ?? 30_000, () => call.destroy(new Error('client timeout')));
    call.on('error', reject);
    call.end(body);
  });
}

async function waitReady(port: number, server: Server, timeoutMs = 120_000): Promise<number> {
  const started = Date.now();
  let exited = false;
  void server.exited.then(() => (exited = true));
  while (Date.now() - started < timeoutMs) {
    if (exited) throw new Error(`the server exited during start-up:\n${server.output.slice(-30).join('\n')}`);
    try {
      const answer = await request(port, 'GET', '/readyz', { timeoutMs: 3000 });
      if (answer.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the server was not ready after ${timeoutMs} ms:\n${server.output.slice(-30).join('\n')}`);
}

interface LoadResult {
  /** service_request_id → description, for every 200. */
  acked: Map<string, string>;
  sent: number;
  failed: number;
  otherStatus: Map<number, number>;
  /** Requests in flight when `mark()` was called, and how they ended. */
  inFlightAtMark: number;
  markedOk: number;
  markedFailed: number;
}

/** POSTs at `CONCURRENCY` until `until` resolves; `mark()` snapshots which requests are in flight. */
function load(port: number, phase: string, agent: http.Agent | false): { mark(): void; stop(): Promise<LoadResult> } {
  const result: LoadResult = {
    acked: new Map(),
    sent: 0,
    failed: 0,
    otherStatus: new Map(),
    inFlightAtMark: 0,
    markedOk: 0,
    markedFailed: 0,
  };
  const inFlight = new Set<number>();
  const marked = new Set<number>();
  let stopping = false;
  let counter = 0;
  const worker = async (): Promise<void> => {
    while (!stopping) {
      const number = counter++;
      const description = `crash-${RUN}-${phase}-${number}`;
      const body = new URLSearchParams({
        api_key: API_KEY,
        service_code: 'SIDEWALK',
        lat: '39.71367',
        long: '-82.59932',
        description,
        email: `${description}@example.org`,
        first_name: 'Crash',
      }).toString();
      inFlight.add(number);
      result.sent++;
      try {
        const answer = await request(port, 'POST', `${BASE}/requests.json`, {
          body,
          agent,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': description },
        });
        if (answer.status === 200) {
          const id = (JSON.parse(answer.text) as Array<{ service_request_id: string }>)[0]!.service_request_id;
          result.acked.set(id, description);
          if (marked.has(number)) result.markedOk++;
        } else {
          result.otherStatus.set(answer.status, (result.otherStatus.get(answer.status) ?? 0) + 1);
          if (marked.has(number)) result.markedFailed++;
        }
      } catch {
        result.failed++;
        if (marked.has(number)) result.markedFailed++;
        await sleep(20); // the server is gone: do not spin
      } finally {
        inFlight.delete(number);
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, () => worker());
  return {
    mark() {
      for (const number of inFlight) marked.add(number);
      result.inFlightAtMark = marked.size;
    },
    async stop() {
      stopping = true;
      await Promise.all(workers);
      return result;
    },
  };
}

/** Reads every acknowledged request back: present, same description, with its 'opened' note. */
async function verifyAcknowledged(port: number, acked: Map<string, string>, phase: string): Promise<void> {
  const ids = [...acked.keys()];
  let found = 0;
  for (let start = 0; start < ids.length; start += 50) {
    const batch = ids.slice(start, start + 50);
    const answer = await request(port, 'GET', `${BASE}/requests.json?service_request_id=${batch.join(',')}&extensions=true`);
    if (answer.status !== 200) {
      problems.push(`${phase}: GET requests.json answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      continue;
    }
    const rows = JSON.parse(answer.text) as Array<{
      service_request_id: string;
      description: string;
      notes?: Array<{ type: string }>;
    }>;
    const byId = new Map(rows.map((row) => [row.service_request_id, row]));
    for (const id of batch) {
      const row = byId.get(id);
      if (!row) problems.push(`${phase}: request ${id} (${acked.get(id)}) was acknowledged with 200 but is not in the store`);
      else if (row.description !== acked.get(id))
        problems.push(`${phase}: request ${id} has description ${row.description}, expected ${acked.get(id)}`);
      else if (!(row.notes ?? []).some((note) => note.type === 'opened'))
        problems.push(`${phase}: request ${id} has no 'opened' note (partial row)`);
      else found++;
    }
  }
  log(`${phase}: ${found}/${ids.length} acknowledged requests read back intact`);
}

async function stopWithSigterm(server: Server, phase: string): Promise<void> {
  server.child.kill('SIGTERM');
  const exit = await Promise.race([server.exited, sleep(20_000).then(() => undefined)]);
  if (!exit) {
    problems.push(`${phase}: the server did not exit within 20 s of SIGTERM`);
    server.child.kill('SIGKILL');
    await server.exited;
  } else if (exit.code !== 0) {
    problems.push(
      `${phase}: the server exited with code ${exit.code} (signal ${exit.signal}) after SIGTERM, expected 0:\n${server.output.slice(-20).join('\n')}`,
    );
  } else log(`${phase}: SIGTERM → exit code 0`);
}

async function checkNoPartialRows(): Promise<void> {
  const db = openDb({ databaseUrl, dataDirectory });
  try {
    const pattern = `crash-${RUN}-%`;
    const [counts] = (
      await db.raw(
        `SELECT count(*)::int AS total,
                count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM service_request_updates u WHERE u.service_request_id = r.id AND u.note_type = 'opened'))::int AS without_history,
                count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM service_request_submitters s WHERE s.service_request_id = r.id))::int AS without_submitter,
                count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.idempotency_key = r.description))::int AS without_idempotency
           FROM service_requests r WHERE r.description LIKE ?`,
        [pattern],
      )
    ).rows as Array<{ total: number; without_history: number; without_submitter: number; without_idempotency: number }>;
    const [orphans] = (
      await db.raw(
        `SELECT count(*)::int AS n FROM idempotency_keys k
          WHERE k.idempotency_key LIKE ? AND NOT EXISTS (SELECT 1 FROM service_requests r WHERE r.description = k.idempotency_key)`,
        [pattern],
      )
    ).rows as Array<{ n: number }>;
    log(
      `store: ${counts!.total} requests of this run; without history ${counts!.without_history}, without submitter ${counts!.without_submitter}, without idempotency record ${counts!.without_idempotency}; orphan idempotency records ${orphans!.n}`,
    );
    if (counts!.without_history + counts!.without_submitter + counts!.without_idempotency + orphans!.n > 0)
      problems.push('the store holds partial rows (see the line above)');
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const port = await freePort();
  log(`store: ${databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${dataDirectory}`}; port ${port}; run ${RUN}`);

  // ---- 1. SIGKILL mid-stream ----
  let server = startServer(port);
  log(`server 1 ready in ${await waitReady(port, server)} ms`);
  const killAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let running = load(port, 'kill', killAgent);
  await sleep(KILL_AFTER_MS);
  running.mark();
  server.child.kill('SIGKILL');
  const killed = await server.exited;
  const killResult = await running.stop();
  killAgent.destroy();
  log(
    `SIGKILL (${killed.signal}) with ${killResult.inFlightAtMark} POSTs in flight: ${killResult.sent} sent, ${killResult.acked.size} acknowledged (200), ` +
      `${killResult.failed} cut or refused, other answers ${JSON.stringify([...killResult.otherStatus])}`,
  );
  if (killResult.acked.size === 0) problems.push('SIGKILL phase: no POST was acknowledged before the kill (nothing was tested)');
  if (killResult.otherStatus.size > 0)
    problems.push(`SIGKILL phase: unexpected answers ${JSON.stringify([...killResult.otherStatus])}`);

  // ---- 2. restart on the same store and read everything back ----
  server = startServer(port);
  log(`server 2 ready in ${await waitReady(port, server)} ms (after SIGKILL)`);
  await verifyAcknowledged(port, killResult.acked, 'after SIGKILL');

  // ---- 3. SIGTERM drains in-flight requests ----
  running = load(port, 'term', false);
  await sleep(TERM_AFTER_MS);
  running.mark();
  const termSent = Date.now();
  server.child.kill('SIGTERM');
  const exit = await Promise.race([server.exited, sleep(20_000).then(() => undefined)]);
  const termResult = await running.stop();
  if (!exit) {
    problems.push('SIGTERM phase: the server did not exit within 20 s');
    server.child.kill('SIGKILL');
    await server.exited;
  } else if (exit.code !== 0)
    problems.push(
      `SIGTERM phase: exit code ${exit.code} (signal ${exit.signal}), expected 0:\n${server.output.slice(-20).join('\n')}`,
    );
  log(
    `SIGTERM → exit ${exit?.code} after ${Date.now() - termSent} ms; ${termResult.inFlightAtMark} POSTs in flight at the signal: ${termResult.markedOk} answered 200, ${termResult.markedFailed} cut; ` +
      `in all ${termResult.sent} sent, ${termResult.acked.size} acknowledged, ${termResult.failed} refused or cut, other answers ${JSON.stringify([...termResult.otherStatus])}`,
  );
  if (termResult.inFlightAtMark > 0 && termResult.markedOk === 0)
    problems.push('SIGTERM phase: no request in flight at the signal was answered (nothing drained)');
  if (termResult.otherStatus.size > 0)
    problems.push(`SIGTERM phase: unexpected answers ${JSON.stringify([...termResult.otherStatus])}`);

  server = startServer(port);
  log(`server 3 ready in ${await waitReady(port, server)} ms (after SIGTERM)`);
  await verifyAcknowledged(port, termResult.acked, 'after SIGTERM');
  await stopWithSigterm(server, 'server 3');

  // ---- 4. no partial rows, read from the store itself ----
  await checkNoPartialRows();

  log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  if (problems.length > 0) {
    process.stdout.write(
      `\nFAILED (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .slice(0, 50)
        .map((problem) => `- ${problem}`)
        .join('\n')}\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(
      `\nOK: ${killResult.acked.size + termResult.acked.size} acknowledged requests survived SIGKILL and SIGTERM; no partial rows; clean shutdowns.\n`,
    );
  }
}

main()
  .catch((error: unknown) => {
    process.stdout.write(`\nFAILED: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    // Never leave a server behind (only the ones this script started).
    for (const child of children) child.kill('SIGKILL');
    if (dataDirectory) fs.rmSync(dataDirectory, { recursive: true, force: true });
  });
