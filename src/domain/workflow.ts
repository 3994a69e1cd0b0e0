// The staff workflow: detailed statuses behind the standard's open/closed, and the rules of a change.
import { badRequest, changedSinceRead, notFound, preconditionFailed, preconditionRequired } from '../errors.js';
import type { Db } from '../store/db.js';
import * as staffStore from '../store/staff-requests-store.js';
import type { StaffDuplicateInput, StaffQueueInput, StaffRequestPatch } from '../types/generated.js';
import { endOfDay, parseDateTime, type ParsedDateTime } from './datetime.js';
import { pageWindow } from './paging.js';
import { parseBbox } from './requests.js';
import type { Jurisdiction, RequestStatus } from './types.js';
import { findTemplate } from '../store/response-templates-store.js';
import { findAccount } from '../store/staff-accounts-store.js';

export type StaffRequestView = staffStore.StaffRequest;

export type DetailedStatus = 'submitted' | 'acknowledged' | 'in_progress' | 'on_hold' | 'closed' | 'duplicate' | 'rejected';

export const STANDARD_STATUS: Record<DetailedStatus, RequestStatus> = {
  submitted: 'open',
  acknowledged: 'open',
  in_progress: 'open',
  on_hold: 'open',
  closed: 'closed',
  duplicate: 'closed',
  rejected: 'closed',
};

export const STATUS_LABELS: Record<DetailedStatus, string> = {
  submitted: 'Submitted',
  acknowledged: 'Acknowledged',
  in_progress: 'In progress',
  on_hold: 'On hold',
  closed: 'Closed',
  duplicate: 'Closed as a duplicate',
  rejected: 'Rejected',
};

export interface Actor {
  /** The API key, or null when a person (staff account) acts. */
  key_id: string | null;
  staff_id?: string | null;
  name: string;
}

/** A staff change of a request (staff-request-patch.json); assigned_to may be "me", template_id a response template. */
export type RequestPatch = StaffRequestPatch;

/** The version a change was made on: from If-Match ("<id>-v<version>") or the body's `version`. */
export function expectedVersion(id: string, ifMatch: string | undefined, bodyVersion: number | undefined): number {
  if (ifMatch !== undefined) {
    const match = /^(?:W\/)?"(\d+)-v(\d+)"$/.exec(ifMatch.trim());
    // An ETag of another request is no statement about this one.
    if (!match || match[1] !== id) throw preconditionFailed('If-Match must be the ETag of this request as last read.');
    const version = Number(match[2]);
    if (bodyVersion !== undefined && bodyVersion !== version) throw badRequest('If-Match and version name different versions.');
    return version;
  }
  if (bodyVersion !== undefined) return bodyVersion;
  throw preconditionRequired(
    'Say which version you changed: send If-Match with the ETag of the request, or "version" in the body.',
  );
}

export const etagOf = (id: string, version: number): string => `"${id}-v${version}"`;

export async function changeRequest(
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  input: RequestPatch,
  ifMatch: string | undefined,
  actor: Actor,
): Promise<staffStore.StaffRequest> {
  const patch = { ...input };
  const version = expectedVersion(id, ifMatch, patch.version);
  let template: { id: string; name: string } | undefined;
  if (patch.template_id !== undefined) {
    const found = await findTemplate(db, jurisdiction.jurisdiction_id, patch.template_id);
    if (!found) throw badRequest(`template_id ${patch.template_id} is not a response template of this jurisdiction.`);
    if (found.service_code !== null) {
      const request = await staffStore.getStaffRequest(db, jurisdiction.jurisdiction_id, id);
      if (!request) throw notFound(`No service request with id ${id}.`);
      if (request.service_code !== found.service_code)
        throw badRequest(`Template "${found.name}" is for service ${found.service_code}, not ${request.service_code}.`);
    }
    if (patch.status_notes === undefined) patch.status_notes = found.text;
    if (patch.status === undefined && found.status !== null) patch.status = found.status as DetailedStatus;
    template = { id: found.id, name: found.name };
  }
  const change: staffStore.RequestChange = {};
  if (patch.assigned_to !== undefined) change.assigned_staff_id = await assigneeOf(db, patch.assigned_to, actor);
  if (patch.status !== undefined) change.detailed_status = patch.status;
  if (patch.status !== undefined) change.status = STANDARD_STATUS[patch.status];
  if (patch.status_notes !== undefined) change.status_notes = patch.status_notes;
  if (patch.agency_responsible !== undefined) change.agency_responsible = patch.agency_responsible;
  if (patch.service_notice !== undefined) change.service_notice = patch.service_notice;
  if (patch.expected_datetime !== undefined) {
    change.expected_datetime =
      patch.expected_datetime === null ? null : parseDateTime(patch.expected_datetime, jurisdiction.time_zone)!.date;
  }
  if (patch.status === 'duplicate')
    throw badRequest('Use POST /api/v1/requests/{id}/duplicate-of to mark a duplicate: it needs the original.');
  const result = await staffStore.applyChange(db, {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    id,
    expected_version: version,
    change,
    internal_note: patch.internal_note,
    actor,
    labels: STATUS_LABELS,
    template,
  });
  if (result.outcome === 'not_found') throw notFound(`No service request with id ${id}.`);
  if (result.outcome === 'conflict') throw changedSinceRead(id, result.current_version, etagOf(id, result.current_version));
  return (await staffStore.getStaffRequest(db, jurisdiction.jurisdiction_id, id))!;
}

