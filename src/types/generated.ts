// Generated from spec/schemas by src/validate/schema-types.ts: do not edit; run `npx tsx src/validate/schema-types.ts`.
// test/unit/schema-types.test.ts fails when this file is not what the schemas make.

declare const validated: unique symbol;

/** A checked input: only src/validate makes these, so a raw query or body cannot stand for one (type-only mark). */
export type Validated<T> = T & { readonly [validated]: true };

/** Query string of GET services, service definition and token lookup (after coercion) (spec/schemas/common-query-input.json) */
export type CommonQueryInput = Validated<{
  jurisdiction_id?: string;
}>;

/** Query string of GET services.{format} (after coercion) (spec/schemas/services-query-input.json) */
export type ServicesQueryInput = Validated<{
  jurisdiction_id?: string;
  lat?: number;
  long?: number;
}>;

/** Query string of GET requests (after coercion) (spec/schemas/query-requests-input.json) */
export type QueryRequestsInput = Validated<{
  jurisdiction_id?: string;
  service_request_id?: Array<string>;
  service_code?: Array<string>;
  status?: Array<"open" | "closed">;
  start_date?: string;
  end_date?: string;
  updated_after?: string;
  updated_before?: string;
  page?: number;
  page_size?: number;
  lat?: number;
  long?: number;
  radius?: number;
  bbox?: string;
  extensions?: boolean;
}>;

/** Body of POST requests (after coercion) (spec/schemas/create-request-input.json) */
export type CreateRequestInput = Validated<{
  jurisdiction_id?: string;
  service_code: string;
  lat?: number;
  long?: number;
  address_string?: string;
  address_id?: string;
  zipcode?: string;
  email?: string;
  device_id?: string;
  account_id?: string;
  first_name?: string;
  last_name?: string;
  locale?: string;
  phone?: string;
  description?: string;
  title?: string;
  media_url?: Array<string>;
  attributes?: {
    [key: string]: Array<string>;
  };
}>;

/** Query string of GET servicerequestupdates (EXT, FixMyStreet), after coercion (spec/schemas/query-updates-input.json) */
export type QueryUpdatesInput = Validated<{
  jurisdiction_id?: string;
  start_date?: string;
  end_date?: string;
}>;

/** Body of POST servicerequestupdates (EXT, FixMyStreet), after coercion (spec/schemas/create-update-input.json) */
export type CreateUpdateInput = Validated<{
  jurisdiction_id?: string;
  service_request_id: string;
  update_id: string;
  status: "open" | "closed" | "fixed" | "in_progress" | "action_scheduled" | "planned" | "investigating" | "duplicate" | "not_councils_responsibility" | "no_further_action" | "internal_referral" | "for_triage" | "cancelled" | "reopen" | "unchanged";
  updated_datetime: string;
  description?: string;
  media_url?: Array<string>;
}>;

/** A service definition in the staff catalog API (body of POST /api/v1/services and PUT /api/v1/services/{service_code}; items of a catalog import) (spec/schemas/catalog-service.json) */
export type CatalogService = Validated<{
  service_code: string;
  service_name: string;
  description?: string | null;
  type?: "realtime" | "batch" | "blackbox";
  keywords?: Array<string>;
  group?: string | null;
  service_notice?: string | null;
  agency_responsible?: string | null;
  response_hours?: number | null;
  active?: boolean;
  attributes?: Array<{
    variable?: boolean;
    code: string;
    datatype: "string" | "number" | "datetime" | "text" | "singlevaluelist" | "multivaluelist";
    required?: boolean;
    datatype_description?: string | null;
    order: number;
    description: string;
    values?: Array<{
      key: string;
      name: string;
    }>;
  }>;
}>;

/** Body of POST /api/v1/agencies and PUT /api/v1/agencies/{code} (spec/schemas/catalog-agency.json) */
export type CatalogAgency = Validated<{
  code: string;
  name: string;
}>;

/** Body of POST /api/v1/areas (spec/schemas/catalog-area.json) */
export type CatalogArea = Validated<{
  code: string;
  name: string;
  kind?: string;
  geometry: {
    type: "Polygon" | "MultiPolygon";
    coordinates: Array<unknown>;
  };
}>;

/** Body of PUT /api/v1/services/{service_code}/routing (spec/schemas/catalog-routing.json) */
export type CatalogRouting = Validated<{
  rules: Array<{
    agency: string;
    area?: string | null;
  }>;
}>;

/** Body of PUT /api/v1/services/{service_code}/availability (spec/schemas/catalog-availability.json) */
export type CatalogAvailability = Validated<{
  areas: Array<string>;
}>;

/** Query string of GET /api/v1/stats (request counts), after coercion (spec/schemas/stats-input.json) */
export type StatsInput = Validated<{
  jurisdiction_id?: string;
  group_by?: "service_code" | "group" | "status" | "detailed_status" | "agency";
  interval?: "day" | "week" | "month" | "none";
  start_date?: string;
  end_date?: string;
  service_code?: Array<string>;
}>;

