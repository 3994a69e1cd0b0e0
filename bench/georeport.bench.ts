// npm run bench: the GeoReport benchmark (not part of npm test).
//
// For each scale (BENCH_SCALES, default "100000,1000000" synthetic requests) it prepares a PostgreSQL +
// PostGIS database (open311_bench_100k, … — reused when it already holds exactly that many requests, else
// seeded with `npm run seed:synthetic`), starts three servers as child processes:
//   ours     the built server, run as `npm start` runs it (node [flags] dist/src/main.js)
//   naive    bench/naive-server.ts: express + pg + JSON.stringify of the selected rows (a typical server)
//   ceiling  bench/ceiling-server.ts: node:http replying the exact bytes ours returned (nothing is faster)
//   express  bench/express-reference-server.ts: a bare Express app replying the same bytes with the same
//            headers (the fixed-cost scenarios only: what our middleware stack costs on top of Express)
// and runs every scenario with autocannon against the three, one after the other, scenario by scenario (so
// background load on the machine hits the three alike and the ratios hold). Then ours again with
// WEB_CONCURRENCY=2 (cluster) for the default list and POST. Prints the tables, the issue #16 targets with
// their ratios (met / not met), and writes bench/RESULTS.md.
//
// Environment:
//   DATABASE_URL            a PostgreSQL server (its role must create databases and the postgis extension);
//                           unset: a local cluster from `pg_lsclusters`, with a role created as postgres
//   BENCH_SCALES            comma-separated request counts (default 100000,1000000)
//   BENCH_DURATION          seconds per measured run (default 10)
//   BENCH_WARMUP            seconds of warm-up before each run (default 2)
//   BENCH_CONNECTIONS       concurrency of the GET scenarios (default 32)
//   BENCH_POST_CONNECTIONS  concurrency of the POST scenario (default 64)
//   BENCH_CLUSTER_WORKERS   WEB_CONCURRENCY of the cluster run (default 2; 0 skips it)
//   BENCH_OUTPUT            where to write the Markdown (default bench/RESULTS.md)
//   BENCH_QUEUE_REQUESTS    measured answers per staff queue view (default 200; bench/staff-queue.ts)
//   BENCH_SCENARIOS         comma-separated scenario ids to run (default all; e.g. services,random-box,map-clusters;
//                           staff-queue is the console's queue page, bench/staff-queue.ts)
//   IMPORT_BENCH_ROWS       rows of the CSV import row (bench/import.bench.ts; default 1000000, 0 skips it)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { buildProductionServer } from './production-server.js';
import { die, envNumber, ROOT } from './lib/common.js';
import { adminUrl, databaseUrl, deleteBenchRows, prepareDatabase, scaleLabel, withClient } from './lib/databases.js';
import {
  peakResetPermitted,
  peakRssMb,
  processTree,
  resetPeak,
  type Server,
  sleep,
  startServer,
  stopServer,
} from './lib/processes.js';
import { markdownTable, type Table, textTable } from './lib/tables.js';
import { measureStaffQueue, STAFF_QUEUE_METHOD, type QueueMeasure, staffQueueTable } from './staff-queue.js';

const API_KEY = `bench-${randomBytes(12).toString('hex')}`;
const RUN_ID = randomBytes(4).toString('hex');
const BASE = '/open311/v2';

const SETTINGS = {
  scales: (process.env.BENCH_SCALES || '100000,1000000').split(',').map((item) => {
    const value = Number(item.trim());
    if (!Number.isInteger(value) || value < 1) die(`BENCH_SCALES must be whole numbers, got "${item}"`);
    return value;
  }),
  duration: envNumber('BENCH_DURATION', 10),
  warmup: envNumber('BENCH_WARMUP', 2),
  connections: envNumber('BENCH_CONNECTIONS', 32),
  postConnections: envNumber('BENCH_POST_CONNECTIONS', 64),
  clusterWorkers: envNumber('BENCH_CLUSTER_WORKERS', 2),
  output: path.resolve(ROOT, process.env.BENCH_OUTPUT || 'bench/RESULTS.md'),
  only: process.env.BENCH_SCENARIOS ? new Set(process.env.BENCH_SCENARIOS.split(',').map((id) => id.trim())) : undefined,
};

// ---------------------------------------------------------------------------------------------- scenarios

interface Scenario {
  id: string;
  title: string;
  method: 'GET' | 'POST';
  /** Cycled by every connection. */
  paths: string[];
  connections: number;
  /** Sends If-None-Match with the ETag of a previous answer and expects 304. */
  conditional?: boolean;
  /** A new path for every request (a map that pans): no cache can answer it, and the ceiling cannot replay it. */
  randomPath?: () => string;
  /** The servers that run it (default ours, naive, ceiling). */
  servers?: readonly ServerName[];
  /** A resident-site page: the naive server has no equivalent, so it runs against ours and the ceiling only. */
  site?: boolean;
  /** POST: the created points lie within this many metres of the centre (default 2500, the whole city). */
  postSpread?: number;
}

type ServerName = 'ours' | 'naive' | 'ceiling' | 'express';

const CENTER = { lat: 39.71367, long: -82.59932 };
// A phone-map viewport over downtown Lancaster (~1.6 km × 1 km), longitude first.
const MAP_BBOX = '-82.6085,39.7090,-82.5901,39.7183';
const PAGE_SIZE = 100;
const PAGES = 10;
const METERS_PER_DEGREE_LAT = 111_320;
const METERS_PER_DEGREE_LONG = METERS_PER_DEGREE_LAT * Math.cos((CENTER.lat * Math.PI) / 180);

