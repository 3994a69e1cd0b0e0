// Staff reads and writes of requests: the queue, the full record (private data included: staff only),
// and changes with optimistic locking, public history, audit trail and webhook event in one transaction.
import type { Knex } from 'knex';
import type { Db } from './db.js';
import type { RequestQuery } from '../domain/types.js';
import { enqueueAssignmentNotification, enqueueChangeNotifications } from './notifications-store.js';
import { enqueueEvent } from './outbox-store.js';
import { isStorableId } from './ids.js';
import { publicRequestColumns } from './request-columns.js';
import { DUPLICATE_WINDOW_SQL, REQUEST_EVENT_PAYLOAD_SQL } from './request-rules-sql.js';
import { insideBox, withinMeters } from './spatial.js';

export interface QueueFilter {
  jurisdiction_id: string;
  ids?: string[];
  statuses?: string[];
  service_codes?: string[];
  /** Service groups (services.service_group, exact). */
  groups?: string[];
  agencies?: string[];
  /** A staff account id, or null for requests assigned to nobody. */
  assigned_to?: string | null;
  overdue?: boolean;
  suspected_duplicate?: boolean;
  text?: string;
  from?: Date;
  to?: Date;
  near?: RequestQuery['near'];
  bbox?: RequestQuery['bbox'];
  sort: string;
  limit: number;
  offset: number;
}

export interface StaffRequestSummary {
  service_request_id: string;
  status: 'open' | 'closed';
  detailed_status: string;
  status_notes: string | null;
  service_code: string;
  service_name: string;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: Date;
  updated_datetime: Date;
  expected_datetime: Date | null;
  closed_datetime: Date | null;
  overdue: boolean;
  address: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
  channel: string | null;
  duplicate_of: string | null;
  suspected_duplicate_of: string | null;
  version: number;
  /** The person working on it (staff only: never in a public answer). */
  assigned_to: { id: string; name: string } | null;
}

export interface StaffRequest extends StaffRequestSummary {
  title: string | null;
  address_id: string | null;
  zipcode: string | null;
  media_urls: string[];
  attributes: Record<string, string[]>;
  submitter: Record<string, string | null> | null;
  history: Array<{
    update_id: string;
    datetime: Date;
    type: string;
    public: boolean;
    status: string;
    detailed_status: string;
    summary: string | null;
    description: string | null;
  }>;
  audit: Array<{ occurred_at: Date; actor: string; action: string; changes: unknown }>;
}

function summaryColumns(db: Db) {
  // The documented order of the staff answer; address_id and zipcode are in the full record only.
  return [
    ...publicRequestColumns(db, ['service_request_id', 'status']),
    'r.detailed_status',
    ...publicRequestColumns(db, [
      'status_notes',
      'service_code',
      'service_name',
      'description',
      'agency_responsible',
      'service_notice',
      'requested_datetime',
      'updated_datetime',
      'expected_datetime',
    ]),
    'r.closed_datetime',
    db.raw(`COALESCE(r.status = 'open' AND r.expected_datetime < now(), false) AS overdue`),
    ...publicRequestColumns(db, ['address', 'lat', 'long', 'media_url']),
    'r.channel',
    db.raw('r.duplicate_of::text AS duplicate_of'),
    db.raw('r.suspected_duplicate_of::text AS suspected_duplicate_of'),
    'r.version',
    db.raw(
      `CASE WHEN assignee.id IS NULL THEN NULL ELSE json_build_object('id', assignee.id::text, 'name', assignee.display_name) END AS assigned_to`,
    ),
  ];
}

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (character) => `\\${character}`);

