// Domain values, named as in the GeoReport v2 standard so the serializer maps them one-to-one.

export type ServiceType = 'realtime' | 'batch' | 'blackbox';
export const SERVICE_TYPES: readonly ServiceType[] = ['realtime', 'batch', 'blackbox'];

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
}

export interface RequestQuery {
  jurisdiction_id: string;
  service_request_ids?: string[];
  service_codes?: string[];
  statuses?: RequestStatus[];
  requested_from?: Date;
  requested_to?: Date;
  limit: number;
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
