// Admin management of API keys: a new key is shown once; lists never show keys.
import express, { type Router } from 'express';
import { notFound } from '../../errors.js';
import { createKey, listKeys, revokeKey, type KeyRole } from '../../store/api-keys-store.js';
import { validate } from '../../validate/validate.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';
import { actorOf } from './auth.js';
import { recordAudit } from '../../store/routing-store.js';

export function keysRouter(context: AppContext): Router {
  const { db, config } = context;
  const router = express.Router();
  router.get('/', async (_req, res) => {
    sendJson(res, { keys: await listKeys(db) }, config.timeZone);
  });
  router.post('/', async (req, res) => {
    const input = validate<{ name: string; role?: KeyRole }>('staff-key-input.json', await readJsonObject(req));
    const actor = actorOf(res);
    const { key, record } = await createKey(db, input.name.trim(), input.role ?? 'client', undefined, {
      staff_id: actor.staff_id,
      name: actor.name,
    });
    await recordAudit(db, {
      actor,
      entity_type: 'api_key',
      entity_id: record.id,
      action: 'create',
      changes: { name: record.name, role: record.role },
    });
    sendJson(res, { ...record, key }, config.timeZone, 201);
  });
  router.delete('/:id', async (req, res) => {
    const id = String(req.params.id ?? '');
    if (!/^\d{1,18}$/.test(id) || (await revokeKey(db, id)) === 0) throw notFound(`No active key with id ${id}.`);
    // Keys remembered for creates must not outlive the revocation (other processes confirm with the store).
    context.intakeLookups.forget();
    res.status(204).end();
  });
  router.all('/', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/:id', methodNotAllowedHandler(['DELETE']));
  return router;
}
