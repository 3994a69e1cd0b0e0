// The app under test, in-process, on the real store; an HTTP client that parses both formats into the
// same JSON shape; and the spec/ schemas to check every response against.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { expect } from 'chai';
import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createKey } from '../../src/store/api-keys-store.js';
import { migrateLatest, openDb, type Db } from '../../src/store/db.js';
import { seedDemoCatalog } from '../../src/store/seed.js';
import { schemaRegistry, type SchemaId } from '../../src/validate/validate.js';

export const BASE = '/open311/v2';

/** The 17 fields of a request in the standard's order (digest §2.6). */
export const STANDARD_REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
];
export const FORMATS = ['json', 'xml'] as const;
export type Format = (typeof FORMATS)[number];

export interface TestContext {
  app: Express;
  db: Db;
  config: Config;
  /** A valid client API key, created for this run. */
  apiKey: string;
}

let current: TestContext | undefined;

let mediaDirectory: string | undefined;

export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  mediaDirectory ??= fs.mkdtempSync(path.join(os.tmpdir(), 'open311-test-media-'));
  return loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    PUBLIC_URL: 'http://311.test.example',
    LOG_LEVEL: 'silent',
    MEDIA_DIR: mediaDirectory,
    // The suite posts far more than a client would; rate limits have their own tests with their own apps.
    RATE_LIMIT_PER_KEY: '0',
    RATE_LIMIT_PER_ADDRESS: '0',
    // The response cache is on, as in production: a write path that left a stale answer fails its test. Direct
    // writes of tests through ctx().db invalidate it like the server's own (see src/store/committed-writes.ts).
    ...overrides,
  });
}

export async function openTestContext(): Promise<TestContext> {
  if (current) return current;
  const config = testConfig();
  // No data folder: the embedded store lives in memory for the run.
  const db = openDb({ databaseUrl: config.databaseUrl, dataDirectory: undefined });
  await migrateLatest(db);
  await seedDemoCatalog(db, config);
  const { key } = await createKey(db, 'test suite client');
  const { app } = createApp({ config, db, logger: createLogger('silent') });
  current = { app, db, config, apiKey: key };
  return current;
}

export async function closeTestContext(): Promise<void> {
  await current?.db.destroy();
  current = undefined;
  if (mediaDirectory) fs.rmSync(mediaDirectory, { recursive: true, force: true });
}

export function ctx(): TestContext {
  if (!current) throw new Error('The test context is not open (test/setup.ts opens it)');
  return current;
}

let counter = 0;
/** A value no other test uses. */
export const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

// Wrapper elements whose children become a JSON array (digest §1.3), always, also for one or zero items.
const WRAPPERS = new Set([
  'services',
  'service_requests',
  'errors',
  'attributes',
  'values',
  'endpoints',
  'formats',
  'service_request_updates',
  'notes',
  'media_urls',
]);
const BOOLEANS = new Set(['metadata', 'variable', 'required', 'duplicate']);
const NUMBERS = new Set(['lat', 'long', 'order', 'code', 'distance']);

type XmlNode = string | { [name: string]: XmlNode[] | string } | undefined;

function convert(name: string, node: XmlNode, parent: string | undefined): unknown {
  if (WRAPPERS.has(name)) {
    if (node === undefined || typeof node === 'string') return [];
    const children = Object.entries(node).filter(([key]) => key !== '$');
    if (children.length > 1) throw new Error(`<${name}> holds more than one kind of child element`);
    const [childName, items] = children[0] ?? ['', []];
    return (items as XmlNode[]).map((item) => convert(childName, item, name));
  }
  if (node === undefined || node === '') return null;
  if (typeof node === 'string') {
    if (BOOLEANS.has(name)) {
      if (node !== 'true' && node !== 'false') throw new Error(`<${name}> is "${node}", not true/false`);
      return node === 'true';
    }
    // attribute <code> is an identifier (a string); error <code> is a number
    if (NUMBERS.has(name) && !(name === 'code' && parent !== 'error')) return Number(node);
    return node;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$') throw new Error(`<${name}> carries XML attributes`);
    const values = value as XmlNode[];
    if (values.length !== 1) throw new Error(`<${name}> repeats <${key}> outside a wrapper`);
    out[key] = convert(key, values[0], name);
  }
  return out;
}