function applyQueueFilter(db: Db, builder: Knex.QueryBuilder, filter: QueueFilter): Knex.QueryBuilder {
  builder.where('r.jurisdiction_id', filter.jurisdiction_id);
  if (filter.ids) {
    const ids = filter.ids.filter(isStorableId);
    if (ids.length === 0) return builder.whereRaw('false');
    builder.whereIn('r.id', ids);
  }
  if (filter.statuses) {
    const standard = filter.statuses.filter((status) => status === 'open' || status === 'closed');
    const detailed = filter.statuses.filter((status) => status !== 'open' && status !== 'closed');
    builder.where((where) => {
      if (standard.length) where.orWhereIn('r.status', standard);
      if (detailed.length) where.orWhereIn('r.detailed_status', detailed);
    });
  }
  // Semi-joins on the few services named, so the request side uses its service_id index and the count needs
  // no join at all.
  if (filter.service_codes)
    builder.whereIn(
      'r.service_id',
      db('services').select('id').where('jurisdiction_id', filter.jurisdiction_id).whereIn('service_code', filter.service_codes),
    );
  if (filter.groups)
    builder.whereIn(
      'r.service_id',
      db('services').select('id').where('jurisdiction_id', filter.jurisdiction_id).whereIn('service_group', filter.groups),
    );
  if (filter.agencies) builder.whereIn('r.agency_responsible', filter.agencies);
  if (filter.assigned_to === null) builder.whereNull('r.assigned_staff_id');
  else if (filter.assigned_to !== undefined) {
    if (!isStorableId(filter.assigned_to)) return builder.whereRaw('false');
    builder.where('r.assigned_staff_id', filter.assigned_to);
  }
  if (filter.overdue === true) builder.where('r.status', 'open').andWhereRaw('r.expected_datetime < now()');
  if (filter.overdue === false)
    builder.whereRaw(`NOT (r.status = 'open' AND r.expected_datetime IS NOT NULL AND r.expected_datetime < now())`);
  if (filter.suspected_duplicate === true) builder.whereNotNull('r.suspected_duplicate_of');
  if (filter.suspected_duplicate === false) builder.whereNull('r.suspected_duplicate_of');
  if (filter.text) {
    const pattern = `%${escapeLike(filter.text)}%`;
    builder.where((where) =>
      where
        .whereRaw(`r.description ILIKE ? ESCAPE '\\'`, [pattern])
        .orWhereRaw(`r.address ILIKE ? ESCAPE '\\'`, [pattern])
        // An imported request is also found by its id in the system it came from.
        .orWhere('r.external_id', filter.text),
    );
  }
  if (filter.from) builder.where('r.requested_datetime', '>=', filter.from);
  if (filter.to) builder.where('r.requested_datetime', '<=', filter.to);
  if (filter.near) builder.where(withinMeters(db, 'r.location', filter.near));
  if (filter.bbox) builder.where(insideBox(db, 'r.location', filter.bbox));
  return builder;
}

