// E-mail notifications in the store: subscriptions (submitter, follower, area alert) and the outbox of
// messages. Every message row is written in the transaction (or the one statement) of the change that causes
// it; delivery_key is unique, so one event reaches one address once. Claims use FOR UPDATE SKIP LOCKED and a
// lease, like the webhook outbox, so several server nodes never send the same row at once.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from './db.js';
import { isStorableId } from './ids.js';
import { claimDueRows, jsonOf } from './outbox-store.js';

/** A link token: 256 random bits, URL-safe. */
export const newSubscriptionToken = (): string => randomBytes(32).toString('base64url');

/**
 * The public fields of a request, as a message's payload holds them (never the submitter's data), and its
 * service's type: a blackbox service's requests have no page on the resident site, so no tracking link.
 */
const REQUEST_PAYLOAD_SQL = (
  request: string,
  service: string,
  detailed = `${request}.detailed_status`,
): string => `jsonb_build_object(
  'service_request_id', ${request}.id::text, 'service_name', ${service}.service_name, 'service_code', ${service}.service_code,
  'description', ${request}.description, 'address', ${request}.address, 'status', ${request}.status,
  'detailed_status', ${detailed}, 'status_notes', ${request}.status_notes, 'service_type', ${service}.type)`;

/**
 * Common table expressions added to the create statement (src/store/requests-store.ts): the submitter's
 * subscription and confirmation message, and the messages of immediate area alerts the new point falls in.
 * They read the statement's `input` rows (notify_token, notify_language, notify_alerts) and `created` rows.
 */
export const CREATE_NOTIFICATIONS_SQL = `
notify_submitters AS (
  INSERT INTO notification_subscriptions (jurisdiction_id, kind, email, language, token, service_request_id, confirmed_at)
  SELECT input.jurisdiction_id, 'submitter', input.notify_email, input.notify_language, input.notify_token, input.id, now()
  FROM created JOIN input ON input.id = created.id
  WHERE input.notify_token IS NOT NULL
  RETURNING id, jurisdiction_id, service_request_id, email, language
),
notify_confirmations AS (
  INSERT INTO notification_messages (jurisdiction_id, subscription_id, service_request_id, template, recipient,
                                     recipient_role, language, payload, delivery_key)
  SELECT submitter.jurisdiction_id, submitter.id, created.id, 'confirmation', submitter.email, 'submitter',
         submitter.language, ${REQUEST_PAYLOAD_SQL('created', 'service', `'submitted'`)},
         'created:' || created.id || ':' || submitter.email
  FROM notify_submitters submitter
  JOIN created ON created.id = submitter.service_request_id
  JOIN services service ON service.id = created.service_id
),
notify_alerts AS (
  INSERT INTO notification_messages (jurisdiction_id, subscription_id, service_request_id, template, recipient,
                                     recipient_role, language, payload, delivery_key)
  SELECT alert.jurisdiction_id, alert.id, created.id, 'alert', alert.email, 'area', alert.language,
         ${REQUEST_PAYLOAD_SQL('created', 'service', `'submitted'`)}, 'alert:' || created.id || ':' || alert.id
  FROM created
  JOIN input ON input.id = created.id AND input.notify_alerts
  JOIN services service ON service.id = created.service_id
  JOIN notification_subscriptions alert ON alert.jurisdiction_id = created.jurisdiction_id AND alert.kind = 'area'
   AND alert.frequency = 'immediate' AND alert.confirmed_at IS NOT NULL AND alert.unsubscribed_at IS NULL
  LEFT JOIN service_areas area ON area.id = alert.service_area_id
  WHERE created.location IS NOT NULL AND service.type <> 'blackbox'
    AND ((alert.center IS NOT NULL AND ST_DWithin(alert.center, created.location, alert.radius_meters))
         OR (area.id IS NOT NULL AND ST_Intersects(area.area, created.location)))
  ON CONFLICT (delivery_key) DO NOTHING
)`;

/**
 * Messages for a public change of a request (status, detailed status, public note) to its submitter and
 * confirmed followers. Call inside the change's transaction, after the row was updated. `version` is the new
 * version: one message per change and address.
 */
