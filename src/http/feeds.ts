// Atom feeds of requests (RFC 4287 + GeoRSS), public fields only, with ETag conditional GET:
//   GET /feeds/requests.atom   city-wide; ?service_code=A,B &status=open|closed|in_progress… &bbox=… &service_area=CODE
//   GET /feeds/requests/{id}.atom   one request's public history
import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { GEOREPORT_BASE_PATH } from '../config.js';
import { badRequest, notFound } from '../errors.js';
import { requestHistoryFeed, requestsFeed, type FeedHead } from '../feeds/atom.js';
import { feedRequestHistory, feedRequests, type FeedFilter } from '../store/feeds-store.js';
import { listParameter, scalarParameter } from '../validate/coerce.js';
import type { AppContext } from './context.js';
import { methodNotAllowedHandler } from './error-handler.js';

export const FEEDS_PATH = '/feeds';
const FEED_SIZE = 50;
const STATUSES = new Set(['open', 'closed', 'submitted', 'acknowledged', 'in_progress', 'on_hold', 'duplicate', 'rejected']);

/** Answers the document, or 304 when the client holds it already (strong ETag over the bytes). */
function sendFeed(req: Request, res: Response, body: string): void {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  res.set('ETag', etag).set('Cache-Control', 'public, max-age=60').set('Access-Control-Allow-Origin', '*');
  const held = req.headers['if-none-match'];
  if (held?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*')) {
    res.status(304).end();
    return;
  }
  res.type('application/atom+xml; charset=utf-8').send(body);
}

function parseBox(text: string): NonNullable<FeedFilter['bbox']> {
  const parts = text.split(',').map((part) => Number(part.trim()));
  const [a, b, c, d] = parts as [number, number, number, number];
  const box = { min_long: Math.min(a, c), min_lat: Math.min(b, d), max_long: Math.max(a, c), max_lat: Math.max(b, d) };
  if (
    parts.length !== 4 ||
    parts.some((part) => !Number.isFinite(part)) ||
    box.min_lat < -90 ||
    box.max_lat > 90 ||
    box.min_long < -180 ||
    box.max_long > 180
  )
    throw badRequest('bbox must be minLong,minLat,maxLong,maxLat in degrees (longitude first).');
  return box;
}

export function feedsRouter(context: AppContext): Router {
  const { db, config } = context;
  const router = express.Router();
  const head = (req: Request, title: string, alternatePath: string): FeedHead => ({
    title,
    selfUrl: `${config.publicUrl}${req.originalUrl}`,
    alternateUrl: `${config.publicUrl}${alternatePath}`,
    author: config.jurisdictionName,
    publicUrl: config.publicUrl,
    georeportUrl: `${config.publicUrl}${GEOREPORT_BASE_PATH}`,
  });

  router.get(`${FEEDS_PATH}/requests.atom`, async (req, res) => {
    const query = req.query as Record<string, string | string[] | undefined>;
    const jurisdiction = await context.jurisdictions.resolve(scalarParameter(query, 'jurisdiction_id'));
    const serviceCodes = listParameter(query, 'service_code');
    const statuses = listParameter(query, 'status')?.map((status) => status.toLowerCase());
    if (statuses?.some((status) => !STATUSES.has(status)))
      throw badRequest(`status must be one or more of ${[...STATUSES].join(', ')}.`);
    const bbox = scalarParameter(query, 'bbox');
    const serviceArea = scalarParameter(query, 'service_area');
    const filter: FeedFilter = {
      jurisdiction_id: jurisdiction.jurisdiction_id,
      limit: FEED_SIZE,
      ...(serviceCodes ? { service_codes: serviceCodes } : {}),
      ...(statuses ? { statuses } : {}),
      ...(bbox !== undefined ? { bbox: parseBox(bbox) } : {}),
      ...(serviceArea !== undefined ? { service_area_code: serviceArea } : {}),
    };
    const requests = await feedRequests(db, filter);
    if (!requests) throw notFound(`No service area with code ${String(serviceArea).slice(0, 40)}.`);
    sendFeed(req, res, requestsFeed(head(req, `${jurisdiction.name}: service requests`, '/requests'), requests));
  });

  router.get(`${FEEDS_PATH}/requests/:file`, async (req, res) => {
    const match = /^(.+)\.atom$/.exec(String(req.params.file));
    if (!match) throw notFound('Feeds end in .atom.');
    const id = match[1]!;
    const jurisdiction = await context.jurisdictions.resolve(
      scalarParameter(req.query as Record<string, string>, 'jurisdiction_id'),
    );
    const found = await feedRequestHistory(db, jurisdiction.jurisdiction_id, id, FEED_SIZE);
    if (!found) throw notFound(`No service request with id ${id.slice(0, 40)}.`);
    sendFeed(
      req,
      res,
      requestHistoryFeed(
        head(req, `${jurisdiction.name}: request ${id} (${found.request.service_name})`, `/requests/${id}`),
        found.request,
        found.updates,
      ),
    );
  });

  router.all(`${FEEDS_PATH}/requests.atom`, methodNotAllowedHandler(['GET', 'HEAD']));
  router.all(`${FEEDS_PATH}/requests/:file`, methodNotAllowedHandler(['GET', 'HEAD']));
  return router;
}