/** Query string of GET /api/v1/stats/backlog (open requests over time), after coercion (spec/schemas/stats-backlog-input.json) */
export type StatsBacklogInput = Validated<{
  jurisdiction_id?: string;
  interval?: "day" | "week" | "month";
  start_date?: string;
  end_date?: string;
  service_code?: Array<string>;
}>;

/** Query string of GET /api/v1/stats/time-to-close, after coercion (spec/schemas/stats-time-to-close-input.json) */
export type StatsTimeToCloseInput = Validated<{
  jurisdiction_id?: string;
  start_date?: string;
  end_date?: string;
  service_code?: Array<string>;
}>;

/** Query string of GET /api/v1/stats/overdue, after coercion (spec/schemas/stats-overdue-input.json) */
export type StatsOverdueInput = Validated<{
  jurisdiction_id?: string;
  service_code?: Array<string>;
}>;

/** Query string of GET /api/v1/stats/hotspots (grid cells as GeoJSON), after coercion (spec/schemas/stats-hotspots-input.json) */
export type StatsHotspotsInput = Validated<{
  jurisdiction_id?: string;
  start_date?: string;
  end_date?: string;
  service_code?: Array<string>;
  cell?: number;
  min_count?: number;
  limit?: number;
}>;

/** Body of PATCH /api/v1/requests/{service_request_id} (spec/schemas/staff-request-patch.json) */
export type StaffRequestPatch = Validated<{
  status?: "submitted" | "acknowledged" | "in_progress" | "on_hold" | "closed" | "duplicate" | "rejected";
  status_notes?: string | null;
  agency_responsible?: string | null;
  service_notice?: string | null;
  expected_datetime?: string | null;
  internal_note?: string;
  version?: number;
  assigned_to?: string | null;
  template_id?: string;
}>;

/** Body of POST /api/v1/requests/{service_request_id}/duplicate-of (spec/schemas/staff-duplicate-input.json) */
export type StaffDuplicateInput = Validated<{
  original: string;
  version?: number;
}>;

/** Query string of GET /api/v1/requests (the staff queue), after coercion (spec/schemas/staff-queue-input.json) */
export type StaffQueueInput = Validated<{
  jurisdiction_id?: string;
  service_request_id?: Array<string>;
  status?: Array<"open" | "closed" | "submitted" | "acknowledged" | "in_progress" | "on_hold" | "duplicate" | "rejected">;
  service_code?: Array<string>;
  group?: Array<string>;
  agency?: Array<string>;
  assigned_to?: string;
  overdue?: boolean;
  suspected_duplicate?: boolean;
  q?: string;
  start_date?: string;
  end_date?: string;
  lat?: number;
  long?: number;
  radius?: number;
  bbox?: string;
  sort?: "requested_datetime" | "-requested_datetime" | "updated_datetime" | "-updated_datetime" | "expected_datetime" | "-expected_datetime";
  page?: number;
  page_size?: number;
}>;

/** Body of POST /api/v1/keys (spec/schemas/staff-key-input.json) */
export type StaffKeyInput = Validated<{
  name: string;
  role?: "client" | "staff" | "admin";
}>;

/** Body of POST /api/v1/webhooks (spec/schemas/staff-webhook-input.json) */
export type StaffWebhookInput = Validated<{
  url: string;
  events: Array<"request.created" | "request.updated">;
  secret?: string;
  jurisdiction_id?: string;
}>;

/** Query string of GET /api/v1/webhooks/{id}/deliveries (after coercion) (spec/schemas/staff-deliveries-query.json) */
export type StaffDeliveriesQuery = Validated<{
  jurisdiction_id?: string;
  limit?: string;
}>;

/** The type of a valid input, by schema. */
export interface SchemaTypes {
  "common-query-input.json": CommonQueryInput;
  "services-query-input.json": ServicesQueryInput;
  "query-requests-input.json": QueryRequestsInput;
  "create-request-input.json": CreateRequestInput;
  "query-updates-input.json": QueryUpdatesInput;
  "create-update-input.json": CreateUpdateInput;
  "catalog-service.json": CatalogService;
  "catalog-agency.json": CatalogAgency;
  "catalog-area.json": CatalogArea;
  "catalog-routing.json": CatalogRouting;
  "catalog-availability.json": CatalogAvailability;
  "stats-input.json": StatsInput;
  "stats-backlog-input.json": StatsBacklogInput;
  "stats-time-to-close-input.json": StatsTimeToCloseInput;
  "stats-overdue-input.json": StatsOverdueInput;
  "stats-hotspots-input.json": StatsHotspotsInput;
  "staff-request-patch.json": StaffRequestPatch;
  "staff-duplicate-input.json": StaffDuplicateInput;
  "staff-queue-input.json": StaffQueueInput;
  "staff-key-input.json": StaffKeyInput;
  "staff-webhook-input.json": StaffWebhookInput;
  "staff-deliveries-query.json": StaffDeliveriesQuery;
}