const fromRequests = (db: Db): Knex.QueryBuilder =>
  db('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .leftJoin('staff_accounts as assignee', 'assignee.id', 'r.assigned_staff_id');

/** Sort columns that may be null (ascending order puts nulls last by default). */
const NULLABLE_SORTS = new Set(['r.expected_datetime']);

export interface QueueCount {
  /** Matching requests; when `capped`, the cap (more match). */
  total: number;
  capped: boolean;
}

/**
 * A page of the queue and its count. With `countUpTo`, matches are counted only that far (a walk of at most
 * that many index entries): an exact count of every request of a large city costs more than the page itself.
 */
export async function queryQueue(
  db: Db,
  filter: QueueFilter,
  countUpTo?: number,
): Promise<QueueCount & { requests: StaffRequestSummary[] }> {
  const descending = filter.sort.startsWith('-');
  const column = `r.${filter.sort.replace(/^-/, '')}`;
  // Every filter is on the request row itself (see applyQueueFilter): the count reads that table alone.
  const matches = applyQueueFilter(db, db('service_requests as r'), filter);
  const counted =
    countUpTo === undefined
      ? matches.count({ count: '*' }).first()
      : db
          .count({ count: '*' })
          .from(
            matches
              .select(db.raw('1'))
              .limit(countUpTo + 1)
              .as('capped'),
          )
          .first();
  const [rows, count] = await Promise.all([
    applyQueueFilter(db, fromRequests(db).select(summaryColumns(db)), filter)
      // NULLS LAST only where a column can be null (expected_datetime): on the NOT NULL dates it changes
      // nothing but would keep the planner off their (…, date DESC, id DESC) indexes, a sort of every row.
      .orderByRaw(
        `${column} ${descending ? 'DESC' : 'ASC'}${descending && NULLABLE_SORTS.has(column) ? ' NULLS LAST' : ''}, r.id ${descending ? 'DESC' : 'ASC'}`,
      )
      .limit(filter.limit)
      .offset(filter.offset),
    counted,
  ]);
  const total = Number((count as { count: string | number } | undefined)?.count ?? 0);
  const capped = countUpTo !== undefined && total > countUpTo;
  return { total: capped ? countUpTo : total, capped, requests: rows as StaffRequestSummary[] };
}

export async function getStaffRequest(db: Db, jurisdictionId: string, id: string): Promise<StaffRequest | undefined> {
  if (!isStorableId(id)) return undefined;
  const row = (await fromRequests(db)
    .select([...summaryColumns(db), 'r.title', 'r.address_id', 'r.zipcode', 'r.media_urls', 'r.attributes'])
    .where({ 'r.jurisdiction_id': jurisdictionId, 'r.id': id })
    .first()) as (StaffRequest & { attributes: Record<string, string[]> }) | undefined;
  if (!row) return undefined;
  const [submitter, history, audit] = await Promise.all([
    db('service_request_submitters')
      .select('email', 'phone', 'first_name', 'last_name', 'device_id', 'account_id')
      .where({ service_request_id: id })
      .first(),
    db('service_request_updates')
      .select(
        db.raw('id::text AS update_id'),
        'updated_datetime AS datetime',
        'note_type AS type',
        'is_public AS public',
        'status',
        'detailed_status',
        'summary',
        'description',
      )
      .where({ service_request_id: id })
      .orderBy([{ column: 'updated_datetime' }, { column: 'id' }]),
    db('audit_log')
      .select('occurred_at', 'actor_name AS actor', 'action', 'changes')
      .where({ entity_type: 'service_request', entity_id: id })
      .orderBy([{ column: 'occurred_at' }, { column: 'id' }]),
  ]);
  return { ...row, submitter: submitter ?? null, history, audit };
}

export interface RequestChange {
  status?: 'open' | 'closed';
  detailed_status?: string;
  status_notes?: string | null;
  agency_responsible?: string | null;
  service_notice?: string | null;
  expected_datetime?: Date | null;
  duplicate_of?: string;
  /** A staff account id (checked to be active by the caller), or null to unassign. */
  assigned_staff_id?: string | null;
}

export type ChangeResult =
  | { outcome: 'changed' | 'unchanged'; version: number }
  | { outcome: 'not_found' }
  | { outcome: 'conflict'; current_version: number };

const same = (a: unknown, b: unknown): boolean =>
  a instanceof Date || b instanceof Date ? (a as Date | null)?.getTime?.() === (b as Date | null)?.getTime?.() : a === b;

/**
 * Applies a staff change if the request is still at `expected_version`. Everything happens in one
 * transaction: the row (version + 1), a public history entry when the status or its notes change, an
 * internal note, the audit row and the request.updated webhook event.
 */
export async function applyChange(
  db: Db,
  input: {
    jurisdiction_id: string;
    id: string;
    expected_version: number;
    change: RequestChange;
    internal_note?: string | undefined;
    actor: { key_id: string | null; staff_id?: string | null; name: string };
    labels: Record<string, string>;
    /** The response template the change was made from, for the audit trail. */
    template?: { id: string; name: string } | undefined;
  },
): Promise<ChangeResult> {
  if (!isStorableId(input.id)) return { outcome: 'not_found' };
  return db.transaction(async (trx) => {
    const current = (await trx('service_requests')
      .select(
        'status',
        'detailed_status',
        'status_notes',
        'agency_responsible',
        'service_notice',
        'expected_datetime',
        db.raw('duplicate_of::text AS duplicate_of'),
        db.raw('assigned_staff_id::text AS assigned_staff_id'),
        'version',
      )
      .where({ id: input.id, jurisdiction_id: input.jurisdiction_id })
      .forUpdate()
      .first()) as (Required<RequestChange> & { version: number }) | undefined;
    if (!current) return { outcome: 'not_found' } as const;
    if (current.version !== input.expected_version) return { outcome: 'conflict', current_version: current.version } as const;

    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [field, value] of Object.entries(input.change) as Array<[keyof RequestChange, unknown]>) {
      if (!same(current[field], value)) changes[field] = { from: current[field] ?? null, to: value ?? null };
    }
    if (Object.keys(changes).length === 0 && !input.internal_note)
      return { outcome: 'unchanged', version: current.version } as const;

    const version = current.version + 1;
    const update: Record<string, unknown> = { version, updated_datetime: trx.fn.now() };
    for (const field of Object.keys(changes)) update[field] = input.change[field as keyof RequestChange];
    const closing = changes.status && input.change.status === 'closed';
    const reopening = changes.status && input.change.status === 'open';
    if (closing) update.closed_datetime = trx.fn.now();
    if (reopening) {
      update.closed_datetime = null;
      update.duplicate_of = null;
    }
    if (Object.keys(changes).length > 0) {
      await trx('service_requests').where({ id: input.id }).update(update);
    } else {
      await trx('service_requests').where({ id: input.id }).update({ version });
    }

    const status = (input.change.status ?? current.status) as string;
    const detailed = (input.change.detailed_status ?? current.detailed_status) as string;
    if (changes.detailed_status || changes.status_notes) {
      await trx('service_request_updates').insert({
        service_request_id: input.id,
        jurisdiction_id: input.jurisdiction_id,
        note_type: closing ? 'closed' : reopening ? 'reopened' : 'activity',
        status,
        detailed_status: detailed,
        summary: changes.detailed_status ? (input.labels[detailed] ?? detailed) : 'Status notes updated',
        description: (input.change.status_notes !== undefined ? input.change.status_notes : current.status_notes) ?? '',
        api_key_id: input.actor.key_id,
      });
    }
    if (input.internal_note) {
      await trx('service_request_updates').insert({
        service_request_id: input.id,
        jurisdiction_id: input.jurisdiction_id,
        note_type: 'internal',
        status,
        detailed_status: detailed,
        summary: `Internal note by ${input.actor.name}`,
        description: input.internal_note,
        api_key_id: input.actor.key_id,
        is_public: false,
      });
    }
    // Assignment is audited with the names as they were, so the trail reads without a lookup.
    const assignment = changes.assigned_staff_id;
    if (assignment) {
      delete changes.assigned_staff_id;
      const ids = [assignment.from, assignment.to].filter((id): id is string => typeof id === 'string');
      const names = new Map<string, string>(
        (await trx('staff_accounts').select(trx.raw('id::text AS id'), 'display_name').whereIn('id', ids)).map(
          (row: { id: string; display_name: string }) => [row.id, row.display_name],
        ),
      );
      const person = (id: unknown) => (typeof id === 'string' ? { id, name: names.get(id) ?? null } : null);
      changes.assigned_to = { from: person(assignment.from), to: person(assignment.to) };
    }
    await trx('audit_log').insert({
      actor_key_id: input.actor.key_id,
      actor_staff_id: input.actor.staff_id ?? null,
      actor_name: input.actor.name,
      entity_type: 'service_request',
      entity_id: input.id,
      action: assignment && Object.keys(changes).length === 1 && !input.internal_note ? 'assign' : 'update',
      changes: JSON.stringify({
        ...changes,
        ...(input.template ? { template: input.template } : {}),
        ...(input.internal_note ? { internal_note: { added: true } } : {}),
        version: { from: current.version, to: version },
      }),
    });
    // The event carries what request.created carries (the one payload rule), plus the change; and the assignee,
    // since webhooks go to the city's own systems (a staff-only field there, never in GeoReport answers).
    const event = (await trx('service_requests as r')
      .join('services as s', 's.id', 'r.service_id')
      .leftJoin('staff_accounts as a', 'a.id', 'r.assigned_staff_id')
      .select(
        trx.raw(`${REQUEST_EVENT_PAYLOAD_SQL('r', 's', 'r.detailed_status')} AS payload`),
        trx.raw('a.id::text AS assignee_id'),
        'a.display_name AS assignee_name',
      )
      .where('r.id', input.id)
      .first()) as { payload: Record<string, unknown>; assignee_id: string | null; assignee_name: string | null };
    await enqueueEvent(trx, {
      jurisdiction_id: input.jurisdiction_id,
      type: 'request.updated',
      payload: {
        ...event.payload,
        assigned_to: event.assignee_id ? { id: event.assignee_id, name: event.assignee_name } : null,
        changed: Object.keys(changes),
      },
    });
    // A public change (the same that writes a public history entry) is e-mailed to the submitter and the
    // followers; an internal note alone is not.
    if (changes.detailed_status || changes.status_notes) {
      await enqueueChangeNotifications(trx, {
        service_request_id: input.id,
        version,
        template: status === 'closed' ? 'closed' : 'update',
      });
    }
    // The person a request is assigned to hears about it (assignment comes with staff accounts).
    // `assignment` is the assigned_staff_id change (recorded as assigned_to in the audit above).
    const assignedTo = input.change.assigned_staff_id;
    if (assignment && assignedTo) {
      await enqueueAssignmentNotification(trx, { service_request_id: input.id, version, staff_id: String(assignedTo) });
    }
    return { outcome: 'changed', version } as const;
  });
}