/** A uniformly random point within `meters` of the city centre. */
function randomPoint(meters: number): { lat: number; long: number } {
  const angle = Math.random() * 2 * Math.PI;
  const distance = meters * Math.sqrt(Math.random());
  return {
    lat: CENTER.lat + (distance * Math.cos(angle)) / METERS_PER_DEGREE_LAT,
    long: CENTER.long + (distance * Math.sin(angle)) / METERS_PER_DEGREE_LONG,
  };
}

/** A 1 km × 1 km map view somewhere over the city, every time another one. */
function randomBoxPath(): string {
  const { lat, long } = randomPoint(2500);
  const halfLat = 500 / METERS_PER_DEGREE_LAT;
  const halfLong = 500 / METERS_PER_DEGREE_LONG;
  const box = [long - halfLong, lat - halfLat, long + halfLong, lat + halfLat].map((value) => value.toFixed(6)).join(',');
  return `${BASE}/requests.json?bbox=${box}&page_size=${PAGE_SIZE}`;
}

/**
 * A map of everything: a 1024 × 768 px view at a random zoom from 12 (the whole city and around) to 16 (a few
 * streets) over a random place of the city, as a console or resident map asks for it after a move.
 */
function randomMapPath(): string {
  const zoom = 12 + Math.floor(Math.random() * 5);
  const { lat, long } = randomPoint(2500);
  const degreesPerPixel = 360 / 256 / 2 ** zoom;
  const halfLong = 512 * degreesPerPixel;
  const halfLat = 384 * degreesPerPixel * Math.cos((lat * Math.PI) / 180);
  const box = [long - halfLong, lat - halfLat, long + halfLong, lat + halfLat].map((value) => value.toFixed(6)).join(',');
  return `/open311/map/clusters.json?zoom=${zoom}&bbox=${box}`;
}

/** "Already reported?" at a random place: 300 m around a point, every time another one. */
function randomPointPath(): string {
  const { lat, long } = randomPoint(2500);
  return `${BASE}/requests.json?lat=${lat.toFixed(6)}&long=${long.toFixed(6)}&radius=300&page_size=${PAGE_SIZE}`;
}

const FIXED_COST_SERVERS: readonly ServerName[] = ['ours', 'naive', 'ceiling', 'express'];

function scenarios(sample: { requestId: string }): Scenario[] {
  const c = SETTINGS.connections;
  const all: Scenario[] = [
    {
      id: 'services',
      title: 'services.json',
      method: 'GET',
      paths: [`${BASE}/services.json`],
      connections: c,
      servers: FIXED_COST_SERVERS,
    },
    {
      id: 'discovery',
      title: 'discovery.json',
      method: 'GET',
      paths: [`${BASE}/discovery.json`],
      connections: c,
      servers: ['ours', 'ceiling', 'express'],
    },
    {
      id: 'request-id',
      title: 'requests/{id}.json',
      method: 'GET',
      paths: [`${BASE}/requests/${sample.requestId}.json`],
      connections: c,
      servers: ['ours', 'ceiling', 'express'],
    },
    {
      id: 'random-box',
      title: `random 1 km box (page_size ${PAGE_SIZE})`,
      method: 'GET',
      paths: [randomBoxPath()],
      randomPath: randomBoxPath,
      connections: c,
      servers: ['ours', 'naive'],
    },
    {
      id: 'random-point',
      title: `random point, radius 300 m (page_size ${PAGE_SIZE})`,
      method: 'GET',
      paths: [randomPointPath()],
      randomPath: randomPointPath,
      connections: c,
      servers: ['ours', 'naive'],
    },
    {
      id: 'map-clusters',
      title: 'map clusters (random view, zoom 12–16)',
      method: 'GET',
      paths: [randomMapPath()],
      randomPath: randomMapPath,
      connections: c,
      servers: ['ours'],
    },
    { id: 'list-json', title: 'requests.json (default)', method: 'GET', paths: [`${BASE}/requests.json`], connections: c },
    { id: 'list-xml', title: 'requests.xml (default)', method: 'GET', paths: [`${BASE}/requests.xml`], connections: c },
    {
      id: 'filtered',
      title: 'service_code + status',
      method: 'GET',
      paths: [`${BASE}/requests.json?service_code=POTHOLE&status=open`],
      connections: c,
    },
    {
      id: 'radius',
      title: 'lat/long/radius 200 m',
      method: 'GET',
      paths: [`${BASE}/requests.json?lat=${CENTER.lat}&long=${CENTER.long}&radius=200`],
      connections: c,
    },
    { id: 'bbox', title: 'map bbox', method: 'GET', paths: [`${BASE}/requests.json?bbox=${MAP_BBOX}`], connections: c },
    {
      id: 'paging',
      title: `paging (page 1–${PAGES}, page_size ${PAGE_SIZE})`,
      method: 'GET',
      paths: Array.from({ length: PAGES }, (_, index) => `${BASE}/requests.json?page=${index + 1}&page_size=${PAGE_SIZE}`),
      connections: c,
    },
    {
      id: 'conditional',
      title: 'conditional GET (304)',
      method: 'GET',
      paths: [`${BASE}/requests.json`],
      connections: c,
      conditional: true,
    },
    // The resident site's pages (server time of the HTML, no assets): the report's first step, the public map
    // list over the downtown box, the city numbers (the staff trends' SQL over 90 days) and a track page.
    { id: 'site-report', title: 'site /report (where step)', method: 'GET', paths: ['/report'], connections: c, site: true },
    {
      id: 'site-map',
      title: 'site /map (list, map bbox)',
      method: 'GET',
      paths: [`/map?bbox=${MAP_BBOX}`],
      connections: c,
      site: true,
    },
    { id: 'site-numbers', title: 'site /numbers', method: 'GET', paths: ['/numbers'], connections: c, site: true },
    {
      id: 'site-track',
      title: 'site /requests/{id} (track page)',
      method: 'GET',
      paths: [`/requests/${sample.requestId}`],
      connections: c,
      site: true,
    },
    {
      id: 'post',
      title: `POST requests.json (c=${SETTINGS.postConnections})`,
      method: 'POST',
      paths: [`${BASE}/requests.json`],
      connections: SETTINGS.postConnections,
    },
    // Every create within 30 m of the centre, the densest spot: the duplicate probe meets the most open
    // requests of the same service there (the seeded ones and the run's own), so this is where its cost would show.
    {
      id: 'post-dense',
      title: `POST at the densest spot (30 m, c=${SETTINGS.postConnections})`,
      method: 'POST',
      paths: [`${BASE}/requests.json`],
      connections: SETTINGS.postConnections,
      servers: ['ours'],
      postSpread: 30,
    },
  ];
  return all.filter((scenario) => !SETTINGS.only || SETTINGS.only.has(scenario.id));
}

