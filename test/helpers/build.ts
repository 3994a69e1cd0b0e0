// Builders: each test makes its own rows with unique values and asserts on those.
import { expect } from 'chai';
import { upsertCatalog, type CatalogService } from '../../src/store/catalog-store.js';
import { BASE, ctx, postForm, unique, type Answer } from './test-server.js';

export const LANCASTER = { lat: 39.71367, long: -82.59932 };

/** POSTs a request with the suite's key and returns the answer. `fields` override the defaults. */
export async function submit(fields: Record<string, string | string[]> = {}, format: 'json' | 'xml' = 'json'): Promise<Answer> {
  const merged: Record<string, string | string[]> = {
    api_key: ctx().apiKey,
    service_code: 'SIDEWALK',
    lat: String(LANCASTER.lat),
    long: String(LANCASTER.long),
    description: unique('description'),
    ...fields,
  };
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(merged)) {
    for (const item of Array.isArray(value) ? value : [value]) pairs.push([key, item]);
  }
  return postForm(`${BASE}/requests.${format}`, pairs);
}

/** Creates a request through the API and returns its service_request_id. */
export async function createRequest(fields: Record<string, string | string[]> = {}): Promise<string> {
  const response = await submit(fields, 'json');
  expect(response.status, JSON.stringify(response.body)).to.equal(200);
  const id = (response.body as Array<{ service_request_id?: string }>)[0]?.service_request_id;
  expect(id).to.be.a('string');
  return id!;
}

/**
 * Inserts a request row directly, for states the API cannot produce yet (old dates, closed).
 * Returns its service_request_id.
 */
export async function insertRequest(
  values: {
    service_code?: string;
    status?: 'open' | 'closed';
    requested_datetime?: Date;
    updated_datetime?: Date;
    description?: string;
    lat?: number;
    long?: number;
  } = {},
): Promise<string> {
  const { db, config } = ctx();
  const service = await db('services')
    .where({ jurisdiction_id: config.jurisdictionId, service_code: values.service_code ?? 'SIDEWALK' })
    .first('id');
  const requested = values.requested_datetime ?? new Date();
  const location =
    values.lat === undefined ? null : db.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [values.long ?? 0, values.lat]);
  const [row] = await db('service_requests')
    .insert({
      jurisdiction_id: config.jurisdictionId,
      service_id: service.id,
      status: values.status ?? 'open',
      description: values.description ?? unique('inserted'),
      requested_datetime: requested,
      updated_datetime: values.updated_datetime ?? requested,
      location,
    })
    .returning('id');
  return String((row as { id: string | number }).id);
}

/** Adds (or replaces) services in the test jurisdiction's catalog. */
export async function addServices(services: CatalogService[]): Promise<void> {
  const { db, config } = ctx();
  await upsertCatalog(db, config.jurisdictionId, services);
}
