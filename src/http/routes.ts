// The URL map of the GeoReport v2 API, top to bottom. Each endpoint: format suffix → handler (which
// validates its input with the spec/ schemas, calls the domain, and responds).
import express, { type Router } from 'express';
import type { AppContext } from './context.js';
import { notFoundHandler, methodNotAllowedHandler } from './error-handler.js';
import { formatSuffix, refuseNul } from './format.js';
import { markMount } from './observability.js';
import { limitPostsByAddress } from './rate-limit.js';
import { createHandlers } from './handlers.js';

export function georeportRouter(context: AppContext): Router {
  const handlers = createHandlers(context);
  const router = express.Router({ strict: false });
  router.use(markMount);
  // Must run first: it strips the .json/.xml suffix that the paths below do not carry.
  router.use(formatSuffix);
  router.use(refuseNul);
  // After the format is known, so that a 429 is written in the format the client asked for.
  if (context.addressRateLimiter) router.use(limitPostsByAddress(context.addressRateLimiter));

  router.get('/discovery', handlers.discovery);
  router.get('/services', handlers.listServices);
  router.get('/services/:service_code', handlers.getServiceDefinition);
  router.post('/requests', handlers.createRequest);
  router.get('/requests', handlers.findRequests);
  router.get('/requests/:service_request_id', handlers.getRequest);
  router.get('/tokens/:token', handlers.getRequestIdForToken);
  // EXT (FixMyStreet): the public history of requests, and clients' comments.
  router.get('/servicerequestupdates', handlers.findUpdates);
  router.post('/servicerequestupdates', handlers.addUpdate);

  // Known paths with another verb: 405 with Allow (digest §1.1).
  router.all('/discovery', methodNotAllowedHandler(['GET', 'HEAD']));
  router.all('/services', methodNotAllowedHandler(['GET', 'HEAD']));
  router.all('/services/:service_code', methodNotAllowedHandler(['GET', 'HEAD']));
  router.all('/requests', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/requests/:service_request_id', methodNotAllowedHandler(['GET', 'HEAD']));
  router.all('/tokens/:token', methodNotAllowedHandler(['GET', 'HEAD']));
  router.all('/servicerequestupdates', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.use(notFoundHandler);
  return router;
}

/** EXT GeoReport Bulk (digest §3.11): CSV export with the request filters, outside the GeoReport base. */
export const BULK_BASE_PATH = '/open311/bulk';

export function bulkRouter(context: AppContext): Router {
  const handlers = createHandlers(context);
  const router = express.Router();
  router.use(markMount);
  router.use(refuseNul);
  router.get('/requests.csv', handlers.exportRequests);
  router.all('/requests.csv', methodNotAllowedHandler(['GET', 'HEAD']));
  router.use(notFoundHandler);
  return router;
}