/** The description prefix of POSTed requests: unique per run, server and phase, so a prefix LIKE counts them. */
const postTag = (server: string, phase: 'M' | 'W' | 'C'): string => `bm-${RUN_ID}-${server}-${phase}`;

function postBody(tag: string, n: number, spread = 2500): string {
  const angle = Math.random() * 2 * Math.PI;
  const meters = spread * Math.sqrt(Math.random());
  const lat = CENTER.lat + (meters * Math.cos(angle)) / 111_320;
  const long = CENTER.long + (meters * Math.sin(angle)) / (111_320 * Math.cos((CENTER.lat * Math.PI) / 180));
  const sizes = ['SMALL', 'MEDIUM', 'LARGE'];
  return new URLSearchParams([
    ['api_key', API_KEY],
    ['service_code', 'POTHOLE'],
    ['lat', lat.toFixed(6)],
    ['long', long.toFixed(6)],
    ['address_string', `${100 + (n % 900)} E Main St`],
    ['description', `${tag} #${n}: deep pothole in the travel lane`],
    ['email', `bench${n}@example.com`],
    ['attribute[SIZE]', sizes[n % 3]!],
    ['attribute[LANES][]', 'CURB'],
    ['attribute[LANES][]', 'BIKE'],
    ['attribute[DEPTH]', String(1 + (n % 9))],
  ]).toString();
}

// ---------------------------------------------------------------------------------------------- measuring

interface Measure {
  scale: number;
  scenario: string;
  title: string;
  server: string;
  rps: number;
  p50: number;
  p99: number;
  rssMb: number;
  /** Items in a sample answer (JSON array length, <request> elements), or a note. */
  rows: string;
  /** Answers that were not the expected status, plus connection errors and timeouts. */
  errors: number;
  /** Conditional GET: 304 answers; POST: 200 answers. */
  expected: number;
  total: number;
  post?: { acknowledged: number; stored: number; lost: number };
}

function countItems(body: string, contentType: string): string {
  if (contentType.includes('json')) {
    try {
      const value = JSON.parse(body) as unknown;
      if (Array.isArray(value)) return String(value.length);
      // A GeoJSON FeatureCollection (the map's clusters): its features.
      const features = (value as { features?: unknown } | null)?.features;
      return Array.isArray(features) ? String(features.length) : '1';
    } catch {
      return '?';
    }
  }
  if (contentType.includes('xml')) {
    const requests = body.match(/<request>/g)?.length ?? 0;
    return String(requests || (body.match(/<service>/g)?.length ?? 0));
  }
  return '?';
}

async function sample(server: Server, scenario: Scenario): Promise<{ rows: string; etag: string | undefined }> {
  if (scenario.method === 'POST') return { rows: '—', etag: undefined };
  const samplePath = scenario.randomPath ? scenario.randomPath() : scenario.paths[0];
  const response = await fetch(`${server.base}${samplePath}`);
  const body = await response.text();
  if (response.status !== 200) {
    // A new place on every request: one that fails (a map view past the statement timeout at 10M) is measured
    // like the others, its failures counted as errors, rather than ending the run.
    if (scenario.randomPath) return { rows: `— (a sample answered ${response.status})`, etag: undefined };
    throw new Error(`${server.name} answered ${response.status} to ${samplePath}: ${body.slice(0, 300)}`);
  }
  return { rows: countItems(body, response.headers.get('content-type') ?? ''), etag: response.headers.get('etag') ?? undefined };
}

