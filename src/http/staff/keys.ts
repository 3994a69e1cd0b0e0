// Admin management of API keys (the rules are in src/domain/api-keys.ts): a new key is shown once; lists
// never show keys.
import express, { type Router } from 'express';
import { issueKeyAsStaff, listApiKeys, revokeKeyById } from '../../domain/api-keys.js';
import type { KeyRole } from '../../store/api-keys-store.js';
import { validate } from '../../validate/validate.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { actorOf } from './auth.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';

export function keysRouter(context: AppContext): Router {
  const { db, config } = context;
  const router = express.Router();
  router.get('/', async (_req, res) => {
    sendJson(res, { keys: await listApiKeys(db) }, config.timeZone);
  });
  router.post('/', async (req, res) => {
    const input = validate<{ name: string; role?: KeyRole }>('staff-key-input.json', await readJsonObject(req));
    sendJson(res, await issueKeyAsStaff(db, input, actorOf(res)), config.timeZone, 201);
  });
  router.delete('/:id', async (req, res) => {
    // Keys remembered for creates must not outlive the revocation (other processes confirm with the store).
    await revokeKeyById(db, String(req.params.id ?? ''), actorOf(res), () => context.intakeLookups.forget());
    res.status(204).end();
  });
  router.all('/', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/:id', methodNotAllowedHandler(['DELETE']));
  return router;
}