export async function enqueueChangeNotifications(
  trx: Db,
  change: { service_request_id: string; version: number; template: 'update' | 'closed' },
): Promise<number> {
  const result = await trx.raw(
    `INSERT INTO notification_messages (jurisdiction_id, subscription_id, service_request_id, template, recipient,
                                        recipient_role, language, payload, delivery_key)
     SELECT subscription.jurisdiction_id, subscription.id, request.id, ?, subscription.email, subscription.kind,
            subscription.language, ${REQUEST_PAYLOAD_SQL('request', 'service')},
            'change:' || request.id || ':v' || ?::text || ':' || subscription.email
     FROM notification_subscriptions subscription
     JOIN service_requests request ON request.id = subscription.service_request_id
     JOIN services service ON service.id = request.service_id
     WHERE subscription.service_request_id = ? AND subscription.kind IN ('submitter', 'follower')
       AND subscription.confirmed_at IS NOT NULL AND subscription.unsubscribed_at IS NULL AND request.is_public
     ORDER BY subscription.kind DESC, subscription.id
     ON CONFLICT (delivery_key) DO NOTHING`,
    [change.template, change.version, change.service_request_id],
  );
  return Number(result.rowCount ?? result.affectedRows ?? 0);
}

/**
 * The message to the staff member a request was just assigned to (an active account with an address). Call
 * inside the change's transaction; one message per assignment (the request's new version).
 */
export async function enqueueAssignmentNotification(
  trx: Db,
  assignment: { service_request_id: string; version: number; staff_id: string },
): Promise<void> {
  await trx.raw(
    `INSERT INTO notification_messages (jurisdiction_id, service_request_id, template, recipient, recipient_role,
                                        language, payload, delivery_key)
     SELECT request.jurisdiction_id, request.id, 'assigned', account.email, 'staff', 'en',
            ${REQUEST_PAYLOAD_SQL('request', 'service')} || jsonb_build_object('assignee', account.display_name),
            'assigned:' || request.id || ':v' || ?::text || ':' || account.id
     FROM service_requests request
     JOIN services service ON service.id = request.service_id
     JOIN staff_accounts account ON account.id = ? AND account.active
     WHERE request.id = ?
     ON CONFLICT (delivery_key) DO NOTHING`,
    [assignment.version, assignment.staff_id, assignment.service_request_id],
  );
}

export interface Subscription {
  id: string;
  jurisdiction_id: string;
  kind: 'submitter' | 'follower' | 'area';
  email: string;
  language: string;
  token: string;
  service_request_id: string | null;
  confirmed_at: Date | null;
  unsubscribed_at: Date | null;
}

const SUBSCRIPTION_COLUMNS = [
  'id',
  'jurisdiction_id',
  'kind',
  'email',
  'language',
  'token',
  'service_request_id',
  'confirmed_at',
  'unsubscribed_at',
];

function subscriptionOf(row: Record<string, unknown> | undefined): Subscription | undefined {
  if (!row) return undefined;
  return {
    ...(row as unknown as Subscription),
    id: String(row.id),
    service_request_id: row.service_request_id === null ? null : String(row.service_request_id),
  };
}

/**
 * A follower of a request, waiting for the confirmation click, and the message that asks for it, in one
 * transaction. Following again after unsubscribing (or before confirming) sends a new confirmation; a
 * confirmed follower is left as is. undefined when the request does not exist, is not public or is of a
 * blackbox service (no page on the site to follow).
 */