/** Open requests of the same service near this one and recent (PostGIS), nearest first. */
export async function findDuplicateCandidates(
  db: Db,
  jurisdictionId: string,
  id: string,
  radiusMeters: number,
  windowHours: number,
) {
  if (!isStorableId(id)) return undefined;
  const self = await db('service_requests').select('id').where({ id, jurisdiction_id: jurisdictionId }).first();
  if (!self) return undefined;
  const rows = await db('service_requests as other')
    .join('service_requests as self', 'self.id', db.raw('?', [id]))
    .join('services as s', 's.id', 'other.service_id')
    .select(
      db.raw('other.id::text AS service_request_id'),
      's.service_code',
      'other.status',
      'other.detailed_status',
      'other.description',
      'other.address',
      'other.requested_datetime',
      db.raw('round(ST_Distance(other.location, self.location)::numeric, 1)::float8 AS distance_meters'),
    )
    .whereRaw('other.service_id = self.service_id')
    .andWhere('other.jurisdiction_id', jurisdictionId)
    .andWhere('other.status', 'open')
    .andWhereRaw('other.id <> self.id')
    .andWhereRaw(DUPLICATE_WINDOW_SQL('other.requested_datetime', 'self.requested_datetime', '?'), [windowHours, windowHours])
    .andWhereRaw('ST_DWithin(other.location, self.location, ?)', [radiusMeters])
    .orderByRaw('ST_Distance(other.location, self.location), other.id')
    .limit(50);
  return rows as Array<Record<string, unknown>>;
}
