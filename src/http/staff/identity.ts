// The identity part of the staff API: GET /me (who am I), the admin API for people (/staff: list, create,
// change role/agencies, deactivate — which ends that person's sessions at once — and one-time sign-in links
// for anyone), and the identity settings (two-factor required or not).
import express, { type Request, type Router } from 'express';
import * as accounts from '../../domain/staff-accounts.js';
import { validate } from '../../validate/validate.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { actorOf, requireRole } from './auth.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';
import { recordAudit } from '../../store/routing-store.js';

export function meRouter(context: AppContext): Router {
  const router = express.Router();
  router.get('/', async (_req, res) => {
    const actor = actorOf(res);
    if (actor.kind === 'key') {
      sendJson(res, { kind: 'key', key_id: actor.key_id, name: actor.name, role: actor.role }, context.config.timeZone);
      return;
    }
    const account = await accounts.getAccount(context.db, actor.staff_id!);
    sendJson(
      res,
      {
        kind: 'person',
        id: account.id,
        email: account.email,
        display_name: account.display_name,
        role: account.role,
        agencies: account.agencies,
        two_factor: account.two_factor,
        has_password: account.has_password,
      },
      context.config.timeZone,
    );
  });
  router.all('/', methodNotAllowedHandler(['GET', 'HEAD']));
  return router;
}

export function staffAccountsRouter(context: AppContext): Router {
  const { db, config } = context;
  const router = express.Router();
  router.use(requireRole(context, 'admin'));
  const idOf = (req: Request): string => String(req.params.id ?? '');

  router.get('/', async (_req, res) => {
    sendJson(res, { staff: await accounts.listAccounts(db) }, config.timeZone);
  });
  router.post('/', async (req, res) => {
    const input = validate<accounts.NewAccount>('staff-account-input.json', await readJsonObject(req));
    const account = await accounts.createAccount(db, { ...input, role: input.role ?? 'staff' });
    const link = await accounts.issueSignInLink(db, account, actorOf(res).name, config.publicUrl);
    await accounts.auditAccount(db, actorOf(res), account.id, 'create', { email: account.email, role: account.role });
    sendJson(res, { ...account, sign_in_link: link }, config.timeZone, 201);
  });
  router.get('/:id', async (req, res) => {
    sendJson(res, await accounts.getAccount(db, idOf(req)), config.timeZone);
  });
  router.patch('/:id', async (req, res) => {
    const change = validate<accounts.AccountChange>('staff-account-patch.json', await readJsonObject(req));
    const changed = await accounts.changeAccount(db, idOf(req), change);
    await accounts.auditAccount(db, actorOf(res), changed.id, 'update', { ...change });
    sendJson(res, changed, config.timeZone);
  });
  router.delete('/:id', async (req, res) => {
    await accounts.deactivateAccount(db, idOf(req));
    await accounts.auditAccount(db, actorOf(res), idOf(req), 'deactivate', { active: { from: true, to: false } });
    res.status(204).end();
  });
  router.post('/:id/sign-in-link', async (req, res) => {
    const account = await accounts.getAccount(db, idOf(req));
    const link = await accounts.issueSignInLink(db, account, actorOf(res).name, config.publicUrl);
    await accounts.auditAccount(db, actorOf(res), account.id, 'sign_in_link', {});
    sendJson(res, link, config.timeZone, 201);
  });
  router.all('/', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/:id', methodNotAllowedHandler(['GET', 'HEAD', 'PATCH', 'DELETE']));
  router.all('/:id/sign-in-link', methodNotAllowedHandler(['POST']));
  return router;
}

export function identitySettingsRouter(context: AppContext): Router {
  const router = express.Router();
  router.use(requireRole(context, 'admin'));
  router.get('/', async (_req, res) => {
    sendJson(res, await accounts.readIdentitySettings(context.db), context.config.timeZone);
  });
  router.patch('/', async (req, res) => {
    const change = validate<Partial<accounts.IdentitySettings>>('identity-settings-input.json', await readJsonObject(req));
    const settings = await accounts.changeIdentitySettings(context.db, change);
    await recordAudit(context.db, {
      actor: actorOf(res),
      entity_type: 'identity_settings',
      entity_id: 'identity',
      action: 'update',
      changes: change,
    });
    sendJson(res, settings, context.config.timeZone);
  });
  router.all('/', methodNotAllowedHandler(['GET', 'HEAD', 'PATCH']));
  return router;
}
