// Staff API access: `Authorization: Bearer <key>` with a staff or admin key. No key → 401; a key
// without the role (a client key) → 403.
import type { NextFunction, Request, Response } from 'express';
import { Open311Error } from '../../errors.js';
import { findActiveKey, type KeyRole } from '../../store/api-keys-store.js';
import type { AppContext } from '../context.js';

export interface Actor {
  key_id: string;
  name: string;
  role: KeyRole;
}

const RANK: Record<KeyRole, number> = { client: 0, staff: 1, admin: 2 };

export const actorOf = (res: Response): Actor => res.locals.actor as Actor;

export function requireRole(context: AppContext, role: 'staff' | 'admin') {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!bearer) {
      throw new Open311Error(401, ['This API needs a staff key: send Authorization: Bearer <key>.'], {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const record = await findActiveKey(context.db, bearer);
    if (!record) throw new Open311Error(401, ['The key is not valid.'], { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    if (RANK[record.role] < RANK[role]) {
      throw new Open311Error(403, [
        `This operation needs a${role === 'admin' ? 'n admin' : ' staff'} key; this key's role is ${record.role}.`,
      ]);
    }
    res.locals.actor = { key_id: record.id, name: record.name, role: record.role } satisfies Actor;
    next();
  };
}
