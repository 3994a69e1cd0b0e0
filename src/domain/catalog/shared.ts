// What the catalog modules share: who acts (for the audit trail) and the fields of a service definition.

export interface Actor {
  /** The API key, or null when a person (staff account) acts. */
  key_id: string | null;
  staff_id?: string | null;
  name: string;
}

export type Json = Record<string, unknown>;
export const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The fields of a service definition, in the order the audit trail and imports compare them. */
export const DEFINITION_FIELDS = [
  'service_code',
  'service_name',
  'description',
  'type',
  'keywords',
  'group',
  'service_notice',
  'agency_responsible',
  'response_hours',
  'active',
  'attributes',
] as const;

export type { Checked } from '../types.js';