async function load(
  server: Server,
  scenario: Scenario,
  seconds: number,
  options: { etag?: string | undefined; tag?: string },
): Promise<autocannon.Result> {
  let n = 0;
  const requests: autocannon.Request[] =
    scenario.method === 'POST'
      ? [
          {
            method: 'POST',
            path: scenario.paths[0]!,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            setupRequest: (request) => ({ ...request, body: postBody(options.tag!, (n += 1), scenario.postSpread) }),
          },
        ]
      : scenario.randomPath
        ? [{ method: 'GET', setupRequest: (request) => ({ ...request, path: scenario.randomPath!() }) }]
        : scenario.paths.map((requestPath) => ({
            method: 'GET',
            path: requestPath,
            ...(options.etag ? { headers: { 'if-none-match': options.etag } } : {}),
          }));
  return autocannon({
    url: server.base,
    connections: scenario.connections,
    duration: seconds,
    timeout: 30,
    requests,
  });
}

const statusCount = (result: autocannon.Result, status: number): number =>
  result.statusCodeStats?.[String(status) as `${number}`]?.count ?? 0;

/**
 * Slow queries outlive the measured run (a pool keeps sending queued ones after the load generator hangs up;
 * at 10M the map views run until the statement timeout) and would load PostgreSQL during the next run: wait
 * until the bench database runs no query but this one. They are not cancelled: cancelling the naive server's
 * parallel bbox query at 10M requests crashed a PostgreSQL 15 backend (a malloc assertion), which restarts
 * the whole cluster.
 */
async function settleQueries(dbUrl: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  let quiet = 0;
  while (quiet < 3 && Date.now() < deadline) {
    const active = await withClient(dbUrl, async (client) => {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      return rows[0]?.n ?? 0;
    });
    quiet = active === 0 ? quiet + 1 : 0;
    await sleep(quiet === 0 ? 500 : 100);
  }
}

async function measure(scale: number, server: Server, scenario: Scenario, dbUrl: string | undefined): Promise<Measure> {
  const { rows, etag } = await sample(server, scenario);
  if (scenario.conditional && !etag) throw new Error(`${server.name} sent no ETag for ${scenario.paths[0]}`);
  const serverKey = server.name.replace(/[^a-z0-9]/gi, '');
  if (SETTINGS.warmup > 0)
    await load(server, scenario, SETTINGS.warmup, {
      etag: scenario.conditional ? etag : undefined,
      tag: postTag(serverKey, 'W'),
    });
  resetPeak(server.process.pid!);
  const tag = postTag(serverKey, 'M');
  const result = await load(server, scenario, SETTINGS.duration, { etag: scenario.conditional ? etag : undefined, tag });
  const rssMb = peakRssMb(server.process.pid!);
  if (dbUrl) await settleQueries(dbUrl);
  const expectedStatus = scenario.conditional ? 304 : 200;
  const expected = statusCount(result, expectedStatus);
  const total = result.requests.total;
  const measured: Measure = {
    scale,
    scenario: scenario.id,
    title: scenario.title,
    server: server.name,
    rps: total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMb,
    rows: scenario.conditional ? `304 × ${expected}` : rows,
    errors: total - expected + result.errors + result.timeouts,
    expected,
    total,
  };
  if (scenario.method === 'POST' && dbUrl) {
    // Every 200 is a stored request: count this run's rows by their unique description prefix.
    await sleep(200);
    const stored = await withClient(dbUrl, async (client) => {
      const { rows: counted } = await client.query(`SELECT count(*)::int AS n FROM service_requests WHERE description LIKE $1`, [
        `${tag} #%`,
      ]);
      return counted[0].n as number;
    });
    measured.post = { acknowledged: expected, stored, lost: Math.max(0, expected - stored) };
  }
  const extra = measured.post
    ? `  acknowledged ${measured.post.acknowledged}, stored ${measured.post.stored}, lost ${measured.post.lost}`
    : '';
  process.stderr.write(
    `  ${scenario.id.padEnd(12)} ${server.name.padEnd(13)} ${measured.rps.toFixed(0).padStart(7)} req/s  p50 ${fmt(measured.p50)} ms  p99 ${fmt(measured.p99)} ms  RSS ${measured.rssMb.toFixed(0)} MB  rows ${measured.rows}  errors ${measured.errors}${extra}\n`,
  );
  return measured;
}

/** Headers a reference server must send as ours did (not those of the connection or the message framing). */
function replayedHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
  });
  return headers;
}

/**
 * Registers on the reference servers the answer ours gives to each URL of the scenario, just before it runs: the
 * ceiling gets the bytes and content type, the Express reference the bytes and every header.
 */
