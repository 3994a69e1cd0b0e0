// Staff work on requests: the queue, one request in full, changes with audit and concurrency control,
// duplicates.
import express, { type Router } from 'express';
import type { AppContext } from '../context.js';

export function staffRequestsRouter(context: AppContext): Router {
  const router = express.Router();
  void context;
  return router;
}