export async function addFollower(
  db: Db,
  input: { jurisdiction_id: string; service_request_id: string; email: string; language: string },
): Promise<{ outcome: 'confirmation_sent' | 'already_following' } | undefined> {
  if (!isStorableId(input.service_request_id)) return undefined;
  return db.transaction(async (trx) => {
    const request = (await trx('service_requests as r')
      .join('services as s', 's.id', 'r.service_id')
      .select(trx.raw(REQUEST_PAYLOAD_SQL('r', 's').replace(/\s+/g, ' ') + ' AS payload'))
      .where({ 'r.id': input.service_request_id, 'r.jurisdiction_id': input.jurisdiction_id, 'r.is_public': true })
      .whereNot('s.type', 'blackbox')
      .first()) as { payload: Record<string, unknown> | string } | undefined;
    if (!request) return undefined;
    const result = await trx.raw(
      `INSERT INTO notification_subscriptions (jurisdiction_id, kind, email, language, token, service_request_id, confirmations_sent)
       VALUES (?, 'follower', ?, ?, ?, ?, 1)
       ON CONFLICT (service_request_id, email) WHERE kind = 'follower'
       DO UPDATE SET language = EXCLUDED.language, unsubscribed_at = NULL, confirmed_at = NULL,
                     confirmations_sent = notification_subscriptions.confirmations_sent + 1
       WHERE notification_subscriptions.confirmed_at IS NULL OR notification_subscriptions.unsubscribed_at IS NOT NULL
       RETURNING id::text AS id, confirmations_sent`,
      [input.jurisdiction_id, input.email, input.language, newSubscriptionToken(), input.service_request_id],
    );
    const row = (result.rows as Array<{ id: string; confirmations_sent: number }>)[0];
    if (!row) return { outcome: 'already_following' } as const;
    await trx('notification_messages').insert({
      jurisdiction_id: input.jurisdiction_id,
      subscription_id: row.id,
      service_request_id: input.service_request_id,
      template: 'follow-confirm',
      recipient: input.email,
      recipient_role: 'follower',
      language: input.language,
      payload: typeof request.payload === 'string' ? request.payload : JSON.stringify(request.payload),
      delivery_key: `confirm:${row.id}:${row.confirmations_sent}`,
    });
    return { outcome: 'confirmation_sent' } as const;
  });
}

export interface AreaAlertInput {
  jurisdiction_id: string;
  email: string;
  language: string;
  frequency: 'immediate' | 'daily';
  /** A circle… */
  center?: { lat: number; long: number; radius_meters: number };
  /** …or a service area (its code). */
  service_area_code?: string;
}

/** An area alert waiting for its confirmation click, and the message asking for it. undefined: no such service area. */
export async function addAreaAlert(
  db: Db,
  input: AreaAlertInput,
  label: (areaName: string | null) => string,
): Promise<{ id: string } | undefined> {
  return db.transaction(async (trx) => {
    let serviceAreaId: string | null = null;
    let areaName: string | null = null;
    if (input.service_area_code !== undefined) {
      const area = (await trx('service_areas')
        .select(trx.raw('id::text AS id'), 'name')
        .where({ jurisdiction_id: input.jurisdiction_id, code: input.service_area_code })
        .first()) as { id: string; name: string } | undefined;
      if (!area) return undefined;
      serviceAreaId = area.id;
      areaName = area.name;
    }
    const [row] = (await trx('notification_subscriptions')
      .insert({
        jurisdiction_id: input.jurisdiction_id,
        kind: 'area',
        email: input.email,
        language: input.language,
        token: newSubscriptionToken(),
        frequency: input.frequency,
        area_label: label(areaName),
        confirmations_sent: 1,
        service_area_id: serviceAreaId,
        ...(input.center
          ? {
              center: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [input.center.long, input.center.lat]),
              radius_meters: input.center.radius_meters,
            }
          : {}),
      })
      .returning(trx.raw('id::text AS id'))) as Array<{ id: string }>;
    await trx('notification_messages').insert({
      jurisdiction_id: input.jurisdiction_id,
      subscription_id: row!.id,
      template: 'alert-confirm',
      recipient: input.email,
      recipient_role: 'area',
      language: input.language,
      payload: JSON.stringify({ frequency: input.frequency }),
      delivery_key: `confirm:${row!.id}:1`,
    });
    return { id: row!.id };
  });
}

export async function findSubscription(db: Db, token: string): Promise<Subscription | undefined> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
  return subscriptionOf(await db('notification_subscriptions').select(SUBSCRIPTION_COLUMNS).where({ token }).first());
}

/** The confirmation click. True when the subscription exists and is active (confirming twice is fine). */
export async function confirmSubscription(db: Db, token: string): Promise<boolean> {
  const subscription = await findSubscription(db, token);
  if (!subscription || subscription.unsubscribed_at) return false;
  await db('notification_subscriptions')
    .where({ id: subscription.id })
    .whereNull('confirmed_at')
    .update({ confirmed_at: db.fn.now() });
  return true;
}