async function captureForReferences(
  ours: Server,
  references: { ceiling?: Server; express?: Server },
  scenario: Scenario,
): Promise<void> {
  if (scenario.randomPath || (!references.ceiling && !references.express)) return;
  const register = async (method: string, url: string, response: Response): Promise<void> => {
    const body = Buffer.from(await response.arrayBuffer());
    if (references.ceiling) {
      const put = await fetch(`${references.ceiling.base}/__ceiling`, {
        method: 'PUT',
        body: JSON.stringify({
          method,
          url,
          status: response.status,
          contentType: response.headers.get('content-type') ?? 'application/octet-stream',
          etag: response.headers.get('etag') ?? undefined,
          body: body.toString('base64'),
        }),
      });
      if (put.status !== 204) throw new Error(`the ceiling server refused the answer for ${url}`);
    }
    if (references.express) {
      const put = await fetch(`${references.express.base}/__reference`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          method,
          url,
          status: response.status,
          headers: replayedHeaders(response),
          body: body.toString('base64'),
        }),
      });
      if (put.status !== 204) throw new Error(`the Express reference refused the answer for ${url}`);
    }
  };
  for (const url of scenario.paths) {
    if (scenario.method === 'POST') {
      const response = await fetch(`${ours.base}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: postBody(postTag('capture', 'C'), 0),
      });
      if (response.status !== 200)
        throw new Error(`ours answered ${response.status} to the captured POST: ${await response.text()}`);
      await register('POST', url, response);
    } else {
      const response = await fetch(`${ours.base}${url}`);
      if (response.status !== 200) throw new Error(`ours answered ${response.status} to ${url}: ${await response.text()}`);
      await register('GET', url, response);
    }
  }
}

// ---------------------------------------------------------------------------------------------- a scale

interface ScaleRun {
  scale: number;
  database: string;
  seededSeconds: number | undefined;
  measures: Measure[];
  cluster: Measure[];
  clusterNote: string;
  /** The console's queue page (bench/staff-queue.ts). */
  staffQueue: QueueMeasure[];
}

/** `node` arguments of our built server (built once per run). */
let oursArguments: string[] | undefined;

async function runScale(admin: URL, scale: number): Promise<ScaleRun> {
  process.stderr.write(`\n== ${scale.toLocaleString('en-US')} requests\n`);
  const { url, name, seededSeconds } = await prepareDatabase(admin, scale);
  const oursEnv = {
    DATABASE_URL: url,
    RATE_LIMIT_PER_KEY: '0',
    RATE_LIMIT_PER_ADDRESS: '0',
    LOG_LEVEL: 'warn',
    OPEN311_BOOTSTRAP_API_KEY: API_KEY,
    SEED_DEMO: 'false',
    DATA_DIR: path.join(os.tmpdir(), `open311-bench-${RUN_ID}`),
  };
  oursArguments ??= buildProductionServer();
  const ours = await startServer('ours', oursArguments, oursEnv, '/healthz');
  const naive = await startServer(
    'naive',
    ['--import', 'tsx', 'bench/naive-server.ts'],
    { DATABASE_URL: url },
    `${BASE}/services.json`,
  );
  const ceiling = await startServer('ceiling', ['--import', 'tsx', 'bench/ceiling-server.ts'], {}, '/__ready');
  const express = await startServer('express', ['--import', 'tsx', 'bench/express-reference-server.ts'], {}, '/__ready');
  const byName: Record<ServerName, Server> = { ours, naive, ceiling, express };
  const requestId = await withClient(url, async (client) => {
    const { rows } = await client.query(
      `SELECT id::text AS id FROM service_requests WHERE is_public AND jurisdiction_id = (SELECT jurisdiction_id FROM jurisdictions LIMIT 1) ORDER BY id DESC LIMIT 1`,
    );
    return String(rows[0]?.id ?? '1');
  });
  const measures: Measure[] = [];
  let staffQueue: QueueMeasure[] = [];
  const cleanup = async (): Promise<void> => {
    await withClient(url, deleteBenchRows);
  };
  try {
    for (const scenario of scenarios({ requestId })) {
      const names: readonly ServerName[] =
        scenario.servers ?? (scenario.site ? ['ours', 'ceiling'] : ['ours', 'naive', 'ceiling']);
      const servers = names.map((name) => byName[name]);
      await captureForReferences(
        ours,
        {
          ...(servers.includes(ceiling) ? { ceiling } : {}),
          ...(servers.includes(express) ? { express } : {}),
        },
        scenario,
      );
      if (scenario.method === 'POST') await cleanup();
      for (const server of servers) {
        measures.push(await measure(scale, server, scenario, server === ceiling || server === express ? undefined : url));
        // Each server's GETs see the same data: POSTed rows are removed once counted.
        if (scenario.method === 'POST') await cleanup();
      }
    }
    if (!SETTINGS.only || SETTINGS.only.has('staff-queue')) staffQueue = await measureStaffQueue(ours.base, url, scale);
  } finally {
    await Promise.all([stopServer(ours), stopServer(naive), stopServer(ceiling), stopServer(express)]);
  }

  const cluster: Measure[] = [];
  let clusterNote = 'not run (BENCH_CLUSTER_WORKERS=0)';
  if (SETTINGS.clusterWorkers > 0) {
    const workers = SETTINGS.clusterWorkers;
    const clustered = await startServer(
      `ours ×${workers}`,
      oursArguments,
      { ...oursEnv, WEB_CONCURRENCY: String(workers) },
      '/healthz',
    );
    try {
      // Workers may still be starting when the primary answers: give them a moment.
      await sleep(3000);
      const members = processTree(clustered.process.pid!).length;
      clusterNote =
        members > 1
          ? `WEB_CONCURRENCY=${workers}: ${members - 1} worker process(es) under the primary; RSS is the sum over all of them`
          : `WEB_CONCURRENCY=${workers} had no effect: the server ran as a single process (cluster mode not implemented in src/main.ts)`;
      process.stderr.write(`  cluster: ${clusterNote}\n`);
      for (const scenario of scenarios({ requestId }).filter((item) => item.id === 'list-json' || item.id === 'post')) {
        cluster.push(await measure(scale, clustered, scenario, url));
        if (scenario.method === 'POST') await cleanup();
      }
    } finally {
      await stopServer(clustered);
    }
  }
  await withClient(url, async (client) => {
    await deleteBenchRows(client);
    await client.query('VACUUM ANALYZE service_requests');
  });
  return { scale, database: name, seededSeconds, measures, cluster, clusterNote, staffQueue };
}

// ---------------------------------------------------------------------------------------------- report

const fmt = (value: number): string =>
  Number.isInteger(value) ? String(value) : value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);

function resultTable(run: ScaleRun): Table {
  const header = [
    'scenario',
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'peak RSS MB',
    '× naive',
    '× ceiling',
    '× express',
    'rows',
    'errors',
  ];
  const rows: string[][] = [];
  const byScenario = new Map<string, Measure[]>();
  for (const item of run.measures) byScenario.set(item.scenario, [...(byScenario.get(item.scenario) ?? []), item]);
  for (const items of byScenario.values()) {
    const naive = items.find((item) => item.server === 'naive');
    const ceiling = items.find((item) => item.server === 'ceiling');
    const express = items.find((item) => item.server === 'express');
    for (const item of items) {
      rows.push([
        item.server === 'ours' ? item.title : '',
        item.server,
        item.rps.toFixed(0),
        fmt(item.p50),
        fmt(item.p99),
        item.rssMb.toFixed(0),
        naive && naive.rps > 0 ? `${(item.rps / naive.rps).toFixed(2)}` : '—',
        ceiling && ceiling.rps > 0 ? `${(item.rps / ceiling.rps).toFixed(2)}` : '—',
        express && express.rps > 0 ? `${(item.rps / express.rps).toFixed(2)}` : '—',
        item.rows,
        String(item.errors),
      ]);
    }
  }
  return { header, rows };
}

function clusterTable(run: ScaleRun): Table {
  const header = ['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', '× single process', 'errors'];
  const rows = run.cluster.map((item) => {
    const single = run.measures.find((other) => other.scenario === item.scenario && other.server === 'ours');
    return [
      item.title,
      item.server,
      item.rps.toFixed(0),
      fmt(item.p50),
      fmt(item.p99),
      item.rssMb.toFixed(0),
      single && single.rps > 0 ? (item.rps / single.rps).toFixed(2) : '—',
      String(item.errors),
    ];
  });
  return { header, rows };
}

function postTable(runs: ScaleRun[]): Table {
  const header = ['requests in table', 'scenario', 'server', 'acknowledged (200)', 'stored', 'lost'];
  const rows: string[][] = [];
  for (const run of runs) {
    for (const item of [...run.measures, ...run.cluster]) {
      if (!item.post) continue;
      rows.push([
        run.scale.toLocaleString('en-US'),
        item.scenario,
        item.server,
        String(item.post.acknowledged),
        String(item.post.stored),
        String(item.post.lost),
      ]);
    }
  }
  return { header, rows };
}

function scaleTable(runs: ScaleRun[]): Table | undefined {
  if (runs.length < 2) return undefined;
  const sorted = [...runs].sort((a, b) => a.scale - b.scale);
  const small = sorted[0]!;
  const large = sorted[sorted.length - 1]!;
  const header = [
    'scenario',
    'server',
    `p50 ${scaleLabel(large.scale)} / ${scaleLabel(small.scale)}`,
    `p99 ${scaleLabel(large.scale)} / ${scaleLabel(small.scale)}`,
    `req/s ${scaleLabel(small.scale)} / ${scaleLabel(large.scale)}`,
  ];
  const rows: string[][] = [];
  for (const scenario of ['list-json', 'radius']) {
    for (const server of ['ours', 'naive']) {
      const a = small.measures.find((item) => item.scenario === scenario && item.server === server);
      const b = large.measures.find((item) => item.scenario === scenario && item.server === server);
      if (!a || !b) continue;
      rows.push([
        a.title,
        server,
        (b.p50 / a.p50).toFixed(2),
        (b.p99 / a.p99).toFixed(2),
        b.rps > 0 ? (a.rps / b.rps).toFixed(2) : '∞',
      ]);
    }
  }
  return { header, rows };
}

/** The targets of issue #16, each with what was measured in this run, its ratio, and met / not met. */
function targetTable(runs: ScaleRun[]): Table {
  const header = ['requests', 'target', 'measured', 'ratio', 'goal', 'result'];
  const rows: string[][] = [];
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
  const find = (run: ScaleRun, scenario: string, server: string): Measure | undefined =>
    run.measures.find((item) => item.scenario === scenario && item.server === server);
  for (const run of runs) {
    const label = scaleLabel(run.scale);
    const services = find(run, 'services', 'ours');
    for (const id of ['random-box', 'random-point']) {
      const ours = find(run, id, 'ours');
      const naive = find(run, id, 'naive');
      if (!ours) continue;
      const name = id === 'random-box' ? '1. uncached random box' : '1. uncached random point';
      if (services && services.rps > 0) {
        const ratio = ours.rps / services.rps;
        rows.push([
          label,
          `${name} vs services.json`,
          `${ours.rps.toFixed(0)} / ${services.rps.toFixed(0)} req/s`,
          ratio.toFixed(2),
          '≥ 0.30',
          verdict(ratio >= 0.3),
        ]);
      }
      if (naive && naive.rps > 0) {
        const ratio = ours.rps / naive.rps;
        rows.push([
          label,
          `${name} vs naive`,
          `${ours.rps.toFixed(0)} / ${naive.rps.toFixed(0)} req/s`,
          ratio.toFixed(2),
          '≥ 10',
          verdict(ratio >= 10),
        ]);
      }
      rows.push([label, `${name} p99`, `${fmt(ours.p99)} ms`, '—', '≤ 100 ms (at 1M)', verdict(ours.p99 <= 100)]);
    }
    for (const id of ['services', 'discovery', 'request-id']) {
      const ours = find(run, id, 'ours');
      const express = find(run, id, 'express');
      if (!ours || !express || express.rps <= 0) continue;
      const ratio = ours.rps / express.rps;
      rows.push([
        label,
        `2. fixed cost: ${ours.title} vs bare Express`,
        `${ours.rps.toFixed(0)} / ${express.rps.toFixed(0)} req/s`,
        ratio.toFixed(2),
        '≥ 0.70',
        verdict(ratio >= 0.7),
      ]);
    }
    const post = find(run, 'post', 'ours');
    if (post)
      rows.push([label, '3. creates', `${post.rps.toFixed(0)} req/s`, '—', '≥ 1000/s (at 10M)', verdict(post.rps >= 1000)]);
    const radius = find(run, 'radius', 'ours');
    if (radius) rows.push([label, '3. radius 200 m p99', `${fmt(radius.p99)} ms`, '—', '≤ 100 ms', verdict(radius.p99 <= 100)]);
    // The bounded duplicate probe: creates where the most open requests of the same service lie close by
    // cost what creates anywhere cost.
    const dense = find(run, 'post-dense', 'ours');
    if (dense) {
      rows.push([
        label,
        '3. creates at the densest spot',
        `${dense.rps.toFixed(0)} req/s`,
        '—',
        '≥ 1000/s (at 10M)',
        verdict(dense.rps >= 1000),
      ]);
      if (post && post.rps > 0) {
        const ratio = dense.rps / post.rps;
        rows.push([
          label,
          '3. densest-spot creates vs creates over the city',
          `${dense.rps.toFixed(0)} / ${post.rps.toFixed(0)} req/s`,
          ratio.toFixed(2),
          '≥ 0.80 (density does not cost)',
          verdict(ratio >= 0.8),
        ]);
      }
    }
    const map = find(run, 'map-clusters', 'ours');
    if (map) {
      rows.push([
        label,
        '4. map of everything (clusters, random view, zoom 12–16)',
        `${map.rps.toFixed(0)} req/s, p99 ${fmt(map.p99)} ms, ${map.errors} errors`,
        services && services.rps > 0 ? (map.rps / services.rps).toFixed(2) : '—',
        'a bench row at 1M, no errors',
        // A run in which no view was answered within the run is no row at all.
        run.scale === 1_000_000
          ? verdict(map.errors === 0 && map.rps > 0)
          : `${verdict(map.errors === 0 && map.rps > 0)} (at ${label})`,
      ]);
    } else {
      rows.push([
        label,
        '4. map of everything (clusters)',
        'not run (BENCH_SCENARIOS)',
        '—',
        'a bench row at 1M',
        'not measured',
      ]);
    }
  }
  const million = runs.find((run) => run.scale === 1_000_000);
  const tenMillion = runs.find((run) => run.scale === 10_000_000);
  for (const id of ['random-box', 'random-point']) {
    const a = million?.measures.find((item) => item.scenario === id && item.server === 'ours');
    const b = tenMillion?.measures.find((item) => item.scenario === id && item.server === 'ours');
    const name = `1. ${id === 'random-box' ? 'random box' : 'random point'}: 10M within 2× of 1M`;
    if (a && b && b.rps > 0) {
      const ratio = a.rps / b.rps;
      rows.push([
        '10m / 1m',
        name,
        `${a.rps.toFixed(0)} / ${b.rps.toFixed(0)} req/s`,
        ratio.toFixed(2),
        '≤ 2',
        verdict(ratio <= 2),
      ]);
    } else {
      rows.push(['10m / 1m', name, 'not measured (needs BENCH_SCALES with 1000000 and 10000000)', '—', '≤ 2', 'not measured']);
    }
  }
  return { header, rows };
}

async function machine(admin: URL, database: string): Promise<string[]> {
  const versions = await withClient(databaseUrl(admin, database), async (client) => {
    const { rows } = await client.query(`SELECT current_setting('server_version') AS pg, postgis_lib_version() AS postgis`);
    return rows[0] as { pg: string; postgis: string };
  });
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores (load average at the end of the run ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')})`,
    `- Memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node ${process.version}, PostgreSQL ${versions.pg}, PostGIS ${versions.postgis}`,
    `- Load generator: autocannon ${autocannonVersion()} in the same process as the harness, on the same machine as the servers and PostgreSQL`,
  ];
}

function autocannonVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------------------------------------- main

/** The CSV import row (bench/import.bench.ts, IMPORT_BENCH_ROWS; 0 skips it), in a process of its own. */
function importTable(admin: URL): Table | undefined {
  if (process.env.IMPORT_BENCH_ROWS === '0') return undefined;
  const output = execFileSync(process.execPath, ['--import', 'tsx', 'bench/import.bench.ts', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: admin.toString() },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(output.trim().split('\n').pop()!) as Table;
}

async function main(): Promise<void> {
  const admin = adminUrl();
  const loadAtStart = os.loadavg();
  const started = new Date();
  const runs: ScaleRun[] = [];
  for (const scale of SETTINGS.scales) runs.push(await runScale(admin, scale));

  const out: string[] = [];
  const md: string[] = [];
  md.push('# GeoReport benchmark results', '');
  md.push(
    `Run ${started.toISOString()} (\`npm run bench\`, BENCH_SCALES=${SETTINGS.scales.join(',')}), written by bench/georeport.bench.ts.`,
    '',
  );
  md.push('## Machine', '', ...(await machine(admin, runs[0]!.database)), '');
  md.push(
    '## Method',
    '',
    `Each scenario runs ${SETTINGS.duration} s with autocannon after a ${SETTINGS.warmup} s warm-up, at ${SETTINGS.connections} connections (POST: ${SETTINGS.postConnections}), ` +
      'against three servers on the same PostgreSQL + PostGIS database, one after the other, scenario by scenario:',
    '',
    `- **ours**: the built server as \`npm start\` runs it (\`node ${(oursArguments ?? []).join(' ')}\`; one process, rate limits off, LOG_LEVEL=warn);`,
    '- **naive**: `bench/naive-server.ts`, express + pg + `JSON.stringify` of the selected rows (xml2js for XML), `ST_Distance(...) <= r` for the radius, `ST_X/ST_Y BETWEEN` for the bbox, OFFSET paging, a plain INSERT for POST: what a typical server does;',
    '- **ceiling**: `bench/ceiling-server.ts`, bare `node:http` replying the exact bytes ours returned for that URL (captured just before the scenario).',
    '- **express**: `bench/express-reference-server.ts`, a bare Express app replying the same bytes with the same headers ours sent (fixed-cost scenarios only): `× express` is what our middleware stack costs on top of Express.',
    '- **random box / random point**: a new 1 km box or 300 m circle somewhere over the city on every request (page_size 100, paging headers with the exact `X-Result-Count`): no cache can answer them; ours and naive only.',
    '- naive and ceiling run from TypeScript through tsx, whose loader thread adds about 35 MB to their RSS; ours runs compiled.',
    '',
    "`× naive` and `× ceiling` are req/s divided by the naive server's and by the ceiling's in the same scenario: ratios that hold on another machine, unlike the raw numbers. " +
      '`rows` is the number of items in one answer; `errors` counts answers other than the expected status (304 for the conditional GET, 200 otherwise), connection errors and timeouts. ' +
      `Peak RSS is VmHWM of the server's processes${peakResetPermitted() ? ', reset before each measured run' : ' over their lifetime (resetting it was not permitted)'}.`,
    '',
    `The machine is shared (load average ${loadAtStart.map((value) => value.toFixed(2)).join(' ')} at start on ${os.cpus().length} cores): raw numbers are noisy, ratios less so.`,
    '',
  );
  for (const run of runs) {
    const title = `${run.scale.toLocaleString('en-US')} requests (database ${run.database}${run.seededSeconds === undefined ? ', reused' : `, seeded in ${run.seededSeconds.toFixed(0)} s`})`;
    out.push('', `== ${title}`, textTable(resultTable(run)));
    md.push(`## ${title}`, '', markdownTable(resultTable(run)), '');
    out.push('', `-- cluster: ${run.clusterNote}`);
    md.push(`### Cluster mode`, '', run.clusterNote + '.', '');
    if (run.cluster.length) {
      out.push(textTable(clusterTable(run)));
      md.push(markdownTable(clusterTable(run)), '');
    }
  }
  const posts = postTable(runs);
  out.push('', '== POST: every acknowledged request stored?', textTable(posts));
  md.push(
    '## POST creates: every acknowledged request stored?',
    '',
    "One SQL count of the rows carrying the run's unique description prefix after each POST run; lost = acknowledged − stored (requests cut off in flight at the end may be stored without being acknowledged).",
    '',
    markdownTable(posts),
    '',
  );
  const scale = scaleTable(runs);
  if (scale) {
    out.push('', '== Scale: does cost grow with the table?', textTable(scale));
    md.push(
      '## Scale',
      '',
      'Latency at the largest table over latency at the smallest (1.00: cost does not grow with the table), and throughput the other way round.',
      '',
      markdownTable(scale),
      '',
    );
  }
  const targets = targetTable(runs);
  out.push('', '== Targets of issue #16 (ratios measured in this run)', textTable(targets));
  md.push(
    '## Targets (issue #16)',
    '',
    'Each target with what this run measured and whether it is met. Ratios compare servers measured in the same run, one after the other.',
    '',
    markdownTable(targets),
    '',
  );
  const queue = staffQueueTable(runs.flatMap((run) => run.staffQueue));
  out.push('', '== Staff console: the queue page (issue #13)', textTable(queue));
  md.push('## Staff console queue page (issue #13)', '', STAFF_QUEUE_METHOD, '', markdownTable(queue), '');
  const imported = importTable(admin);
  if (imported) {
    out.push('', '== CSV import (issue #17)', textTable(imported));
    md.push(
      '## CSV import (issue #17)',
      '',
      'bench/import.bench.ts, run as a child process on the same PostgreSQL server.',
      '',
      markdownTable(imported),
      '',
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  fs.mkdirSync(path.dirname(SETTINGS.output), { recursive: true });
  fs.writeFileSync(SETTINGS.output, `${md.join('\n')}\n`);
  process.stderr.write(`\nWrote ${path.relative(process.cwd(), SETTINGS.output)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
