// The map of the queue: markers by shape and letter, the list beside it, the map's box filtering the list, and
// markers that show when no tile loads.
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import {
  answerTiles,
  type ConsoleServer,
  consoleServer,
  createPublicRequest,
  signIn,
  freshPagePerTest,
} from './console-support.js';
import { collectPageErrors, expectNoAxeViolations } from './support.js';

describe('staff console: map', () => {
  let server: ConsoleServer;
  let browser: BrowserContext;
  let page: Page;

  before(async () => {
    server = await consoleServer();
  });
  freshPagePerTest((fresh) => ({ browser, page } = fresh), { tiles: false });

  it('shows the filtered requests as markers and as a list, and the box filters the list', async () => {
    await answerTiles(browser);
    const errors = collectPageErrors(page);
    const word = `mapword${Date.now().toString(36)}`;
    const near = await createPublicRequest(server, {
      service_code: 'GRAFFITI',
      description: `Downtown ${word}`,
      lat: '39.7137',
      long: '-82.5993',
    });
    const far = await createPublicRequest(server, {
      service_code: 'GRAFFITI',
      description: `Far east ${word}`,
      lat: '39.7115',
      long: '-82.5400',
    });
    await signIn(page, server);
    await page.goto(`${server.url}/staff/map?q=${word}`);
    await page.getByRole('heading', { level: 1, name: 'Map of the queue' }).waitFor();
    const list = page.getByRole('list', { name: 'Requests in this view' });
    expect(await list.getByRole('listitem').count()).to.equal(2);
    expect(await page.locator('.leaflet-marker-icon.console-marker-circle').count()).to.equal(2);
    expect(await page.locator('.leaflet-marker-icon').first().textContent()).to.equal('O');
    await expectNoAxeViolations(page, 'the map page');

    // A box around downtown only: the list keeps the near request.
    await page.goto(`${server.url}/staff/map?q=${word}&bbox=-82.61,39.70,-82.59,39.72`);
    expect(await list.getByRole('listitem').count()).to.equal(1);
    expect(await list.getByRole('link').first().textContent()).to.contain(`Request ${near}`);
    // Zooming out moves the box; the list follows the map without a reload.
    // One step at a time: a click during the previous zoom's animation may be dropped.
    const farLink = list.getByRole('link', { name: new RegExp(`Request ${far}:`) });
    for (let step = 0; step < 6 && !(await farLink.isVisible()); step += 1) {
      await page.locator('.leaflet-control-zoom-out').click();
      await farLink.waitFor({ timeout: 3000 }).catch(() => undefined);
    }
    await farLink.waitFor({ timeout: 15_000 });
    expect(page.url()).to.contain('bbox=');
    // The box the map shows now is the filter of the queue it links to.
    const box = new URL(page.url()).searchParams.get('bbox');
    expect(box).to.not.equal('-82.61,39.70,-82.59,39.72');
    await page.getByRole('link', { name: 'Show as the queue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Queue' }).waitFor();
    expect(new URL(page.url()).searchParams.get('bbox')).to.equal(box);
    expect(await page.getByLabel('Area (box)').inputValue()).to.equal(box);
    expect(await page.getByLabel(`Select request ${far}`).count()).to.equal(1);
    expect(errors).to.deep.equal([]);
  });

  it('still shows the markers when no tile loads', async () => {
    await browser.route('https://tile.openstreetmap.org/**', (route) => route.abort());
    const word = `notiles${Date.now().toString(36)}`;
    await createPublicRequest(server, { service_code: 'GRAFFITI', description: `No tiles ${word}` });
    await signIn(page, server);
    await page.goto(`${server.url}/staff/map?q=${word}`);
    await page.locator('.leaflet-marker-icon').first().waitFor();
    expect(await page.locator('.leaflet-marker-icon').count()).to.equal(1);
  });
});