/** Unsubscribes, and withdraws its messages not sent yet. False: no such token. */
export async function unsubscribe(db: Db, token: string): Promise<boolean> {
  const subscription = await findSubscription(db, token);
  if (!subscription) return false;
  await db.transaction(async (trx) => {
    await trx('notification_subscriptions')
      .where({ id: subscription.id })
      .whereNull('unsubscribed_at')
      .update({ unsubscribed_at: trx.fn.now() });
    await trx('notification_messages')
      .where({ subscription_id: subscription.id, status: 'pending' })
      .update({ status: 'suppressed', last_error: 'unsubscribed' });
  });
  return true;
}

/**
 * "Not fixed?": a resident's public update on a request they hear about (through their subscription's
 * token). Staff see it in the history; it is a modification of the request for change-window pollers.
 */
export async function addResidentReply(db: Db, subscription: Subscription, text: string): Promise<boolean> {
  if (subscription.service_request_id === null) return false;
  return db.transaction(async (trx) => {
    const request = (await trx('service_requests')
      .select('status', 'detailed_status')
      .where({ id: subscription.service_request_id, is_public: true })
      .forUpdate()
      .first()) as { status: string; detailed_status: string } | undefined;
    if (!request) return false;
    await trx('service_request_updates').insert({
      service_request_id: subscription.service_request_id,
      jurisdiction_id: subscription.jurisdiction_id,
      note_type: 'comment',
      status: request.status,
      detailed_status: request.detailed_status,
      summary: 'Resident reports it is not fixed',
      description: text,
    });
    await trx('service_requests').where({ id: subscription.service_request_id }).update({ updated_datetime: trx.fn.now() });
    return true;
  });
}

/** A message claimed by a dispatcher, with the subscription token for its links. */
export interface ClaimedMessage {
  id: string;
  jurisdiction_id: string;
  service_request_id: string | null;
  template: string;
  recipient: string;
  recipient_role: string;
  language: string;
  payload: Record<string, unknown>;
  delivery_key: string;
  attempts: number;
  token: string | null;
  unsubscribed: boolean;
  area_label: string | null;
}

/** Claims due pending messages: locked (skipping rows other nodes hold), then leased for `leaseMs`. */
export async function claimDueMessages(db: Db, limit: number, leaseMs: number): Promise<ClaimedMessage[]> {
  const rows = await claimDueRows<ClaimedMessage>(
    db,
    {
      table: 'notification_messages',
      alias: 'm',
      select: `SELECT m.id::text AS id, m.jurisdiction_id, m.service_request_id::text AS service_request_id, m.template,
              m.recipient, m.recipient_role, m.language, m.payload, m.delivery_key, m.attempts,
              s.token, (s.unsubscribed_at IS NOT NULL) AS unsubscribed, s.area_label
       FROM notification_messages m LEFT JOIN notification_subscriptions s ON s.id = m.subscription_id`,
    },
    limit,
    leaseMs,
  );
  return rows.map((row) => ({
    ...row,
    attempts: Number(row.attempts),
    unsubscribed: row.unsubscribed === true,
    payload: jsonOf(row.payload),
  }));
}

/** How many messages this address was sent in the last hour, and when the oldest of them was sent. */
export async function sentLastHour(db: Db, recipient: string): Promise<{ count: number; oldest: Date | null }> {
  const row = (await db('notification_messages')
    .where({ recipient, status: 'sent' })
    .andWhereRaw(`sent_at > now() - interval '1 hour'`)
    .select(db.raw('count(*) AS count'), db.raw('min(sent_at) AS oldest'))
    .first()) as { count: string | number; oldest: Date | string | null } | undefined;
  const oldest = row?.oldest ?? null;
  return { count: Number(row?.count ?? 0), oldest: oldest === null ? null : new Date(oldest) };
}

export async function markSent(db: Db, id: string): Promise<void> {
  await db('notification_messages')
    .where({ id })
    .update({ status: 'sent', attempts: db.raw('attempts + 1'), sent_at: db.fn.now(), last_error: null });
}

