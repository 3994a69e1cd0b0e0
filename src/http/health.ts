// Liveness (/healthz: the process answers) and readiness (/readyz: the database answers too).
import type { Request, Response } from 'express';
import type { Db } from '../store/db.js';
import { serviceUnavailable } from '../errors.js';
import { sendError } from './error-handler.js';

export function healthz(_req: Request, res: Response): void {
  res.set('Cache-Control', 'no-store').json({ status: 'ok' });
}

export function readyz(db: Db) {
  return async (_req: Request, res: Response): Promise<void> => {
    res.set('Cache-Control', 'no-store');
    try {
      await Promise.race([
        db.raw('SELECT 1'),
        new Promise((_resolve, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      res.json({ status: 'ready' });
    } catch {
      res.status(503).set('Retry-After', '5').json({ status: 'not ready', reason: 'the database does not answer' });
    }
  };
}

/**
 * Answers 503 (with an errors document) when a request takes longer than `milliseconds`; whatever the
 * handler writes later is dropped (the error handler sees headers already sent).
 */
export function requestTimeout(milliseconds: number) {
  return (_req: Request, res: Response, next: () => void): void => {
    const timer = setTimeout(() => {
      if (!res.headersSent) sendError(res, serviceUnavailable('The request took too long to answer; please retry.'));
    }, milliseconds);
    timer.unref();
    res.on('close', () => clearTimeout(timer));
    res.on('finish', () => clearTimeout(timer));
    next();
  };
}
