// Staff API access: `Authorization: Bearer <key>` with a staff or admin key (integrations), or the staff
// session cookie of a signed-in person (browser). No credentials → 401; a key or person without the role (a
// client key) → 403. Writes authenticated by the cookie must carry the session's CSRF token (X-CSRF-Token).
// A key, when sent, decides: a bad key is a 401 even alongside a good session.
import type { NextFunction, Request, Response } from 'express';
import { roleRequired, staffKeyNotValid, staffKeyRequired, twoFactorEnrolmentRequired } from '../../errors.js';
import type { KeyRole } from '../../store/api-keys-store.js';
import type { AppContext } from '../context.js';
import { sessionPerson } from '../session.js';

/** Who does something: an API key (integrations) or a person (staff account). */
export interface Actor {
  kind: 'key' | 'person';
  /** The key, for a key; null for a person. */
  key_id: string | null;
  /** The staff account, for a person; null for a key. */
  staff_id: string | null;
  name: string;
  role: KeyRole;
  email?: string;
  agencies?: string[];
}

const RANK: Record<KeyRole, number> = { client: 0, staff: 1, admin: 2 };

export const actorOf = (res: Response): Actor => res.locals.actor as Actor;

async function authenticate(context: AppContext, req: Request, res: Response): Promise<Actor> {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (bearer) {
    // The one lookup path of keys (domain/intake.ts), read fresh: a revoked key is refused at once.
    const record = await context.intakeLookups.apiKey(bearer, true);
    if (!record) throw staffKeyNotValid();
    return { kind: 'key', key_id: record.id, staff_id: null, name: record.name, role: record.role };
  }
  const person = header === '' ? await sessionPerson(context, req, res) : ({ kind: 'none' } as const);
  if (person.kind === 'none') throw staffKeyRequired();
  if (person.kind === 'enrol') throw twoFactorEnrolmentRequired();
  res.locals.session = person.session;
  return person.actor;
}

export function requireRole(context: AppContext, role: 'staff' | 'admin') {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // Nested routers ask again (staff, then admin): authenticate once per request.
    const actor: Actor = (res.locals.actor as Actor | undefined) ?? (await authenticate(context, req, res));
    res.locals.actor = actor;
    if (RANK[actor.role] < RANK[role]) throw roleRequired(role, actor.kind, actor.role);
    next();
  };
}