export async function markSuppressed(db: Db, id: string, reason: string): Promise<void> {
  await db('notification_messages').where({ id, status: 'pending' }).update({ status: 'suppressed', last_error: reason });
}

/** Puts a message back without counting an attempt (the address reached its hourly cap). */
export async function deferMessage(db: Db, id: string, until: Date): Promise<void> {
  await db('notification_messages').where({ id }).update({ next_attempt_at: until, last_error: 'hourly limit of the address' });
}

/** Hands a claimed message back without an attempt: due again at once. */
export async function releaseMessage(db: Db, id: string): Promise<void> {
  await db('notification_messages').where({ id, status: 'pending' }).update({ next_attempt_at: db.fn.now() });
}

/** A failed attempt: retried after `retryInMs`, or failed for good when `retryInMs` is undefined. */
export async function markSendFailed(db: Db, id: string, error: string, retryInMs: number | undefined): Promise<void> {
  await db('notification_messages')
    .where({ id })
    .update({
      status: retryInMs === undefined ? 'failed' : 'pending',
      attempts: db.raw('attempts + 1'),
      last_error: error.slice(0, 1000),
      ...(retryInMs === undefined ? {} : { next_attempt_at: db.raw('now() + make_interval(secs => ?)', [retryInMs / 1000]) }),
    });
}

export interface MessageRecord {
  id: string;
  template: string;
  recipient_role: string;
  /** Only for the submitter and staff (whose addresses staff already see); never a follower's or an alert's. */
  recipient?: string;
  status: string;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
  last_error?: string | null;
}

function recordOf(row: MessageRecord & { recipient: string; last_error: string | null }, withErrors: boolean): MessageRecord {
  const { recipient, last_error, ...rest } = row;
  return {
    ...rest,
    id: String(row.id),
    attempts: Number(row.attempts),
    ...(row.recipient_role === 'submitter' || row.recipient_role === 'staff' ? { recipient } : {}),
    ...(withErrors ? { last_error } : {}),
  };
}

/** The notifications of one request, oldest first, for the staff view. */
export async function listRequestMessages(db: Db, jurisdictionId: string, id: string): Promise<MessageRecord[] | undefined> {
  if (!isStorableId(id)) return undefined;
  const exists = await db('service_requests').where({ id, jurisdiction_id: jurisdictionId }).first('id');
  if (!exists) return undefined;
  const rows = await db('notification_messages')
    .select('id', 'template', 'recipient_role', 'recipient', 'status', 'attempts', 'created_at', 'sent_at', 'last_error')
    .where({ service_request_id: id })
    .orderBy('id');
  return rows.map((row) => recordOf(row, false));
}

/** Messages of a jurisdiction by status (admins look at failed ones), newest first. */
export async function listMessages(
  db: Db,
  jurisdictionId: string,
  status: string | undefined,
  limit: number,
): Promise<Array<MessageRecord & { service_request_id: string | null }>> {
  const builder = db('notification_messages')
    .select(
      'id',
      db.raw('service_request_id::text AS service_request_id'),
      'template',
      'recipient_role',
      'recipient',
      'status',
      'attempts',
      'created_at',
      'sent_at',
      'last_error',
    )
    .where({ jurisdiction_id: jurisdictionId })
    .orderBy('id', 'desc')
    .limit(limit);
  if (status !== undefined) builder.where({ status });
  const rows = await builder;
  return rows.map((row) => ({ ...recordOf(row, true), service_request_id: row.service_request_id }));
}

/**
 * The digest clock, shared by the area and the overdue digests: due once the jurisdiction's local time is past
 * `hour` o'clock (`?`, bound twice) and the last digest (`last`) is older than today's digest time. Over rows
 * aliased `j` (jurisdictions); `local_date` keys a digest so that nodes racing here write it once.
 */
const DIGEST_DUE_SQL = (last: string): string =>
  `extract(hour FROM now() AT TIME ZONE j.time_zone) >= ?
         AND ${last} < (date_trunc('day', now() AT TIME ZONE j.time_zone) + make_interval(hours => ?)) AT TIME ZONE j.time_zone`;
const DIGEST_LOCAL_DATE_SQL = `to_char(now() AT TIME ZONE j.time_zone, 'YYYY-MM-DD') AS local_date`;

