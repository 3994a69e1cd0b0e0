// How each public field of a request is read from service_requests r JOIN services s: the one list behind
// every public answer (GeoReport, feeds) and the public part of the staff's views. The submitter's private
// data lives in service_request_submitters, which this list cannot name.
import type { Knex } from 'knex';
import type { Db } from './db.js';

/** The 17 fields of the standard (digest §2.6), in its order, as SQL over r and s. */
const PUBLIC_REQUEST_COLUMNS = {
  service_request_id: 'r.id::text',
  status: 'r.status',
  status_notes: 'r.status_notes',
  service_name: 's.service_name',
  service_code: 's.service_code',
  description: 'r.description',
  agency_responsible: 'r.agency_responsible',
  service_notice: 'r.service_notice',
  requested_datetime: 'r.requested_datetime',
  updated_datetime: 'r.updated_datetime',
  expected_datetime: 'r.expected_datetime',
  address: 'r.address',
  address_id: 'r.address_id',
  zipcode: 'r.zipcode',
  lat: 'ST_Y(r.location::geometry)',
  long: 'ST_X(r.location::geometry)',
  media_url: 'r.media_urls[1]',
} as const;

export type PublicRequestField = keyof typeof PUBLIC_REQUEST_COLUMNS;
const ALL_FIELDS = Object.keys(PUBLIC_REQUEST_COLUMNS) as PublicRequestField[];

/**
 * Select list items for the public `fields` (all 17 by default), in the order given (answers that document
 * another order interleave their own columns), each under its standard name.
 */
export function publicRequestColumns(db: Db, fields: readonly PublicRequestField[] = ALL_FIELDS): Knex.Raw[] {
  return fields.map((field) => db.raw(`${PUBLIC_REQUEST_COLUMNS[field]} AS ${field}`));
}
