// Rules about a request that are written in SQL, each once, and used by every statement that applies them:
// the create statement (requests-store.ts), the importer (import-store.ts) and staff changes and searches
// (staff-requests-store.ts).

/** A timestamptz as JSON.stringify writes a Date: UTC, milliseconds, Z (null stays null). */
export const UTC_ISO_SQL = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Routing, as a LATERAL subquery yielding (id, name) of the agency: the agency of the service's rule for the
 * area the point falls in, else of its rule without an area. `serviceId` and `location` are SQL expressions.
 */
export const ROUTED_AGENCY_SQL = (serviceId: string, location: string): string => `(
    SELECT agency.id, agency.name FROM routing_rules rule
      JOIN agencies agency ON agency.id = rule.agency_id
      LEFT JOIN service_areas area ON area.id = rule.service_area_id
    WHERE rule.service_id = ${serviceId}
      AND (rule.service_area_id IS NULL OR (${location} IS NOT NULL AND ST_Intersects(area.area, ${location})))
    ORDER BY (rule.service_area_id IS NULL), rule.id
    LIMIT 1)`;

/** The deadline a service's response-time target sets for a request made at `requested` (null without a target). */
export const DEADLINE_SQL = (requested: string, responseHours: string): string =>
  `${requested} + make_interval(hours => ${responseHours})`;

/**
 * The duplicate rule's time window: `requested` (a request's requested_datetime) within `hours` (an SQL
 * expression, hours as a number) of `reference`, before or after. The create looks back from now(), where the
 * later bound always holds; the staff's search looks around the request they look at.
 */
export const DUPLICATE_WINDOW_SQL = (requested: string, reference: string, hours: string): string =>
  `(${requested} >= ${reference} - make_interval(secs => (${hours})::float8 * 3600)
    AND ${requested} <= ${reference} + make_interval(secs => (${hours})::float8 * 3600))`;

/**
 * The webhook payload of a request event: the public fields only (never the submitter's data), dates as UTC
 * ISO 8601 like JSON.stringify. `request` and `service` are aliases of service_requests and services rows.
 * Both events use it: request.created (the create statement, the importer) and request.updated (staff changes,
 * which add the change and the assignee).
 */
export const REQUEST_EVENT_PAYLOAD_SQL = (
  request: string,
  service: string,
  detailedStatus: string,
): string => `jsonb_build_object(
           'service_request_id', ${request}.id::text, 'status', ${request}.status, 'status_notes', ${request}.status_notes,
           'service_name', ${service}.service_name, 'service_code', ${service}.service_code,
           'description', ${request}.description, 'agency_responsible', ${request}.agency_responsible,
           'service_notice', ${request}.service_notice,
           'requested_datetime', ${UTC_ISO_SQL(`${request}.requested_datetime`)},
           'updated_datetime', ${UTC_ISO_SQL(`${request}.updated_datetime`)},
           'expected_datetime', ${UTC_ISO_SQL(`${request}.expected_datetime`)},
           'address', ${request}.address, 'address_id', ${request}.address_id, 'zipcode', ${request}.zipcode,
           'lat', ST_Y(${request}.location::geometry), 'long', ST_X(${request}.location::geometry),
           'media_url', ${request}.media_urls[1], 'detailed_status', ${detailedStatus})`;