/**
 * Writes the digests of the due rows of `due.table` (`due.select` is the select of the rows whose DIGEST_DUE_SQL
 * holds; at most one batch of them is locked, skipping those another node holds) in one transaction: for each, the items it lists; a message when there are any; the row's last_digest_at moved on.
 */
async function writeDueDigests<Row extends { id: string }>(
  db: Db,
  clock: { hour: number; batch: number },
  due: { table: string; alias: string; select: string },
  digest: {
    items(trx: Knex.Transaction, row: Row): Promise<Array<Record<string, unknown>>>;
    message(trx: Knex.Transaction, row: Row, items: Array<Record<string, unknown>>): Promise<unknown>;
  },
): Promise<number> {
  return db.transaction(async (trx) => {
    const rows = (
      await trx.raw(`${due.select} ORDER BY ${due.alias}.id LIMIT ? FOR UPDATE OF ${due.alias} SKIP LOCKED`, [
        clock.hour,
        clock.hour,
        clock.batch,
      ])
    ).rows as Row[];
    let written = 0;
    for (const row of rows) {
      const items = await digest.items(trx, row);
      if (items.length > 0) {
        await digest.message(trx, row, items);
        written += 1;
      }
      await trx(due.table).where({ id: row.id }).update({ last_digest_at: trx.fn.now() });
    }
    return written;
  });
}

/**
 * Writes the daily digests that are due: for each confirmed daily area alert whose last digest is older than
 * today's digest time (`hour` o'clock in the jurisdiction's zone), one message listing the public requests
 * created in its area since, keyed by subscription and local date (so nodes racing here write it once).
 * Returns how many digests were written.
 */
export async function enqueueDueDigests(db: Db, hour: number, batch = 100): Promise<number> {
  return writeDueDigests<{
    id: string;
    jurisdiction_id: string;
    email: string;
    language: string;
    since: Date;
    local_date: string;
  }>(
    db,
    { hour, batch },
    {
      select: `SELECT s.id::text AS id, s.jurisdiction_id, s.email, s.language,
              COALESCE(s.last_digest_at, s.confirmed_at) AS since, ${DIGEST_LOCAL_DATE_SQL}
       FROM notification_subscriptions s
       JOIN jurisdictions j ON j.jurisdiction_id = s.jurisdiction_id
       WHERE s.kind = 'area' AND s.frequency = 'daily' AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL
         AND ${DIGEST_DUE_SQL('COALESCE(s.last_digest_at, s.confirmed_at)')}`,
      table: 'notification_subscriptions',
      alias: 's',
    },
    {
      items: async (trx, subscription) =>
        (
          await trx.raw(
            `SELECT r.id::text AS service_request_id, s.service_name, r.address
         FROM service_requests r
         JOIN services s ON s.id = r.service_id
         JOIN notification_subscriptions alert ON alert.id = ?
         LEFT JOIN service_areas area ON area.id = alert.service_area_id
         WHERE r.jurisdiction_id = alert.jurisdiction_id AND r.is_public AND s.type <> 'blackbox' AND r.requested_datetime >= ?
           AND r.location IS NOT NULL
           AND ((alert.center IS NOT NULL AND ST_DWithin(alert.center, r.location, alert.radius_meters))
                OR (area.id IS NOT NULL AND ST_Intersects(area.area, r.location)))
         ORDER BY r.requested_datetime, r.id
         LIMIT 200`,
            [subscription.id, subscription.since],
          )
        ).rows,
      message: (trx, subscription, items) =>
        trx.raw(
          `INSERT INTO notification_messages (jurisdiction_id, subscription_id, template, recipient, recipient_role, language, payload, delivery_key)
           VALUES (?, ?, 'alert-digest', ?, 'area', ?, ?::jsonb, ?) ON CONFLICT (delivery_key) DO NOTHING`,
          [
            subscription.jurisdiction_id,
            subscription.id,
            subscription.email,
            subscription.language,
            JSON.stringify({ items }),
            `digest:${subscription.id}:${subscription.local_date}`,
          ],
        ),
    },
  );
}

