// The public history of requests, read as FixMyStreet's servicerequestupdates feed and written by clients' comments.
import type { Db } from './db.js';
import type { RequestStatus, RequestUpdate } from '../domain/types.js';
import { isStorableId } from './ids.js';

export async function findUpdates(db: Db, jurisdictionId: string, from: Date, to: Date, limit: number): Promise<RequestUpdate[]> {
  const rows: Array<RequestUpdate & { media_url: string | null }> = await db('service_request_updates as u')
    .join('service_requests as r', 'r.id', 'u.service_request_id')
    .select(
      db.raw('u.id::text AS update_id'),
      db.raw('u.service_request_id::text AS service_request_id'),
      'u.status',
      'u.updated_datetime',
      'u.description',
      db.raw('u.media_urls[1] AS media_url'),
    )
    .where({ 'u.jurisdiction_id': jurisdictionId, 'u.is_public': true, 'r.is_public': true })
    // The creation entry is not an update: FixMyStreet would show it as an empty comment.
    .whereNot('u.note_type', 'opened')
    .where('u.updated_datetime', '>=', from)
    .where('u.updated_datetime', '<=', to)
    .orderBy([{ column: 'u.updated_datetime' }, { column: 'u.id' }])
    .limit(limit);
  return rows.map((row) => ({ ...row, description: row.description ?? '', media_url: row.media_url ?? '' }));
}

export interface NewComment {
  jurisdiction_id: string;
  service_request_id: string;
  client_update_id: string;
  client_status: string;
  /** When the client made the comment (its updated_datetime). */
  updated_datetime: Date;
  description: string;
  media_urls: string[];
  api_key_id: string;
}

/**
 * Stores a client's public comment. Returns undefined when the request does not exist. A retry with the
 * same client update id from the same key returns the first update instead of adding another.
 */
export async function insertComment(db: Db, comment: NewComment): Promise<{ update_id: string } | undefined> {
  if (!isStorableId(comment.service_request_id)) return undefined;
  return db.transaction(async (trx) => {
    const request: { status: RequestStatus; detailed_status: string } | undefined = await trx('service_requests')
      .select('status', 'detailed_status')
      .where({ id: comment.service_request_id, jurisdiction_id: comment.jurisdiction_id, is_public: true })
      .forUpdate()
      .first();
    if (!request) return undefined;
    const existing = await trx('service_request_updates')
      .select(trx.raw('id::text AS update_id'))
      .where({
        service_request_id: comment.service_request_id,
        api_key_id: comment.api_key_id,
        client_update_id: comment.client_update_id,
      })
      .first();
    if (existing) return existing as { update_id: string };
    const [row] = (await trx('service_request_updates')
      .insert({
        service_request_id: comment.service_request_id,
        jurisdiction_id: comment.jurisdiction_id,
        note_type: 'comment',
        status: request.status,
        detailed_status: request.detailed_status,
        summary: `Comment (client status: ${comment.client_status})`,
        description: comment.description,
        updated_datetime: comment.updated_datetime,
        media_urls: comment.media_urls,
        client_update_id: comment.client_update_id,
        api_key_id: comment.api_key_id,
      })
      .returning('id')) as Array<{ id: string | number }>;
    // A new public entry is a modification of the request: change-window pollers must see it.
    await trx('service_requests').where({ id: comment.service_request_id }).update({ updated_datetime: trx.fn.now() });
    return { update_id: String(row!.id) };
  });
}
