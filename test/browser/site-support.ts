// The resident site under test: the real app on a random loopback port (PostgreSQL when DATABASE_URL is set,
// else embedded PGlite in memory), with a fake tile server and a fake Nominatim-compatible geocoder — both real
// HTTP servers on loopback — and helpers that drive the report flow by role and label.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { expectNoAxeViolations, newContext } from './support.js';
import { createApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createKey } from '../../src/store/api-keys-store.js';
import { type Db, migrateLatest, openDb } from '../../src/store/db.js';
import { ensureConfiguredJurisdiction, seedDemoCatalog } from '../../src/store/seed.js';

// A 1×1 grey PNG: every tile.
const TILE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPY2fkfAAPXAmUqv1CzAAAAAElFTkSuQmCC',
  'base64',
);

export interface GeocoderPlace {
  lat: number;
  lon: number;
  display_name: string;
}

export interface SiteUnderTest {
  url: string;
  db: Db;
  config: Config;
  apiKey: string;
  /** What the fake geocoder was asked (q parameters), in order, with the time of each call. */
  geocoderCalls: Array<{ q: string; at: number; userAgent: string | undefined }>;
  /** Answers of the fake geocoder by query text (lower case); unknown queries find nothing. */
  places: Map<string, GeocoderPlace>;
  tileRequests: () => number;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startSite(overrides: NodeJS.ProcessEnv = {}): Promise<SiteUnderTest> {
  let tiles = 0;
  const tileServer = http.createServer((_req, res) => {
    tiles += 1;
    res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'max-age=604800' }).end(TILE);
  });
  const tileUrl = await listen(tileServer);
  const geocoderCalls: SiteUnderTest['geocoderCalls'] = [];
  const places = new Map<string, GeocoderPlace>();
  const geocoder = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams.get('q') ?? '';
    geocoderCalls.push({ q, at: Date.now(), userAgent: req.headers['user-agent'] });
    const place = places.get(q.toLowerCase());
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify(place ? [{ lat: String(place.lat), lon: String(place.lon), display_name: place.display_name }] : []));
  });
  const geocoderUrl = await listen(geocoder);
  // The server listens first, so that its own URL is the configured PUBLIC_URL (media links point at it).
  const server = http.createServer();
  const url = await listen(server);
  const mediaDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-site-media-'));
  const config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    LOG_LEVEL: 'silent',
    MEDIA_DIR: mediaDirectory,
    RATE_LIMIT_PER_KEY: '0',
    RATE_LIMIT_PER_ADDRESS: '0',
    RESPONSE_CACHE_TTL_MS: '0',
    MAP_TILE_URL: `${tileUrl}/{z}/{x}/{y}.png`,
    GEOCODER_URL: `${geocoderUrl}/search`,
    PUBLIC_URL: url,
    ...overrides,
  });
  const db = openDb({ databaseUrl: config.databaseUrl, dataDirectory: undefined });
  await migrateLatest(db);
  await ensureConfiguredJurisdiction(db, config);
  await seedDemoCatalog(db, config);
  const { key } = await createKey(db, 'site browser tests');
  const { app } = createApp({ config, db, logger: createLogger('silent') });
  server.on('request', app);
  // A service named with one long word, as an admin may type it: every page at 360 px must wrap it, not widen.
  const admin = (await createKey(db, `site browser admin ${Date.now().toString(36)}`, 'admin')).key;
  const longCode = `LONG_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`.toUpperCase();
  const created = await fetch(`${url}/api/v1/services`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      service_code: longCode,
      service_name: `Streetsign${'s'.repeat(56)}`,
      description: 'A service whose name is a single long word.',
      type: 'realtime',
      keywords: [],
      group: 'Streets',
      attributes: [],
    }),
  });
  if (created.status !== 201) throw new Error(`the long-named service was not created: ${await created.text()}`);
  return {
    url,
    db,
    config,
    apiKey: key,
    geocoderCalls,
    places,
    tileRequests: () => tiles,
    async close() {
      server.closeAllConnections();
      await Promise.all([server, tileServer, geocoder].map((item) => new Promise((resolve) => item.close(resolve))));
      await db.destroy();
      fs.rmSync(mediaDirectory, { recursive: true, force: true });
    },
  };
}

/** The request as the public API shows it (the site's report must be there). */
export async function apiRequest(site: SiteUnderTest, id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${site.url}/open311/v2/requests/${id}.json?extensions=true`);
  expect(response.status).to.equal(200);
  const body = (await response.json()) as Array<Record<string, unknown>>;
  expect(body).to.have.length(1);
  return body[0]!;
}

/** The request number on the confirmation page. */
export async function confirmationNumber(page: Page): Promise<string> {
  await page.getByRole('heading', { level: 1, name: /Report sent|Reporte enviado/ }).waitFor();
  const id = (await page.locator('.request-number').textContent())?.trim() ?? '';
  expect(id).to.match(/^\d+$/);
  return id;
}

/** No horizontal scrolling at the page's width. */
export async function expectNoHorizontalScroll(page: Page, what: string): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `horizontal overflow on ${what}`).to.be.at.most(0);
}

/**
 * axe on a page shown with JavaScript off: axe itself needs scripts, so the page's HTML as the resident sees it
 * is shown again in a scripted page of the same origin (styles loaded, the site's own scripts blocked) and checked there.
 */
export async function expectNoAxeViolationsWithoutScripts(page: Page, what: string): Promise<void> {
  const markup = await page.content();
  const context = await newContext();
  try {
    const checker = await context.newPage();
    await checker.route('**/assets/js/**', (route) => route.abort());
    await checker.route('**/__axe__', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: markup }));
    await checker.goto(`${new URL(page.url()).origin}/__axe__`);
    await expectNoAxeViolations(checker, what);
  } finally {
    await context.close();
  }
}

/**
 * The hooks of a site test file: the site started before its tests (handed to `use`), the pages each test
 * opened closed after it, the site closed at the end. Returns open(): a page in a fresh browser context.
 */
export function siteUnderTest(use: (site: SiteUnderTest) => void): {
  open(options?: Parameters<typeof newContext>[0]): Promise<Page>;
} {
  let site: SiteUnderTest | undefined;
  const contexts: BrowserContext[] = [];
  before(async () => {
    site = await startSite();
    use(site);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  after(async () => {
    await site?.close();
  });
  return {
    async open(options = {}) {
      const context = await newContext(options);
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return page;
    },
  };
}
