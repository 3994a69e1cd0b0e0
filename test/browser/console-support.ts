// The staff console under test: the real app (createApp + openDb) on a random loopback port, on the embedded
// store in memory or on PostgreSQL when DATABASE_URL is set, with a staff and an admin key and a client key.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { createApp } from '../../src/app.js';
import type { AppContext } from '../../src/http/context.js';
import { createLogger } from '../../src/logger.js';
import { createKey } from '../../src/store/api-keys-store.js';
import { createAccount, issueSignInLink, type StaffAccount } from '../../src/domain/staff-accounts.js';
import { migrateLatest, openDb, type Db } from '../../src/store/db.js';
import { seedDemoCatalog } from '../../src/store/seed.js';
import { testConfig } from '../helpers/test-server.js';
import { collectPageErrors, newContext } from './support.js';

export interface ConsoleServer {
  url: string;
  db: Db;
  context: AppContext;
  staffKey: string;
  adminKey: string;
  clientKey: string;
  staffPerson: StaffAccount;
  adminPerson: StaffAccount;
  close(): Promise<void>;
}

let shared: Promise<ConsoleServer> | undefined;

async function start(): Promise<ConsoleServer> {
  const config = testConfig();
  // Loading PGlite + PostGIS can outlast Knex's connection wait on a busy shared machine: open it again.
  let db: Db;
  for (let attempt = 1; ; attempt += 1) {
    db = openDb({ databaseUrl: config.databaseUrl, dataDirectory: undefined });
    try {
      await migrateLatest(db);
      break;
    } catch (error) {
      await db.destroy().catch(() => undefined);
      if (attempt >= 3 || (error as Error).name !== 'KnexTimeoutError') throw error;
    }
  }
  await seedDemoCatalog(db, config);
  const stamp = Date.now().toString(36);
  const staffKey = (await createKey(db, `Sam Staff ${stamp}`, 'staff')).key;
  const adminKey = (await createKey(db, `Ada Admin ${stamp}`, 'admin')).key;
  const clientKey = (await createKey(db, `console tests ${stamp}`, 'client')).key;
  const staffPerson = await createAccount(db, {
    email: `sam.${stamp}@city.example`,
    display_name: `Sam Staff ${stamp}`,
    role: 'staff',
  });
  const adminPerson = await createAccount(db, {
    email: `ada.${stamp}@city.example`,
    display_name: `Ada Admin ${stamp}`,
    role: 'admin',
  });
  const { app, context } = createApp({ config, db, logger: createLogger(process.env.DEBUG_LOG ? 'debug' : 'silent') });
  const server: http.Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    db,
    context,
    staffKey,
    adminKey,
    clientKey,
    staffPerson,
    adminPerson,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.destroy();
    },
  };
}

/** One console server for the whole browser suite (closed by the root hook in setup.ts). */
export function consoleServer(): Promise<ConsoleServer> {
  shared ??= start();
  return shared;
}

export async function closeConsoleServer(): Promise<void> {
  if (!shared) return;
  const server = await shared;
  shared = undefined;
  await server.close();
}

/** A one-time sign-in link for the person (what `npm run staff -- link` prints), as a path on the test server. */
export async function signInLinkPath(server: ConsoleServer, role: 'staff' | 'admin' = 'staff'): Promise<string> {
  const person = role === 'admin' ? server.adminPerson : server.staffPerson;
  const link = await issueSignInLink(server.db, person, 'console tests', server.url);
  return new URL(link.url).pathname;
}

/** Signs in by a one-time link as a person would, then opens the queue. */
export async function signIn(page: Page, server: ConsoleServer, role: 'staff' | 'admin' = 'staff'): Promise<void> {
  await page.goto(`${server.url}${await signInLinkPath(server, role)}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/staff\/account/);
  await page.goto(`${server.url}/staff/`);
  await page.getByRole('heading', { level: 1, name: 'Queue' }).waitFor();
}

/** A new request through the public GeoReport API, as a resident's app would send it. */
export async function createPublicRequest(server: ConsoleServer, fields: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ api_key: server.clientKey, lat: '39.7137', long: '-82.5993', ...fields });
  const response = await fetch(`${server.url}/open311/v2/requests.json`, { method: 'POST', body });
  const answer = (await response.json()) as Array<{ service_request_id?: string }>;
  if (!response.ok || !answer[0]?.service_request_id) throw new Error(`create failed: ${JSON.stringify(answer)}`);
  return answer[0].service_request_id;
}

export async function publicRequest(server: ConsoleServer, id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/open311/v2/requests/${id}.json`);
  const answer = (await response.json()) as Array<Record<string, unknown>>;
  return answer[0]!;
}

// A 1×1 transparent PNG: this machine has no network, so map tiles are answered locally. Tests of the
// no-tiles case leave them unanswered instead.
const BLANK_TILE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

export async function answerTiles(context: BrowserContext): Promise<void> {
  await context.route('https://tile.openstreetmap.org/**', (route) =>
    route.fulfill({ status: 200, contentType: 'image/png', body: BLANK_TILE }),
  );
}

/**
 * The browser hooks of a console test file: before each test a fresh context (its map tiles answered unless
 * `tiles` is false) and page, whose errors are collected, handed to `use`; the context closed after it.
 */
export function freshPagePerTest(
  use: (fresh: { browser: BrowserContext; page: Page; errors: string[] }) => void,
  options: { tiles?: boolean } = {},
): void {
  let browser: BrowserContext | undefined;
  beforeEach(async () => {
    browser = await newContext();
    if (options.tiles ?? true) await answerTiles(browser);
    const page = await browser.newPage();
    use({ browser, page, errors: collectPageErrors(page) });
  });
  afterEach(async () => {
    await browser?.close();
  });
}
