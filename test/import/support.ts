// A source for the import tests: a second jurisdiction in the test store, served by a live instance of this
// server on a loopback port, behind a proxy that counts calls and can act as a source that caps its answers
// and knows no paging. Targets are further jurisdictions of the same store, removed with the source after.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { ensureJurisdiction, upsertCatalog } from '../../src/store/catalog-store.js';
import { ctx, testConfig } from '../helpers/test-server.js';

export const DAY = 86_400_000;

export interface Source {
  url: string;
  jurisdiction: string;
  /** Calls the proxy forwarded, by path and query. */
  calls: string[];
  /** When set, answers hold at most this many requests and page/page_size are ignored (a plain GeoReport server). */
  cap: number | undefined;
  close(): Promise<void>;
}

/** Starts the source server and its proxy over the given jurisdiction of the test store. */
export async function startSource(jurisdiction: string): Promise<Source> {
  const { db } = ctx();
  const { app } = createApp({ config: testConfig(), db, logger: createLogger('silent') });
  const origin = http.createServer(app);
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const originPort = (origin.address() as AddressInfo).port;
  const source: Source = {
    url: '',
    jurisdiction,
    calls: [],
    cap: undefined,
    close: async () => {
      await new Promise((resolve) => proxy.close(resolve));
      await new Promise((resolve) => origin.close(resolve));
    },
  };
  const proxy = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://source.test');
    if (source.cap !== undefined && /\/requests\.(json|xml)$/.test(url.pathname)) {
      url.searchParams.delete('page');
      url.searchParams.set('page_size', String(source.cap));
    }
    source.calls.push(`${url.pathname}${url.search}`);
    const forward = http.request(
      { host: '127.0.0.1', port: originPort, path: `${url.pathname}${url.search}`, method: req.method, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        // A plain source: no paging headers either.
        if (source.cap !== undefined) for (const name of Object.keys(headers)) if (name.startsWith('x-')) delete headers[name];
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  source.url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/open311/v2`;
  return source;
}

/** A jurisdiction with a catalog of its own: a pothole service with a question, and a streetlight one. */
export async function makeSourceJurisdiction(jurisdiction: string): Promise<void> {
  const { db } = ctx();
  await ensureJurisdiction(db, { jurisdiction_id: jurisdiction, name: 'Source City', time_zone: 'America/Chicago' });
  await upsertCatalog(db, jurisdiction, [
    {
      service_code: 'SRC_POTHOLE',
      service_name: 'Pothole (source)',
      description: 'A hole in the road.',
      type: 'realtime',
      keywords: ['road', 'hole'],
      group: 'Streets',
      attributes: [
        {
          variable: true,
          code: 'SIZE',
          datatype: 'singlevaluelist',
          required: true,
          datatype_description: null,
          order: 1,
          description: 'How big is it?',
          values: [
            { key: 'small', name: 'Smaller than a plate' },
            { key: 'large', name: 'Larger than a plate' },
          ],
        },
      ],
    },
    { service_code: 'SRC-LIGHT', service_name: 'Streetlight out (source)', type: 'realtime' },
  ]);
}

export interface SourceRequest {
  id: string;
  service_code: string;
  status: 'open' | 'closed';
  requested: Date;
}

/** Requests of the source jurisdiction spread over `days` days, every third one closed with a note. */
export async function addSourceRequests(
  jurisdiction: string,
  count: number,
  days: number,
  now = Date.now(),
): Promise<SourceRequest[]> {
  const { db } = ctx();
  const services = new Map(
    (
      (await db('services').where({ jurisdiction_id: jurisdiction }).select('id', 'service_code')) as Array<{
        id: string;
        service_code: string;
      }>
    ).map((row) => [row.service_code, row.id]),
  );
  const made: SourceRequest[] = [];
  for (let index = 0; index < count; index += 1) {
    const requested = new Date(now - Math.floor(((index + 0.5) * days * DAY) / count));
    const closed = index % 3 === 0;
    const code = index % 2 === 0 ? 'SRC_POTHOLE' : 'SRC-LIGHT';
    const [row] = (await db('service_requests')
      .insert({
        jurisdiction_id: jurisdiction,
        service_id: services.get(code),
        status: closed ? 'closed' : 'open',
        detailed_status: closed ? 'closed' : 'in_progress',
        status_notes: closed ? `Fixed #${index}` : null,
        description: `Source request ${String.fromCharCode(97 + index)}`,
        agency_responsible: 'Source Streets',
        address: `${String.fromCharCode(65 + index)} Street`,
        zipcode: '43130',
        requested_datetime: requested,
        updated_datetime: new Date(requested.getTime() + (closed ? 2 * DAY : 0)),
        closed_datetime: closed ? new Date(requested.getTime() + 2 * DAY) : null,
        location: db.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [-82.6 + index / 1000, 39.7 + index / 1000]),
      })
      .returning('id')) as Array<{ id: string | number }>;
    const id = String(row!.id);
    await db('service_request_updates').insert({
      service_request_id: id,
      jurisdiction_id: jurisdiction,
      note_type: 'opened',
      status: 'open',
      detailed_status: 'submitted',
      summary: 'Request received',
      description: '',
      updated_datetime: requested,
    });
    if (closed) {
      await db('service_request_updates').insert({
        service_request_id: id,
        jurisdiction_id: jurisdiction,
        note_type: 'closed',
        status: 'closed',
        detailed_status: 'closed',
        summary: 'Closed',
        description: `Fixed #${index}`,
        updated_datetime: new Date(requested.getTime() + 2 * DAY),
      });
    }
    made.push({ id, service_code: code, status: closed ? 'closed' : 'open', requested });
  }
  return made;
}

/** Removes jurisdictions made by a test with everything in them. */
export async function removeJurisdictions(ids: string[]): Promise<void> {
  const { db } = ctx();
  const requests = db('service_requests').whereIn('jurisdiction_id', ids).select('id');
  await db('webhook_deliveries').whereIn('webhook_id', db('webhooks').whereIn('jurisdiction_id', ids).select('id')).delete();
  await db('webhooks').whereIn('jurisdiction_id', ids).delete();
  await db('service_request_updates').whereIn('service_request_id', requests).delete();
  await db('service_requests').whereIn('jurisdiction_id', ids).delete();
  await db('services').whereIn('jurisdiction_id', ids).delete();
  await db('jurisdictions').whereIn('jurisdiction_id', ids).delete();
}
