// What a resident has entered so far in the report flow, carried from step to step in one hidden field (nothing
// typed is lost, no server session). It only ever holds the resident's own answers, so it needs no signature:
// changing it is the same as typing something else, and the final send validates everything like the API.
// Photos are referred to by random ids of files held aside until the send (see pending-photos.ts).
import { randomUUID } from 'node:crypto';

const STEPS = ['where', 'what', 'details', 'duplicates', 'contact', 'review'] as const;
export type Step = (typeof STEPS)[number];
export const isStep = (value: unknown): value is Step =>
  typeof value === 'string' && (STEPS as readonly string[]).includes(value);

export interface FlowState {
  /** Idempotency key of this report: a double submit of the last step creates one request. */
  key: string;
  /** The address-only path (no map). */
  noMap: boolean;
  lat?: number;
  long?: number;
  address?: string;
  /** How the point was found: the map (or the device's position), or the geocoder from the typed address. */
  placedBy?: 'map' | 'geocoder';
  /** The geocoder's name for the place it found. */
  foundName?: string;
  serviceCode?: string;
  /** Answers to the service's questions, as [code, values] (outside input never keys a plain object). */
  answers: Array<[string, string[]]>;
  description?: string;
  photos: string[];
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  /** The resident came from the review page: after a change, go back there. */
  reviewing: boolean;
}

const MAX_STATE_BYTES = 64 * 1024;
const MAX_DEPTH = 4;
const TEXT_LIMITS = { address: 1000, description: 4000, name: 255, email: 254, phone: 100, foundName: 500 } as const;

export function newFlowState(noMap = false): FlowState {
  return { key: randomUUID(), noMap, answers: [], photos: [], reviewing: false };
}

export function encodeFlowState(state: FlowState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

/** JSON nesting depth of a text, counted without parsing it (so a deep document never reaches JSON.parse). */
function depthOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{' || character === '[') deepest = Math.max(deepest, ++depth);
    else if (character === '}' || character === ']') depth -= 1;
  }
  return deepest;
}

const text = (value: unknown, limit: number): string | undefined =>
  typeof value === 'string' && value !== '' ? value.slice(0, limit) : undefined;
const coordinate = (value: unknown, limit: number): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit ? value : undefined;

/** The state in a submitted form, checked field by field; a fresh one when absent or unreadable. */
export function decodeFlowState(encoded: string | undefined): FlowState {
  if (!encoded || encoded.length > MAX_STATE_BYTES || !/^[A-Za-z0-9_-]+$/.test(encoded)) return newFlowState();
  const json = Buffer.from(encoded, 'base64url').toString('utf8');
  if (depthOf(json) > MAX_DEPTH) return newFlowState();
  let raw: Record<string, unknown>;
  try {
    const parsed = JSON.parse(json) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return newFlowState();
    raw = parsed as Record<string, unknown>;
  } catch {
    return newFlowState();
  }
  const key = typeof raw.key === 'string' && /^[0-9a-f-]{36}$/.test(raw.key) ? raw.key : randomUUID();
  const answers: Array<[string, string[]]> = [];
  if (Array.isArray(raw.answers)) {
    for (const entry of raw.answers.slice(0, 200)) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) continue;
      const values = (entry[1] as unknown[]).filter((value): value is string => typeof value === 'string').slice(0, 100);
      answers.push([entry[0].slice(0, 100), values.map((value) => value.slice(0, 4000))]);
    }
  }
  const photos = Array.isArray(raw.photos)
    ? raw.photos
        .filter((id): id is string => typeof id === 'string' && /^[0-9a-f]{32}\.(jpeg|png|gif|webp)$/.test(id))
        .slice(0, 20)
    : [];
  const state: FlowState = { key, noMap: raw.noMap === true, answers, photos, reviewing: raw.reviewing === true };
  const lat = coordinate(raw.lat, 90);
  const long = coordinate(raw.long, 180);
  if (lat !== undefined && long !== undefined) {
    state.lat = lat;
    state.long = long;
    state.placedBy = raw.placedBy === 'geocoder' ? 'geocoder' : 'map';
  }
  const assign = <K extends keyof FlowState>(name: K, value: FlowState[K] | undefined): void => {
    if (value !== undefined) state[name] = value;
  };
  assign('address', text(raw.address, TEXT_LIMITS.address));
  assign('foundName', text(raw.foundName, TEXT_LIMITS.foundName));
  assign('serviceCode', text(raw.serviceCode, 100));
  assign('description', text(raw.description, TEXT_LIMITS.description));
  assign('firstName', text(raw.firstName, TEXT_LIMITS.name));
  assign('lastName', text(raw.lastName, TEXT_LIMITS.name));
  assign('email', text(raw.email, TEXT_LIMITS.email));
  assign('phone', text(raw.phone, TEXT_LIMITS.phone));
  return state;
}

export function answersOf(state: FlowState, code: string): string[] {
  return state.answers.find(([known]) => known === code)?.[1] ?? [];
}

/**
 * The state as the body of POST requests: the very parameters an Open311 client would send, so the send goes
 * through the same coercion, schema and domain checks as the API.
 */
export function requestPairs(state: FlowState): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const add = (name: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') pairs.push([name, String(value)]);
  };
  add('service_code', state.serviceCode);
  add('lat', state.lat);
  add('long', state.long);
  add('address_string', state.address);
  add('description', state.description);
  for (const [code, values] of state.answers) for (const value of values) add(`attribute[${code}][]`, value);
  add('first_name', state.firstName);
  add('last_name', state.lastName);
  add('email', state.email);
  add('phone', state.phone);
  return pairs;
}
