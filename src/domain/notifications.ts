// The rules of e-mail notifications that residents start: following a request, area alerts (both need the
// confirmation click), confirming, unsubscribing and "not fixed?" replies. Addresses are checked here.
import { badRequest, notFound, notificationsOff } from '../errors.js';
import { isValidEmail, languageOf, normalizeEmail, type Language } from '../notifications/address.js';
import { areaLabel } from '../notifications/labels.js';
import type { Db } from '../store/db.js';
import { recordAudit } from '../store/routing-store.js';
import * as store from '../store/notifications-store.js';
import type { Jurisdiction } from './types.js';

function checkedEmail(email: string | undefined): string {
  const trimmed = (email ?? '').trim();
  if (!isValidEmail(trimmed)) throw badRequest('email must be a valid e-mail address, such as name@example.org.');
  return normalizeEmail(trimmed);
}

export interface FollowInput {
  service_request_id: string;
  email: string;
  /** A language tag (en, es, es-MX…): the language of the e-mails. */
  language?: string;
}

/**
 * Asks to follow a request by e-mail: a confirmation e-mail is sent first (double opt-in); updates start once
 * its link is clicked. The answer never says whether the address already followed it.
 */
export async function followRequest(db: Db, jurisdiction: Jurisdiction, input: FollowInput, enabled: boolean): Promise<void> {
  if (!enabled) throw notificationsOff();
  const email = checkedEmail(input.email);
  const result = await store.addFollower(db, {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    service_request_id: input.service_request_id,
    email,
    language: languageOf(input.language),
  });
  if (!result) throw notFound(`No service request with id ${input.service_request_id.slice(0, 40)}.`);
}

export interface AreaAlertRequest {
  email: string;
  language?: string;
  frequency?: 'immediate' | 'daily';
  lat?: number;
  long?: number;
  radius_meters?: number;
  service_area?: string;
}

export const MAX_ALERT_RADIUS_METERS = 5000;

/** Asks for alerts of new requests within a radius of a point or inside a service area (double opt-in). */
export async function createAreaAlert(
  db: Db,
  jurisdiction: Jurisdiction,
  input: AreaAlertRequest,
  enabled: boolean,
): Promise<void> {
  if (!enabled) throw notificationsOff();
  const email = checkedEmail(input.email);
  const language: Language = languageOf(input.language);
  const frequency = input.frequency ?? 'immediate';
  if (frequency !== 'immediate' && frequency !== 'daily') throw badRequest('frequency must be immediate or daily.');
  const hasPoint = input.lat !== undefined || input.long !== undefined || input.radius_meters !== undefined;
  if (hasPoint === (input.service_area !== undefined))
    throw badRequest('Give either lat, long and radius (metres), or a service_area code.');
  let center: store.AreaAlertInput['center'];
  if (hasPoint) {
    const { lat, long, radius_meters: radius } = input;
    if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90)
      throw badRequest('lat must be a number between -90 and 90.');
    if (typeof long !== 'number' || !Number.isFinite(long) || long < -180 || long > 180)
      throw badRequest('long must be a number between -180 and 180.');
    if (typeof radius !== 'number' || !Number.isFinite(radius) || radius <= 0 || radius > MAX_ALERT_RADIUS_METERS)
      throw badRequest(`radius must be a number of metres greater than 0 and at most ${MAX_ALERT_RADIUS_METERS}.`);
    center = { lat, long, radius_meters: Math.round(radius) };
  }
  const created = await store.addAreaAlert(
    db,
    {
      jurisdiction_id: jurisdiction.jurisdiction_id,
      email,
      language,
      frequency,
      ...(center ? { center } : {}),
      ...(input.service_area !== undefined ? { service_area_code: input.service_area } : {}),
    },
    (serviceAreaName) => areaLabel(language, serviceAreaName !== null ? { service_area_name: serviceAreaName } : center!),
  );
  if (!created) throw notFound(`No service area with code ${String(input.service_area).slice(0, 40)}.`);
}

