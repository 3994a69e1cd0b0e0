// Turns anything thrown into an Open311 errors document in the request's format (XML when unknown).
import type { NextFunction, Request, Response } from 'express';
import {
  badRequest,
  clientError,
  internalError,
  methodNotAllowed,
  notFound,
  Open311Error,
  serviceUnavailable,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { CONTENT_TYPES, serialize } from '../serialize/serialize.js';
import { errorFormatOf } from './format.js';

/** Unknown path under a known prefix: 404 with an errors body. */
export function notFoundHandler(req: Request, _res: Response, next: NextFunction): void {
  next(notFound(`There is no resource at ${req.path.slice(0, 200)}.`));
}

/** A known path asked with a verb it does not support: 405 with Allow (OPTIONS lists the verbs). */
export function methodNotAllowedHandler(allow: string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'OPTIONS') {
      res
        .set('Allow', [...allow, 'OPTIONS'].join(', '))
        .status(204)
        .end();
      return;
    }
    next(methodNotAllowed(req.method, allow));
  };
}

function fromFramework(error: unknown): Open311Error | undefined {
  // Errors raised by Express or Node while reading the request (bad percent-encoding, aborted bodies…).
  const status =
    (error as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const description =
      status === 413
        ? 'The request is too large.'
        : error instanceof URIError || status === 400
          ? 'The request could not be read: check its encoding.'
          : 'The request could not be processed.';
    return clientError(status, description);
  }
  if (error instanceof URIError) return badRequest('The request URL is not correctly percent-encoded.');
  return undefined;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now
  '53300', // too many connections
  '57014', // statement cancelled (statement_timeout): the database is stalled or overloaded
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** The database (or the way to it) is down: a 503 the client may retry, not a bug. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (error.name === 'KnexTimeoutError') return true;
  // pg: a connect that timed out ("timeout expired", "Connection terminated due to connection timeout"), an
  // answer that never came ("Query read timeout"); knex: no pooled connection in time.
  return /Connection terminated|connect ECONNREFUSED|PGlite is closed|Client has encountered a connection error|timeout exceeded when trying to connect|timeout expired|Query read timeout|Timeout acquiring a connection/i.test(
    error.message,
  );
}

/** The Open311 errors document of `error` in `format`: the one writer of errors bodies (see also http/server.ts). */
export function errorDocument(error: Open311Error, format: 'json' | 'xml'): { contentType: string; body: string } {
  return { contentType: CONTENT_TYPES[format], body: serialize('errors', error.errors, format, { timeZone: 'UTC' }) };
}

/** Writes an Open311 errors document in the request's format. */
export function sendError(res: Response, error: Open311Error): void {
  const { contentType, body } = errorDocument(error, errorFormatOf(res));
  res.status(error.status).set(error.headers).set('Cache-Control', 'no-store').set('Content-Type', contentType).send(body);
}

/**
 * Web pages answer errors as HTML: a page router sets res.locals.errorPage (the staff console renders it with its
 * layout), and every error raised below that router is shown through it instead of an errors document.
 */
export type ErrorPageRenderer = (error: Open311Error) => string;

function sendErrorPage(res: Response, error: Open311Error, render: ErrorPageRenderer): void {
  res
    .status(error.status)
    .set(error.headers)
    .set('Cache-Control', 'no-store')
    .set('Content-Type', 'text/html; charset=utf-8')
    .send(render(error));
}

// Express recognises an error handler by its four parameters, so `next` must stay in the signature.
export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      // An answer was already sent (the request timeout answered 503, or a streamed answer failed midway):
      // there is never a second one. A handler finishing late is expected then, not an error to report.
      const late = (error as { code?: unknown } | null)?.code === 'ERR_HTTP_HEADERS_SENT' || isUnavailable(error);
      const log = late ? logger.debug.bind(logger) : logger.error.bind(logger);
      log(late ? 'late answer dropped' : 'error after the answer was sent', {
        request_id: res.locals.requestId,
        error: error instanceof Error ? error.message : String(error),
      });
      if (!res.writableEnded) res.end();
      return;
    }
    let known = error instanceof Open311Error ? error : fromFramework(error);
    if (!known && isUnavailable(error)) {
      logger.warn('database unavailable', { request_id: res.locals.requestId, error: (error as Error).message });
      known = serviceUnavailable();
    }
    if (!known) {
      logger.error('unexpected error', {
        request_id: res.locals.requestId,
        method: req.method,
        url: req.originalUrl.slice(0, 500),
        error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
      });
      known = internalError();
    }
    // Refused before its body was read (bad key, upload budget): close the connection after the answer
    // instead of reading and discarding the rest of the upload.
    if (!req.complete) res.set('Connection', 'close');
    const page = res.locals.errorPage as ErrorPageRenderer | undefined;
    if (page) sendErrorPage(res, known, page);
    else sendError(res, known);
  };
}
