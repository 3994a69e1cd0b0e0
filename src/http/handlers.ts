// Thin handlers: validate(coerce(req)) (src/validate/inputs.ts), call one domain function, respond.
import { once } from 'node:events';
import type { Request, Response } from 'express';
import { GEOREPORT_BASE_PATH } from '../config.js';
import * as requests from '../domain/requests.js';
import * as services from '../domain/services.js';
import * as updates from '../domain/updates.js';
import type { CreatedRequest, Jurisdiction } from '../domain/types.js';
import { createWithFreshRetry } from '../domain/intake.js';
import type { Intake } from '../domain/requests.js';
import { csvHeader, csvRows } from '../serialize/csv.js';
import { scalarParameter, type FormPairs, type QueryObject } from '../validate/coerce.js';
import {
  commentInput,
  createSubmission,
  jurisdictionIdOf,
  extensionsOf,
  requestsQuery,
  servicePointOf,
  updatesQuery,
} from '../validate/inputs.js';
import type { MediaSink } from '../domain/media.js';
import { pageCount } from '../domain/paging.js';
import { saveMedia } from '../media/media-store.js';
import { readFormBody, type UploadedFile, withQueryParameters } from './body.js';
import { apiKeyAuth } from './api-key-auth.js';
import type { AppContext } from './context.js';
import { FEEDS_PATH } from './feeds.js';
import { render, respond, respondCached, type RespondOptions } from './respond.js';
import { changeMarkersOf } from './response-cache.js';

type Handler = (req: Request, res: Response) => Promise<void>;

async function jurisdictionFromQuery(context: AppContext, query: QueryObject): Promise<Jurisdiction> {
  return context.jurisdictions.resolve(jurisdictionIdOf(query));
}

/** EXT paging (digest §3.1): totals and neighbours in headers, never in the standard body. */
function pagingHeaders(req: Request, total: number, page: number, pageSize: number): Record<string, string> {
  const pages = pageCount(total, pageSize);
  const linkTo = (target: number): string => {
    const url = new URL(req.originalUrl, 'http://placeholder');
    // Never repeat a key the client put in the query string.
    url.searchParams.delete('api_key');
    url.searchParams.set('page', String(target));
    url.searchParams.set('page_size', String(pageSize));
    return `${url.pathname}${url.search}`;
  };
  const headers: Record<string, string> = {
    'X-Result-Count': String(total),
    'X-Page-Count': String(pages),
    'X-Page-Size': String(pageSize),
  };
  const links: string[] = [`<${linkTo(1)}>; rel="first"`, `<${linkTo(pages)}>; rel="last"`];
  if (page < pages) {
    headers['X-Next-Page-URL'] = linkTo(page + 1);
    links.push(`<${linkTo(page + 1)}>; rel="next"`);
  }
  if (page > 1) {
    headers['X-Previous-Page-URL'] = linkTo(Math.min(page - 1, pages));
    links.push(`<${linkTo(Math.min(page - 1, pages))}>; rel="prev"`);
  }
  headers.Link = links.join(', ');
  return headers;
}

function latestUpdate(requests: Array<{ updated_datetime: Date | null; requested_datetime: Date }>): Date | undefined {
  let latest: Date | undefined;
  for (const request of requests) {
    const at = request.updated_datetime ?? request.requested_datetime;
    if (!latest || at > latest) latest = at;
  }
  return latest;
}

/** Where uploaded media of a create or comment is saved. */
export function mediaSinkOf(context: AppContext): MediaSink {
  const { config } = context;
  return (type, bytes) => saveMedia({ directory: config.mediaDirectory, publicUrl: config.publicUrl }, type, bytes);
}

/**
 * The one intake of new requests (POST requests and the resident site alike): same lookups, writer, media
 * handling and duplicate search. `channel` records how the request arrived.
 */
export function intakeOf(context: AppContext, fresh: boolean, channel: string): Intake {
  const { db, config } = context;
  return {
    db,
    lookups: context.intakeLookups,
    writer: context.requestWriter,
    mediaSink: mediaSinkOf(context),
    duplicateSearch: { radius_meters: config.duplicateRadiusMeters, window_hours: config.duplicateWindowHours },
    fresh,
    channel,
  };
}

const pathParameter = (req: Request, name: string): string => String(req.params[name] ?? '');

/** The GeoReport endpoints by name: routes.ts maps URLs to these. */
export type GeoReportHandlers = ReturnType<typeof createHandlers>;

