// The staff console's queue page in `npm run bench` (issue #13: "a queue page of 50 rows answered in ≤ 50 ms
// server time at 1M requests"). Called by bench/georeport.bench.ts for each scale with our running server:
// signs in as a person would (a one-time link made with the staff-accounts domain functions, then the link's
// POST, which sets the session cookie), then fetches 50-row queue pages one after the other on one
// connection, so each answer's time is the server's (plus loopback) and never a queue behind other requests.
//
// Standalone, against a server already running on a PostgreSQL store (no bench database needed):
//   BENCH_QUEUE_SERVER=http://127.0.0.1:8080 DATABASE_URL=postgres://… npx tsx bench/staff-queue.ts
// BENCH_QUEUE_REQUESTS sets how many pages each view is fetched (default 200, after 20 unmeasured).
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createAccount, issueSignInLink } from '../src/domain/staff-accounts.js';
import { openDb } from '../src/store/db.js';

/** The target of issue #13 (milliseconds of server time for a 50-row queue page at 1,000,000 requests). */
export const QUEUE_TARGET_MS = 50;
const TARGET_SCALE = 1_000_000;

/** The views measured: what a desk opens first, a worked view, and a group's view. */
const VIEWS: ReadonlyArray<{ id: string; title: string; query: string }> = [
  { id: 'default', title: 'queue, newest first (the default view)', query: '' },
  { id: 'open-due', title: 'open requests, soonest due first', query: 'status=open&sort=expected_datetime' },
  { id: 'group', title: 'one service group, open', query: 'group=Streets&status=open' },
];

export interface QueueMeasure {
  scale: number;
  view: string;
  path: string;
  rows: number;
  p50: number;
  p95: number;
  max: number;
  requests: number;
  errors: number;
}

const percentile = (sorted: number[], share: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;

/** A session cookie of a new admin account on the server at `base` whose store is `databaseUrl`. */
async function signIn(base: string, databaseUrl: string): Promise<string> {
  const db = openDb({ databaseUrl, dataDirectory: undefined });
  let linkUrl: string;
  try {
    const stamp = randomBytes(4).toString('hex');
    const account = await createAccount(db, {
      email: `bench.${stamp}@bench.invalid`,
      display_name: `Bench ${stamp}`,
      role: 'admin',
    });
    linkUrl = (await issueSignInLink(db, account, 'bench', base)).url;
  } finally {
    await db.destroy();
  }
  const response = await fetch(new URL(new URL(linkUrl).pathname, base), { method: 'POST', redirect: 'manual' });
  await response.arrayBuffer();
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .join('; ');
  if (response.status !== 303 || cookie === '') throw new Error(`staff sign-in by link answered ${response.status}`);
  return cookie;
}

/** Fetches each view `count` times in a row on one connection and returns the answer times. */
export async function measureStaffQueue(
  base: string,
  databaseUrl: string,
  scale: number,
  count = Number(process.env.BENCH_QUEUE_REQUESTS || 200),
): Promise<QueueMeasure[]> {
  const cookie = await signIn(base, databaseUrl);
  const measures: QueueMeasure[] = [];
  for (const view of VIEWS) {
    const path = `/staff/?${view.query ? `${view.query}&` : ''}page_size=50`;
    const url = `${base}${path}`;
    const times: number[] = [];
    let errors = 0;
    let rows = 0;
    for (let index = 0; index < count + 20; index += 1) {
      const started = process.hrtime.bigint();
      const response = await fetch(url, { headers: { Cookie: cookie } });
      const body = await response.text();
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (response.status !== 200 || !body.includes('data-queue-table')) errors += 1;
      if (index === 0) rows = body.match(/data-request-row/g)?.length ?? 0;
      // The first answers warm the pool, the plans and the JIT; they are not counted.
      if (index >= 20) times.push(elapsed);
    }
    times.sort((a, b) => a - b);
    measures.push({
      scale,
      view: view.title,
      path,
      rows,
      p50: percentile(times, 0.5),
      p95: percentile(times, 0.95),
      max: times.at(-1) ?? Number.NaN,
      requests: times.length,
      errors,
    });
    process.stderr.write(`  staff queue ${view.id}: p50 ${percentile(times, 0.5).toFixed(1)} ms, ${rows} rows\n`);
  }
  return measures;
}

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '—');

/** The table of every measured view at every scale, the target judged on the median at 1,000,000. */
export function staffQueueTable(measures: QueueMeasure[]): { header: string[]; rows: string[][] } {
  return {
    header: ['requests', 'view (50 rows, signed in)', 'rows', 'p50 ms', 'p95 ms', 'max ms', 'errors', 'target'],
    rows: measures.map((measure) => [
      measure.scale.toLocaleString('en-US'),
      `${measure.view} \`${measure.path}\``,
      String(measure.rows),
      ms(measure.p50),
      ms(measure.p95),
      ms(measure.max),
      String(measure.errors),
      measure.scale === TARGET_SCALE
        ? `≤ ${QUEUE_TARGET_MS} ms: ${measure.errors === 0 && measure.p50 <= QUEUE_TARGET_MS ? 'met' : 'NOT MET'}`
        : `≤ ${QUEUE_TARGET_MS} ms at 1M: ${measure.p50 <= QUEUE_TARGET_MS ? 'within here' : 'over here'} (not judged)`,
    ]),
  };
}

export const STAFF_QUEUE_METHOD =
  'Our server only (the naive and ceiling servers have no console). Signed in as an admin by a one-time link; each view fetched ' +
  '20 times unmeasured, then one request at a time on one connection (no concurrency), so the time of an answer is the server time ' +
  'of the page plus loopback: every query of the page (the queue and its count, services, agencies, people, templates, saved views) ' +
  'and its rendering. The target is judged on the median at 1,000,000 requests.';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const base = process.env.BENCH_QUEUE_SERVER;
  const databaseUrl = process.env.DATABASE_URL;
  if (!base || !databaseUrl) {
    process.stderr.write('Set BENCH_QUEUE_SERVER (a running server) and DATABASE_URL (its PostgreSQL store).\n');
    process.exit(2);
  }
  const measures = await measureStaffQueue(base, databaseUrl, Number(process.env.BENCH_QUEUE_SCALE || 0));
  const table = staffQueueTable(measures);
  process.stdout.write(`${[table.header, ...table.rows].map((row) => row.join(' | ')).join('\n')}\n`);
  process.exit(0);
}
