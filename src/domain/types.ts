// Domain values, named as in the GeoReport v2 standard so the serializer maps them one-to-one.

export type ServiceType = 'realtime' | 'batch' | 'blackbox';

export type Datatype = 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
export const DATATYPES: readonly Datatype[] = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'];

export type RequestStatus = 'open' | 'closed';

export interface Jurisdiction {
  jurisdiction_id: string;
  name: string;
  time_zone: string;
  catalog_changed_at: Date;
}

export interface Service {
  service_code: string;
  service_name: string;
  description: string | null;
  metadata: boolean;
  type: ServiceType;
  keywords: string | null;
  group: string | null;
}

export interface AttributeValue {
  key: string;
  name: string;
}

export interface Attribute {
  variable: boolean;
  code: string;
  datatype: Datatype;
  required: boolean;
  datatype_description: string | null;
  order: number;
  description: string;
  values?: AttributeValue[];
}

export interface ServiceDefinition {
  service_code: string;
  attributes: Attribute[];
}

/** What the store needs to know about a service to accept a request for it. */
export interface ServiceForIntake {
  id: string;
  service_code: string;
  type: ServiceType;
  service_notice: string | null;
  agency_responsible: string | null;
  attributes: Attribute[];
  /** The jurisdiction's catalog changeset when this was read (exact text): guards creates validated against it. */
  catalog_changeset: string;
}

export interface ServiceRequest {
  service_request_id: string;
  status: RequestStatus;
  status_notes: string | null;
  service_name: string;
  service_code: string;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: Date;
  updated_datetime: Date | null;
  expected_datetime: Date | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
}

/** The answer to POST requests: exactly one of service_request_id / token, by service type. */
export interface CreatedRequest {
  service_request_id?: string;
  token?: string;
  service_notice: string | null;
  account_id: string | null;
}

export interface TokenLookup {
  service_request_id?: string;
  token: string;
}

export interface Submitter {
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  device_id: string | null;
  account_id: string | null;
}

export interface NewServiceRequest {
  jurisdiction_id: string;
  service: ServiceForIntake;
  description: string | null;
  lat: number | null;
  long: number | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  media_urls: string[];
  attributes: Record<string, string[]>;
  submitter: Submitter;
  api_key_id: string;
  token: string | null;
  /** How the request arrived (extended_attributes.channel), e.g. "api". */
  channel: string;
  /** CitySDK title, returned in extended_attributes.title. */
  title: string | null;
  /** Flag an open request of the same service this close and recent as a suspected duplicate. */
  duplicate_search?: { radius_meters: number; window_hours: number };
  /** Remember the answer under the client's Idempotency-Key (same transaction). */
  idempotency?: { api_key_id: string; key: string; fingerprint: string };
  /** The submitter's address in the form e-mails go to, when it is a valid one (else null: no e-mail). */
  notify_email?: string | null;
  /** Language of the report (EXT locale): the language of its e-mails. */
  language?: 'en' | 'es';
}

export interface RequestQuery {
  jurisdiction_id: string;
  service_request_ids?: string[];
  service_codes?: string[];
  statuses?: RequestStatus[];
  requested_from?: Date;
  requested_to?: Date;
  /** EXT change window on updated_datetime, both strict. */
  updated_after?: Date;
  updated_before?: Date;
  /** EXT: within `radius` metres of the point. */
  near?: { lat: number; long: number; radius: number };
  /** EXT: inside the box (degrees). */
  bbox?: { min_long: number; min_lat: number; max_long: number; max_lat: number };
  limit: number;
  offset: number;
}

export interface Note {
  datetime: Date;
  type: string;
  summary: string | null;
  description: string | null;
}

export interface ExtendedAttributes {
  channel: string | null;
  detailed_status: string;
  title: string | null;
  media_urls: string[];
  duplicate: boolean;
  parent_service_request_id: string | null;
}

/** A request with the EXT members of extensions=true (digest §3.4); never private submitter data. */
export interface ExtendedServiceRequest extends ServiceRequest {
  extended_attributes: ExtendedAttributes;
  notes: Note[];
}

export interface RequestUpdate {
  update_id: string;
  service_request_id: string;
  status: RequestStatus;
  updated_datetime: Date;
  description: string;
  media_url: string;
}

export interface Discovery {
  changeset: Date;
  contact: string;
  key_service: string;
  endpoints: Array<{
    specification: string;
    url: string;
    changeset: Date;
    type: 'production' | 'test';
    formats: string[];
  }>;
}

/** Raw form parameters in arrival order, keys and values already percent-decoded. */
export type FormPairs = Array<[string, string]>;

/**
 * An input as the validation step hands it over when the domain decides which refusal comes first (a 404 for
 * an unknown code before the 400 of its body): the checked value, or every problem found.
 */
export type Checked<T> = { value: T; problems: [] } | { value?: undefined; problems: string[] };