/** The account a request is assigned to: "me" is the person acting (a key is nobody), others must be active. */
async function assigneeOf(db: Db, assignedTo: string | null, actor: Actor): Promise<string | null> {
  if (assignedTo === null) return null;
  if (assignedTo === 'me') {
    if (!actor.staff_id) throw badRequest('assigned_to "me" needs a signed-in person; an API key must name the account id.');
    return actor.staff_id;
  }
  const account = await findAccount(db, assignedTo);
  if (!account?.active) throw badRequest(`assigned_to ${assignedTo} is not an active staff account.`);
  return account.id;
}

export async function markDuplicate(
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  input: StaffDuplicateInput,
  ifMatch: string | undefined,
  actor: Actor,
): Promise<staffStore.StaffRequest> {
  const version = expectedVersion(id, ifMatch, input.version);
  if (input.original === id) throw badRequest('A request cannot be a duplicate of itself.');
  const original = await staffStore.getStaffRequest(db, jurisdiction.jurisdiction_id, input.original);
  if (!original) throw notFound(`No service request with id ${input.original} (the original).`);
  if (original.duplicate_of)
    throw badRequest(`Request ${input.original} is itself a duplicate of ${original.duplicate_of}; point to that one.`);
  const result = await staffStore.applyChange(db, {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    id,
    expected_version: version,
    change: {
      status: 'closed',
      detailed_status: 'duplicate',
      duplicate_of: input.original,
      status_notes: `Duplicate of request ${input.original}.`,
    },
    actor,
    labels: STATUS_LABELS,
  });
  if (result.outcome === 'not_found') throw notFound(`No service request with id ${id}.`);
  if (result.outcome === 'conflict') throw changedSinceRead(id, result.current_version, etagOf(id, result.current_version));
  return (await staffStore.getStaffRequest(db, jurisdiction.jurisdiction_id, id))!;
}

export async function getForStaff(db: Db, jurisdiction: Jurisdiction, id: string): Promise<staffStore.StaffRequest> {
  const found = await staffStore.getStaffRequest(db, jurisdiction.jurisdiction_id, id);
  if (!found) throw notFound(`No service request with id ${id}.`);
  return found;
}

export async function findDuplicates(
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  search: { radius_meters: number; window_hours: number },
) {
  const found = await staffStore.findDuplicateCandidates(
    db,
    jurisdiction.jurisdiction_id,
    id,
    search.radius_meters,
    search.window_hours,
  );
  if (!found) throw notFound(`No service request with id ${id}.`);
  return found;
}

export type QueueInput = StaffQueueInput;

/** A date-only end includes that whole day, as in the GeoReport list. */
const endOf = (parsed: ParsedDateTime, zone: string): Date => (parsed.dateOnly ? endOfDay(parsed.date, zone) : parsed.date);

/**
 * `actor` resolves assigned_to=me; without a person (a key), "me" matches nothing. `countUpTo` bounds the count
 * (pages for people: "more than 10,000"); the API counts exactly.
 */
export async function queue(db: Db, jurisdiction: Jurisdiction, input: QueueInput, actor?: Actor, countUpTo?: number) {
  const zone = jurisdiction.time_zone;
  const { page, page_size: pageSize, limit, offset } = pageWindow(input, 50);
  const bbox = input.bbox === undefined ? undefined : parseBbox(input.bbox);
  const filter: staffStore.QueueFilter = {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    ...(input.service_request_id ? { ids: input.service_request_id } : {}),
    ...(input.status ? { statuses: input.status } : {}),
    ...(input.service_code ? { service_codes: input.service_code } : {}),
    ...(input.group ? { groups: input.group } : {}),
    ...(input.agency ? { agencies: input.agency } : {}),
    ...(input.assigned_to === undefined
      ? {}
      : {
          assigned_to:
            input.assigned_to === 'none' ? null : input.assigned_to === 'me' ? (actor?.staff_id ?? '0') : input.assigned_to,
        }),
    ...(input.overdue !== undefined ? { overdue: input.overdue } : {}),
    ...(input.suspected_duplicate !== undefined ? { suspected_duplicate: input.suspected_duplicate } : {}),
    ...(input.q ? { text: input.q } : {}),
    ...(input.start_date ? { from: parseDateTime(input.start_date, zone)!.date } : {}),
    ...(input.end_date ? { to: endOf(parseDateTime(input.end_date, zone)!, zone) } : {}),
    ...(input.lat !== undefined && input.long !== undefined && input.radius !== undefined
      ? { near: { lat: input.lat, long: input.long, radius: input.radius } }
      : {}),
    ...(bbox ? { bbox } : {}),
    sort: input.sort ?? '-requested_datetime',
    limit,
    offset,
  };
  const { total, capped, requests } = await staffStore.queryQueue(db, filter, countUpTo);
  return { total, ...(capped ? { total_capped: true as const } : {}), page, page_size: pageSize, requests };
}