export function createHandlers(context: AppContext) {
  const { db, reads, config } = context;

  const markers = changeMarkersOf(context);

  const uploadLimits = { maxFileBytes: config.mediaMaxBytes, maxFiles: config.mediaMaxFiles, budget: context.uploadBudget };
  /** A GeoReport POST's parameters: the body's, and the query string's where the body does not give them. */
  const readGeoReportForm = async (req: Request): Promise<{ pairs: FormPairs; files: UploadedFile[] }> => {
    const { pairs, files } = await readFormBody(req, uploadLimits);
    return { pairs: withQueryParameters(pairs, req.originalUrl), files };
  };
  const mediaSink = mediaSinkOf(context);

  const { keyRecord, admit, refuseBadKeyBeforeBody, authenticate } = apiKeyAuth(context);

  async function authenticatedForm(
    req: Request,
  ): Promise<{ pairs: FormPairs; files: UploadedFile[]; keyId: string; jurisdiction: Jurisdiction }> {
    await refuseBadKeyBeforeBody(req);
    const { pairs, files } = await readGeoReportForm(req);
    return { pairs, files, ...(await authenticate(req, pairs, { remembered: false, rateLimit: true })) };
  }

  const intake = (fresh: boolean): Intake => intakeOf(context, fresh, 'api');

  /** A create through the one intake retry (domain/intake.ts): remembered lookups first, fresh ones if stale. */
  async function create(req: Request): Promise<{ created: CreatedRequest; jurisdiction: Jurisdiction }> {
    await refuseBadKeyBeforeBody(req);
    const { pairs, files } = await readGeoReportForm(req);
    const header = req.headers['idempotency-key'];
    const idempotencyKey = typeof header === 'string' ? header : undefined;
    const submission = createSubmission(pairs);
    return createWithFreshRetry(context.intakeLookups, async ({ fresh, usedKey }) => {
      const record = await keyRecord(req, pairs, !fresh);
      usedKey(record.id);
      // The retry is the same POST: it is not counted against the key's rate limit again.
      const { jurisdiction } = await admit(req, pairs, record, !fresh);
      return {
        created: await requests.createRequestIdempotently(
          intake(fresh),
          jurisdiction,
          submission,
          record.id,
          idempotencyKey,
          files,
        ),
        jurisdiction,
      };
    });
  }

  const handlers = {
    async discovery(req, res) {
      const changed = await markers.catalog('*', (source) => services.catalogChangedAnywhere(source));
      const document = services.discoveryDocument(changed, {
        contact: config.contact,
        keyService: config.keyService,
        endpointUrl: `${config.publicUrl}${GEOREPORT_BASE_PATH}`,
        endpointType: config.endpointType,
      });
      // The Atom feed of new and changed requests, for feed readers and integrations (the document itself is the standard's).
      res.set('Link', `<${config.publicUrl}${FEEDS_PATH}/requests.atom>; rel="alternate"; type="application/atom+xml"`);
      const options: RespondOptions = {
        timeZone: config.timeZone,
        cache: 'catalog',
        lastModified: document.changeset,
        honorModifiedSince: true,
      };
      await respondCached(req, res, context.cache, 'discovery', String(document.changeset.getTime()), options, async () =>
        render(req, res, 'discovery', document, options),
      );
    },

    async listServices(req, res) {
      const jurisdiction = await jurisdictionFromQuery(context, req.query);
      // The catalog changeset moves with every change of the list (availability included): it is the
      // cache's change marker.
      const changed = await markers.catalog(jurisdiction.jurisdiction_id, (source) =>
        services.catalogChangedAt(source, jurisdiction),
      );
      const options: RespondOptions = {
        timeZone: jurisdiction.time_zone,
        cache: 'catalog',
        lastModified: changed,
        honorModifiedSince: true,
      };
      const key = `services|${jurisdiction.jurisdiction_id}|${scalarParameter(req.query, 'lat') ?? ''}|${scalarParameter(req.query, 'long') ?? ''}`;
      await respondCached(req, res, context.cache, key, String(changed?.getTime() ?? 0), options, async () =>
        render(
          req,
          res,
          'services',
          await reads.read((source) => services.listServices(source, jurisdiction, servicePointOf(req.query))),
          options,
        ),
      );
    },

    async getServiceDefinition(req, res) {
      const jurisdiction = await jurisdictionFromQuery(context, req.query);
      const [definition, changed] = await reads.read((source) =>
        Promise.all([
          services.getServiceDefinition(source, jurisdiction, pathParameter(req, 'service_code')),
          services.catalogChangedAt(source, jurisdiction),
        ]),
      );
      respond(req, res, 'service_definition', definition, {
        timeZone: jurisdiction.time_zone,
        cache: 'catalog',
        lastModified: changed,
        honorModifiedSince: true,
      });
    },

    async createRequest(req, res) {
      const { created, jurisdiction } = await create(req);
      context.events?.poke();
      respond(req, res, 'created_requests', [created], { timeZone: jurisdiction.time_zone });
    },

    async findUpdates(req, res) {
      const jurisdiction = await jurisdictionFromQuery(context, req.query);
      const query = updatesQuery(req.query);
      const found = await reads.read((source) => updates.findUpdates(source, jurisdiction, query, new Date()));
      respond(req, res, 'service_request_updates', found, { timeZone: jurisdiction.time_zone, cache: 'requests' });
    },

    async addUpdate(req, res) {
      const { pairs, files, keyId, jurisdiction } = await authenticatedForm(req);
      const stored = await updates.addComment(db, jurisdiction, commentInput(pairs), keyId, files, mediaSink);
      respond(req, res, 'created_updates', [stored], { timeZone: jurisdiction.time_zone });
    },

    async exportRequests(req, res) {
      const jurisdiction = await jurisdictionFromQuery(context, req.query);
      const batches = requests.exportRequests(db, jurisdiction, requestsQuery(req.query));
      // Validation happened above; the first batch is read before any byte is sent, so a bad query is a
      // proper errors document and later failures cut the stream (a truncated CSV, never a silent one).
      const first = await batches.next();
      res.status(200).set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': 'attachment; filename="service_requests.csv"',
        'Cache-Control': 'no-store',
      });
      res.write(csvHeader());
      try {
        for (let batch = first; !batch.done; batch = await batches.next()) {
          if (!res.write(csvRows(batch.value, jurisdiction.time_zone))) await once(res, 'drain');
          if (res.destroyed) return;
        }
        res.end();
      } catch (error) {
        context.logger.error('bulk export failed', { error: error instanceof Error ? error.message : String(error) });
        res.destroy();
      }
    },

    async getRequestIdForToken(req, res) {
      const jurisdiction = await jurisdictionFromQuery(context, req.query);
      const found = await reads.readById((source) =>
        requests.getRequestIdForToken(source, jurisdiction, pathParameter(req, 'token')),
      );
      respond(req, res, 'tokens', [found], { timeZone: jurisdiction.time_zone, cache: 'requests' });
    },

    async findRequests(req, res) {
      const jurisdiction = await jurisdictionFromQuery(context, req.query);
      const plan = requests.planRequestList(jurisdiction, requestsQuery(req.query));
      const options: RespondOptions = {
        timeZone: jurisdiction.time_zone,
        cache: 'requests',
        // Paging totals are cached with the body; their links are built from this caller's URL.
        perRequestHeaders: ({ paging }) => (paging ? pagingHeaders(req, paging.total, paging.page, paging.page_size) : {}),
      };
      const version = await markers.requests(jurisdiction);
      await respondCached(req, res, context.cache, `requests|${plan.key}`, version, options, async () => {
        const cache = context.cache;
        const list = await reads.read((source) =>
          requests.runRequestList(source, plan, cache ? (key, compute) => cache.value(key, version, compute) : undefined),
        );
        // Last-Modified is informative here: If-Modified-Since is not honoured on lists, because a request
        // can leave a filtered list (closed, aged out of the window) without any remaining row changing.
        const answer = render(
          req,
          res,
          list.options.extensions ? 'service_requests_extended' : 'service_requests',
          list.requests,
          {
            ...options,
            lastModified: latestUpdate(list.requests),
          },
        );
        if (list.total !== undefined) {
          answer.paging = { total: list.total, page: list.options.page, page_size: list.options.page_size };
        }
        return answer;
      });
    },

    async getRequest(req, res) {
      const jurisdiction = await jurisdictionFromQuery(context, req.query);
      const extensions = extensionsOf(req.query);
      const id = pathParameter(req, 'service_request_id');
      const options: RespondOptions = { timeZone: jurisdiction.time_zone, cache: 'requests', honorModifiedSince: true };
      const version = await markers.requests(jurisdiction);
      await respondCached(
        req,
        res,
        context.cache,
        `request|${jurisdiction.jurisdiction_id}|${id}|${extensions}`,
        version,
        options,
        async () => {
          const request = await reads.readById((source) =>
            requests.getRequestWithExtensions(source, jurisdiction, id, extensions),
          );
          return render(req, res, extensions ? 'service_requests_extended' : 'service_requests', [request], {
            ...options,
            lastModified: latestUpdate([request]),
          });
        },
      );
    },
  } satisfies Record<string, Handler>;
  return handlers;
}
