// EXT (FixMyStreet / mySociety, digest §3.6): the feed of public request updates and clients' comments.
import { badRequest, notFound } from '../errors.js';
import type { Db } from '../store/db.js';
import * as updatesStore from '../store/updates-store.js';
import type { CreateUpdateInput, QueryUpdatesInput } from '../types/generated.js';
import { parseDateTime } from './datetime.js';
import { withUploads, type MediaSink } from './media.js';
import type { Jurisdiction, RequestUpdate } from './types.js';

export const MAX_UPDATES = 1000;
/** How far ahead of the server's clock a client's updated_datetime may be. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY = 24 * 3600 * 1000;

export async function findUpdates(
  db: Db,
  jurisdiction: Jurisdiction,
  input: QueryUpdatesInput,
  now: Date,
): Promise<RequestUpdate[]> {
  const zone = jurisdiction.time_zone;
  const start = input.start_date === undefined ? undefined : parseDateTime(input.start_date, zone)!.date;
  const end = input.end_date === undefined ? undefined : parseDateTime(input.end_date, zone)!.date;
  // FixMyStreet asks for the last couple of hours, or nothing: then the last 24 hours.
  const to = end ?? now;
  const from = start ?? new Date(to.getTime() - DAY);
  if (from > to) throw badRequest('start_date must not be after end_date.');
  return updatesStore.findUpdates(db, jurisdiction.jurisdiction_id, from, to, MAX_UPDATES);
}

export async function addComment(
  db: Db,
  jurisdiction: Jurisdiction,
  input: CreateUpdateInput,
  apiKeyId: string,
  uploads: Array<{ bytes: Buffer }> = [],
  mediaSink?: MediaSink,
  now: Date = new Date(),
): Promise<{ update_id: string }> {
  // The client's time of the comment is the time of the update (FixMyStreet sends its comment's time);
  // a time in the future beyond a clock's usual error is a mistake, not a comment.
  const updatedAt = parseDateTime(input.updated_datetime, jurisdiction.time_zone)!.date;
  if (updatedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw badRequest(
      `updated_datetime must not be in the future (it may be at most ${MAX_CLOCK_SKEW_MS / 60000} minutes ahead of the server's clock).`,
    );
  }
  if (uploads.length > 0 && !mediaSink) throw new Error('addComment got uploads without a media sink');
  const stored = await withUploads(uploads, mediaSink!, async (urls) => {
    const result = await updatesStore.insertComment(db, {
      jurisdiction_id: jurisdiction.jurisdiction_id,
      service_request_id: input.service_request_id,
      client_update_id: input.update_id,
      client_status: input.status.toUpperCase(),
      updated_datetime: updatedAt,
      description: input.description ?? '',
      media_urls: urls.length > 0 ? urls : (input.media_url ?? []),
      api_key_id: apiKeyId,
    });
    // Unknown request: throw so the uploaded files are removed again.
    if (!result) throw notFound(`No service request with id ${input.service_request_id}.`);
    return result;
  });
  return stored;
}
