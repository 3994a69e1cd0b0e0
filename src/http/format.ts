// The representation is chosen by the extension of the last path segment only (digest §1.1), split at
// the LAST dot so that codes and ids may contain dots (/services/A.B.json → code "A.B", format json).
import type { NextFunction, Request, Response } from 'express';
import { badRequest, notFound } from '../errors.js';
import type { Format } from '../serialize/serialize.js';

// geojson is an extension served for requests.geojson only (respond() refuses it elsewhere).
export const FORMATS: readonly Format[] = ['json', 'xml', 'geojson'];

export interface SplitPath {
  /** The path without the format extension. */
  path: string;
  /** The extension after the last dot of the last segment, lower-cased; undefined when there is none. */
  extension: string | undefined;
}

export function splitFormat(path: string): SplitPath {
  const lastSlash = path.lastIndexOf('/');
  const segment = path.slice(lastSlash + 1);
  const dot = segment.lastIndexOf('.');
  if (dot <= 0) return { path, extension: undefined };
  return { path: path.slice(0, lastSlash + 1 + dot), extension: segment.slice(dot + 1).toLowerCase() };
}

export const formatOf = (res: Response): Format => (res.locals.format as Format | undefined) ?? 'xml';

/** The format errors are written in: GeoJSON clients read JSON errors. */
export const errorFormatOf = (res: Response): 'json' | 'xml' => (formatOf(res) === 'xml' ? 'xml' : 'json');

/**
 * Strips the format extension from the URL and records the format in res.locals.format. A missing
 * extension is served as XML; an unknown one is a 404 answered in XML, the one format every client reads.
 */
export function formatSuffix(req: Request, res: Response, next: NextFunction): void {
  const queryStart = req.url.indexOf('?');
  const path = queryStart === -1 ? req.url : req.url.slice(0, queryStart);
  const query = queryStart === -1 ? '' : req.url.slice(queryStart);
  const { path: bare, extension } = splitFormat(path);
  if (extension === undefined) {
    res.locals.format = 'xml';
    next();
    return;
  }
  if (!(FORMATS as readonly string[]).includes(extension)) {
    res.locals.format = 'xml';
    next(notFound(`The format .${extension.slice(0, 20)} is not supported: use .xml or .json.`));
    return;
  }
  res.locals.format = extension;
  req.url = bare + query;
  next();
}

/**
 * The NUL character can be stored neither in PostgreSQL text nor in XML: a URL that carries one (%00) is
 * refused at once, whatever parameter or path segment holds it.
 */
export function refuseNul(req: Request, _res: Response, next: NextFunction): void {
  next(
    /%00/i.test(req.url) ? badRequest('The request URL contains a NUL character (%00), which no parameter may hold.') : undefined,
  );
}

/** Several clients are configured with a base URL ending in "/" and then add another one. */
export function collapseSlashes(req: Request, _res: Response, next: NextFunction): void {
  const queryStart = req.url.indexOf('?');
  const path = queryStart === -1 ? req.url : req.url.slice(0, queryStart);
  if (path.includes('//')) req.url = path.replace(/\/{2,}/g, '/') + (queryStart === -1 ? '' : req.url.slice(queryStart));
  next();
}
