// The resident site's reading pages in Chromium: the public map (its box drives the list; open and closed differ
// without colour; the list works with JavaScript off), the city numbers, about and an error page. axe on each.
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { collectPageErrors, expectNoAxeViolations } from './support.js';
import { newContext } from './support.js';
import {
  expectNoAxeViolationsWithoutScripts,
  expectNoHorizontalScroll,
  type SiteUnderTest,
  siteUnderTest,
  startSite,
} from './site-support.js';

let site: SiteUnderTest;

async function report(fields: Record<string, string>): Promise<string> {
  const response = await fetch(`${site.url}/open311/v2/requests.json`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ api_key: site.apiKey, ...fields }),
  });
  expect(response.status).to.equal(200);
  return ((await response.json()) as Array<{ service_request_id: string }>)[0]!.service_request_id;
}

describe('resident site: map, numbers and other pages', function () {
  this.timeout(180_000);
  const { open } = siteUnderTest((started) => (site = started));
  let near: string;
  let far: string;
  let closed: string;

  before(async () => {
    // One request at the city centre, one 30 km away; one closed at the centre.
    near = await report({ service_code: 'GRAFFITI', lat: '39.7140', long: '-82.5990', description: 'Tag on the bridge' });
    far = await report({ service_code: 'GRAFFITI', lat: '39.9800', long: '-82.9000', description: 'Far away tag' });
    closed = await report({ service_code: 'SIDEWALK', lat: '39.7130', long: '-82.6000', description: 'Fixed slab' });
    await site.db('service_requests').where({ id: closed }).update({ status: 'closed', closed_datetime: new Date() });
  });

  it('lists what the map shows, with shapes and words for open and closed', async () => {
    const page = await open();
    const errors = collectPageErrors(page);
    await page.goto(`${site.url}/map`);
    await page.locator('#public-map').waitFor({ state: 'visible' });
    // After the first move the list holds what is inside the map's box only.
    await page.locator('#public-map').focus();
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('[data-bbox]')?.value ?? '') !== '');
    const list = page.locator('[data-map-results]');
    // Before the move the list had every recent request; after it, the far one has left.
    await list.getByRole('link', { name: new RegExp(`Request ${far} `) }).waitFor({ state: 'detached' });
    expect(await list.getByRole('link', { name: new RegExp(`Request ${near} `) }).count()).to.equal(1);
    expect(await page.locator('.map-marker--open').count()).to.be.greaterThan(0);
    expect(await page.locator('.map-marker--closed').count()).to.be.greaterThan(0);
    expect(await page.locator('.map-marker--closed').first().textContent()).to.equal('✓');
    const closedItem = list.getByRole('listitem').filter({ hasText: `Request ${closed} ` });
    expect(await closedItem.textContent()).to.include('Closed');
    await expectNoAxeViolations(page, 'the public map');
    // The status filter refreshes the list in place.
    await page.getByLabel('Status').selectOption('closed');
    await list.getByRole('link', { name: new RegExp(`Request ${near} `) }).waitFor({ state: 'detached' });
    expect(await list.getByRole('link', { name: new RegExp(`Request ${closed} `) }).count()).to.equal(1);
    expect(errors).to.deep.equal([]);
  });

  it('works as a filtered list with JavaScript off, at 360 px', async () => {
    const page = await open({ javaScriptEnabled: false, width: 360, height: 740 });
    await page.goto(`${site.url}/map`);
    expect(await page.locator('#public-map').isVisible()).to.equal(false);
    await page.getByLabel('Problem').selectOption({ label: 'Graffiti' });
    await page.getByRole('button', { name: 'Show reports' }).click();
    await page.getByRole('link', { name: new RegExp(`Request ${far} `) }).waitFor();
    expect(await page.getByRole('link', { name: new RegExp(`Request ${closed} `) }).count()).to.equal(0);
    await expectNoHorizontalScroll(page, 'the map list');
    await expectNoAxeViolationsWithoutScripts(page, 'the map list without JavaScript');
  });

  it('keeps the report form under 100 KB compressed (the page, its styles and scripts; tiles aside)', async () => {
    const page = await open();
    const sizes = new Map<string, number>();
    page.on('response', async (response) => {
      const url = response.url();
      if (!url.startsWith(site.url) || response.status() !== 200) return;
      sizes.set(url, gzipSync(await response.body()).length);
    });
    await page.goto(`${site.url}/report`);
    await page.locator('#report-map').waitFor({ state: 'visible' });
    await page.waitForLoadState('networkidle');
    const total = [...sizes.values()].reduce((sum, size) => sum + size, 0);
    expect([...sizes.keys()].some((url) => url.endsWith('/assets/js/site-report.js'))).to.equal(true);
    expect(total, JSON.stringify([...sizes])).to.be.below(100 * 1024);
  });

  it('shows the city numbers as tables with CSV, and the about and error pages', async () => {
    const page = await open({ width: 360, height: 740 });
    await page.goto(`${site.url}/numbers`);
    await page.getByRole('heading', { level: 1, name: 'City numbers' }).waitFor();
    const table = page.getByRole('table', { name: /Median time to close/ });
    expect(await table.getByRole('rowheader', { name: 'Sidewalk damage' }).count()).to.equal(1);
    await expectNoHorizontalScroll(page, 'the numbers');
    await expectNoAxeViolations(page, 'the city numbers');
    const csv = await page.request.get(`${site.url}/numbers/weekly.csv`);
    expect(csv.headers()['content-type']).to.match(/^text\/csv/);
    await page.goto(`${site.url}/about`);
    await expectNoAxeViolations(page, 'the about page');
    const missing = await page.goto(`${site.url}/requests/999999999`);
    expect(missing?.status()).to.equal(404);
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    await expectNoAxeViolations(page, 'the error page');
  });

  it('takes its name, logo, colours, contact and about text from the configuration', async () => {
    const branded = await startSite({
      CITY_NAME: 'Springfield',
      SITE_LOGO_URL: '/media/springfield-logo.png',
      SITE_PRIMARY_COLOUR: '#6b1d1d',
      SITE_ACCENT_COLOUR: '#1d4d6b',
      SITE_CONTACT: 'Call 311 or write to 311@springfield.example',
      SITE_ABOUT: 'Springfield fixes what you report.\n\nWe answer within <b>two</b> days.',
    });
    const context = await newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${branded.url}/`);
      expect(await page.title()).to.equal('Home – Report it – Springfield');
      const header = page.locator('.site-header');
      expect(await header.evaluate((element) => getComputedStyle(element).backgroundColor)).to.equal('rgb(107, 29, 29)');
      expect(await header.evaluate((element) => getComputedStyle(element).borderBottomColor)).to.equal('rgb(29, 77, 107)');
      expect(await page.locator('.site-brand img').getAttribute('src')).to.equal('/media/springfield-logo.png');
      expect(await page.getByRole('contentinfo').textContent()).to.include('Call 311 or write to 311@springfield.example');
      await expectNoAxeViolations(page, 'the branded home page');
      await page.goto(`${branded.url}/about`);
      const paragraphs = await page.getByRole('main').locator('p').allTextContents();
      expect(paragraphs.slice(0, 2)).to.deep.equal(['Springfield fixes what you report.', 'We answer within <b>two</b> days.']);
    } finally {
      await context.close();
      await branded.close();
    }
  });
});