/** Parses an Open311 XML document into the JSON shape of the same document (root dropped). */
export async function xmlToJsonShape(xml: string): Promise<unknown> {
  const parsed = (await parseStringPromise(xml, { explicitArray: true, explicitCharkey: false, trim: false })) as Record<
    string,
    XmlNode
  >;
  const [rootName, root] = Object.entries(parsed)[0]!;
  return convert(rootName, root, undefined);
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body as the JSON shape, for both formats (XML parsed with the digest's mapping). */
  body: unknown;
}

async function answer(response: request.Response): Promise<Answer> {
  const text = response.text ?? '';
  const type = String(response.headers['content-type'] ?? '');
  let body: unknown;
  if (type.startsWith('application/json') && text) body = JSON.parse(text);
  else if (type.startsWith('text/xml') && text) body = await xmlToJsonShape(text);
  return { status: response.status, headers: response.headers as Record<string, string>, text, body };
}

export async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  let call = request(ctx().app).get(path);
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
  return answer(await call);
}

/** POST an urlencoded body given as raw text or as pairs (order and repeats preserved). */
export async function postForm(
  path: string,
  form: string | Array<[string, string]>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  let call = request(ctx().app).post(path).set('Content-Type', 'application/x-www-form-urlencoded; charset=utf-8');
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
  return answer(await call.send(body));
}

export async function postMultipart(
  path: string,
  fields: Array<[string, string]>,
  files: Array<{ field: string; content: Buffer; filename: string; contentType: string }> = [],
): Promise<Answer> {
  let call = request(ctx().app).post(path);
  for (const [name, value] of fields) call = call.field(name, value);
  for (const file of files)
    call = call.attach(file.field, file.content, { filename: file.filename, contentType: file.contentType });
  return answer(await call);
}

export async function postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  let call = request(ctx().app).post(path).set('Content-Type', 'application/json');
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
  return answer(await call.send(JSON.stringify(body)));
}

export async function send(method: string, path: string): Promise<Answer> {
  const agent = request(ctx().app) as unknown as Record<string, (path: string) => request.Test>;
  return answer(await agent[method.toLowerCase()]!(path));
}

/**
 * The one check of an Open311 errors document (digest §1.5): the status, the format's content type, valid
 * against errors.json, every code equal to the status, every description said, never cached. Returns the
 * descriptions joined by " | ", to match what they name.
 */
export function expectErrors(answer: Pick<Answer, 'status' | 'headers' | 'text' | 'body'>, status: number): string {
  expect(answer.status, answer.text.slice(0, 500)).to.equal(status);
  expect(String(answer.headers['content-type'])).to.match(/^(application\/json|text\/xml)/);
  expect(answer.body, answer.text.slice(0, 300)).to.exist;
  assertSchema('errors.json', answer.body);
  const items = answer.body as Array<{ code: number; description: string }>;
  expect(items).to.not.be.empty;
  for (const item of items) {
    expect(item.code, answer.text.slice(0, 300)).to.equal(status);
    expect(item.description.trim(), answer.text.slice(0, 300)).to.not.equal('');
  }
  expect(answer.headers['cache-control'], 'an error is never cached').to.equal('no-store');
  return items.map((item) => item.description).join(' | ');
}

/**
 * A write as another server would make it: on a connection of the store, past this process's knex, so no cache
 * of this process is told (only the change marker and the TTL can notice it).
 */
export async function writeBehindTheServer(sql: string, bindings: unknown[]): Promise<void> {
  const { db } = ctx();
  const connection = (await db.client.acquireConnection()) as { query(sql: string, bindings: unknown[]): Promise<unknown> };
  try {
    await connection.query(sql, bindings);
  } finally {
    await db.client.releaseConnection(connection);
  }
}

/** Throws with ajv's report unless `body` is valid against the spec/ schema. */
export function assertSchema(schemaId: SchemaId, body: unknown): void {
  const check = schemaRegistry().getSchema(schemaId);
  if (!check) throw new Error(`No schema ${schemaId}`);
  if (!check(body))
    throw new Error(
      `Response does not match ${schemaId}: ${JSON.stringify(check.errors, null, 1)}\n${JSON.stringify(body).slice(0, 2000)}`,
    );
}