/** The subscription behind a link, or a 404 (an unknown or malformed token). */
export async function subscriptionForLink(db: Db, token: string): Promise<store.Subscription> {
  const found = await store.findSubscription(db, token);
  if (!found) throw notFound('This link is not valid (it may be incomplete).');
  return found;
}

export async function confirmSubscription(db: Db, token: string): Promise<store.Subscription> {
  const subscription = await subscriptionForLink(db, token);
  if (!(await store.confirmSubscription(db, token)))
    throw badRequest('This subscription was cancelled; ask again to receive these e-mails.');
  return subscription;
}

export async function unsubscribe(db: Db, token: string): Promise<store.Subscription> {
  const subscription = await subscriptionForLink(db, token);
  await store.unsubscribe(db, token);
  return subscription;
}

export const MAX_REPLY_LENGTH = 4000;

/** "Not fixed?": adds the resident's text as a public update of the request, which staff see. */
export async function replyNotFixed(db: Db, token: string, text: string | undefined): Promise<store.Subscription> {
  const subscription = await subscriptionForLink(db, token);
  if (subscription.service_request_id === null) throw notFound('This link is not about a request.');
  const trimmed = (text ?? '').trim();
  if (trimmed === '') throw badRequest('Say what is still wrong (the text is required).');
  if (trimmed.length > MAX_REPLY_LENGTH) throw badRequest(`The text must be at most ${MAX_REPLY_LENGTH} characters.`);
  if (!(await store.addResidentReply(db, subscription, trimmed))) throw notFound('This request is no longer available.');
  return subscription;
}

/** Which notifications of a request went out and when (staff view; followers' addresses are not shown). */
export async function requestNotifications(db: Db, jurisdiction: Jurisdiction, id: string) {
  const found = await store.listRequestMessages(db, jurisdiction.jurisdiction_id, id);
  if (!found) throw notFound(`No service request with id ${id.slice(0, 40)}.`);
  return found;
}

const MESSAGE_STATUSES = ['pending', 'sent', 'failed', 'suppressed'];

/** The outbox of a jurisdiction for admins (failed ones first of all). */
export async function listNotifications(db: Db, jurisdiction: Jurisdiction, status: string | undefined) {
  if (status !== undefined && !MESSAGE_STATUSES.includes(status))
    throw badRequest(`status must be one of ${MESSAGE_STATUSES.join(', ')}.`);
  return store.listMessages(db, jurisdiction.jurisdiction_id, status, 200);
}

type Actor = { key_id: string | null; staff_id?: string | null; name: string };

/** spec/schemas/overdue-digest-input.json */
export interface OverdueDigestInput {
  agency: string;
  email: string;
  language?: string;
}

/** Admins register staff addresses for an agency's daily digest of overdue requests (audited under `actor`). */
export async function addOverdueDigestRecipient(db: Db, jurisdiction: Jurisdiction, input: OverdueDigestInput, actor: Actor) {
  const email = checkedEmail(input.email);
  const created = await store.addAgencyDigestRecipient(db, {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    agency_code: input.agency,
    email,
    language: languageOf(input.language),
  });
  if (!created) throw notFound(`No agency with code ${input.agency.slice(0, 40)}.`);
  await recordAudit(db, {
    actor,
    entity_type: 'overdue_digest_recipient',
    entity_id: created.id,
    action: 'create',
    changes: { agency: created.agency, email: created.email, language: created.language },
  });
  return created;
}

export async function listOverdueDigestRecipients(db: Db, jurisdiction: Jurisdiction) {
  return store.listAgencyDigestRecipients(db, jurisdiction.jurisdiction_id);
}

export async function removeOverdueDigestRecipient(db: Db, jurisdiction: Jurisdiction, id: string, actor: Actor): Promise<void> {
  if (!(await store.removeAgencyDigestRecipient(db, jurisdiction.jurisdiction_id, id)))
    throw notFound(`No overdue digest recipient with id ${id.slice(0, 40)}.`);
  await recordAudit(db, { actor, entity_type: 'overdue_digest_recipient', entity_id: id, action: 'delete', changes: {} });
}