export interface AgencyDigestRecipient {
  id: string;
  agency: string;
  email: string;
  language: string;
  last_digest_at: Date | null;
  created_at: Date;
}

export async function listAgencyDigestRecipients(db: Db, jurisdictionId: string): Promise<AgencyDigestRecipient[]> {
  const rows = await db('agency_digest_recipients as d')
    .join('agencies as a', 'a.id', 'd.agency_id')
    .select(db.raw('d.id::text AS id'), 'a.code AS agency', 'd.email', 'd.language', 'd.last_digest_at', 'd.created_at')
    .where('d.jurisdiction_id', jurisdictionId)
    .orderBy('d.id');
  return rows as AgencyDigestRecipient[];
}

/** Registers an address for an agency's overdue digest (again: nothing changes). undefined: no such agency. */
export async function addAgencyDigestRecipient(
  db: Db,
  input: { jurisdiction_id: string; agency_code: string; email: string; language: string },
): Promise<AgencyDigestRecipient | undefined> {
  const agency = await db('agencies').where({ jurisdiction_id: input.jurisdiction_id, code: input.agency_code }).first('id');
  if (!agency) return undefined;
  await db.raw(
    `INSERT INTO agency_digest_recipients (jurisdiction_id, agency_id, email, language) VALUES (?, ?, ?, ?)
     ON CONFLICT (agency_id, email) DO UPDATE SET language = EXCLUDED.language`,
    [input.jurisdiction_id, agency.id, input.email, input.language],
  );
  const all = await listAgencyDigestRecipients(db, input.jurisdiction_id);
  return all.find((row) => row.agency === input.agency_code && row.email === input.email);
}

export async function removeAgencyDigestRecipient(db: Db, jurisdictionId: string, id: string): Promise<boolean> {
  if (!isStorableId(id)) return false;
  // RETURNING, not the affected-row count: knex-pglite reports no count for DELETE (it names the command "DEL").
  const rows = await db('agency_digest_recipients').where({ jurisdiction_id: jurisdictionId, id }).delete().returning('id');
  return rows.length > 0;
}

/**
 * Writes the overdue digests that are due (same clock as the area digests): for each registered address, the
 * open requests of its agency past their expected_datetime, keyed by recipient and local date.
 */
export async function enqueueDueOverdueDigests(db: Db, hour: number, batch = 100): Promise<number> {
  return writeDueDigests<{
    id: string;
    jurisdiction_id: string;
    agency_id: string;
    email: string;
    language: string;
    agency_name: string;
    local_date: string;
  }>(
    db,
    { hour, batch },
    {
      select: `SELECT d.id::text AS id, d.jurisdiction_id, d.agency_id, d.email, d.language, a.name AS agency_name,
              ${DIGEST_LOCAL_DATE_SQL}
       FROM agency_digest_recipients d
       JOIN agencies a ON a.id = d.agency_id
       JOIN jurisdictions j ON j.jurisdiction_id = d.jurisdiction_id
       WHERE ${DIGEST_DUE_SQL('COALESCE(d.last_digest_at, d.created_at)')}`,
      table: 'agency_digest_recipients',
      alias: 'd',
    },
    {
      items: async (trx, recipient) =>
        (
          await trx.raw(
            `SELECT r.id::text AS service_request_id, s.service_name, r.address,
                to_char(r.expected_datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') AS expected
         FROM service_requests r JOIN services s ON s.id = r.service_id
         WHERE r.agency_id = ? AND r.status = 'open' AND r.expected_datetime < now()
         ORDER BY r.expected_datetime, r.id
         LIMIT 200`,
            [recipient.agency_id],
          )
        ).rows,
      message: (trx, recipient, items) =>
        trx.raw(
          `INSERT INTO notification_messages (jurisdiction_id, template, recipient, recipient_role, language, payload, delivery_key)
           VALUES (?, 'overdue-digest', ?, 'staff', ?, ?::jsonb, ?) ON CONFLICT (delivery_key) DO NOTHING`,
          [
            recipient.jurisdiction_id,
            recipient.email,
            recipient.language,
            JSON.stringify({ items, agency: recipient.agency_name }),
            `overdue:${recipient.id}:${recipient.local_date}`,
          ],
        ),
    },
  );
}
