// Admin pages in a real Chromium: every page passes axe; an area uploaded as GeoJSON shows on the map; a key is
// shown once and works; a new person gets a sign-in link; the service preview asks the service's questions;
// staff who are not admins are refused.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { type ConsoleServer, consoleServer, signIn, freshPagePerTest } from './console-support.js';
import { collectPageErrors, expectNoAxeViolations } from './support.js';

describe('staff console: admin', () => {
  let server: ConsoleServer;
  let page: Page;

  before(async () => {
    server = await consoleServer();
  });
  freshPagePerTest((fresh) => ({ page } = fresh));

  it('lets an admin work every admin page, and passes axe on each', async () => {
    const errors = collectPageErrors(page);
    await signIn(page, server, 'admin');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { level: 1, name: 'Admin' }).waitFor();
    await expectNoAxeViolations(page, 'the admin index');

    await page.getByRole('link', { name: 'Services and questions' }).first().click();
    await page.getByText('Preview of the 4 questions residents are asked').first().click();
    expect(
      await page
        .getByRole('group', { name: /How big is the pothole\?/ })
        .getByRole('radio')
        .count(),
    ).to.equal(3);
    await expectNoAxeViolations(page, 'the services page with a preview open');

    await page.goto(`${server.url}/staff/admin/routing`);
    expect(await page.getByRole('row', { name: /Pothole Street Department/ }).count()).to.equal(1);
    await expectNoAxeViolations(page, 'the routing page');

    const code = `D${Date.now().toString(36).slice(-6).toUpperCase()}`;
    await page.goto(`${server.url}/staff/admin/areas`);
    await page.getByLabel('Code').fill(code);
    await page.getByLabel('Name').fill('Downtown test district');
    await page.getByLabel('GeoJSON', { exact: true }).fill(
      JSON.stringify({
        type: 'Feature',
        properties: {},
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [-82.61, 39.7],
              [-82.59, 39.7],
              [-82.59, 39.72],
              [-82.61, 39.72],
              [-82.61, 39.7],
            ],
          ],
        },
      }),
    );
    await page.getByRole('button', { name: 'Add the area' }).click();
    await page.getByText('Added the area Downtown test district.').waitFor();
    expect(await page.getByRole('row', { name: new RegExp(code) }).count()).to.equal(1);
    expect(await page.locator('[data-areas-map] path.leaflet-interactive').count()).to.be.at.least(1);
    await expectNoAxeViolations(page, 'the areas page');
    await page.getByLabel('GeoJSON', { exact: true }).fill('{"type":"Polygon"');
    await page.getByLabel('Code').fill(`${code}X`);
    await page.getByLabel('Name').fill('Broken');
    await page.getByRole('button', { name: 'Add the area' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    await expectNoAxeViolations(page, 'the areas page with an error');

    await page.goto(`${server.url}/staff/admin/keys`);
    await page.getByLabel('Name').fill('Console test app');
    await page.getByRole('button', { name: 'Create the key' }).click();
    const key = (await page.locator('[data-secret]').textContent())!.trim();
    expect(key).to.match(/^o311_/);
    await expectNoAxeViolations(page, 'the keys page with a new key');
    const created = await fetch(`${server.url}/open311/v2/requests.json`, {
      method: 'POST',
      body: new URLSearchParams({
        api_key: key,
        service_code: 'GRAFFITI',
        lat: '39.71',
        long: '-82.6',
        description: 'key works',
      }),
    });
    expect(created.status).to.equal(200);
    await page.goto(`${server.url}/staff/admin/keys`);
    expect(await page.locator('[data-secret]').count()).to.equal(0);

    await page.goto(`${server.url}/staff/admin/staff`);
    await page.getByLabel('Name').fill('Nora New');
    await page.getByLabel('E-mail').fill(`nora.${Date.now()}@city.example`);
    await page.getByRole('button', { name: 'Add and make a sign-in link' }).click();
    const link = (await page.locator('[data-secret]').textContent())!.trim();
    expect(link).to.contain('/staff/sign-in/link/');
    await expectNoAxeViolations(page, 'the staff page with a new link');

    await page.goto(`${server.url}/staff/admin/webhooks`);
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await expectNoAxeViolations(page, 'the webhooks page');
    // The one failed load is the broken GeoJSON form, answered 400 on purpose.
    expect(errors).to.deep.equal(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  });

  it('refuses the admin pages to staff who are not admins', async () => {
    await signIn(page, server, 'staff');
    expect(await page.getByRole('link', { name: 'Admin' }).count()).to.equal(0);
    const response = await page.goto(`${server.url}/staff/admin/keys`);
    expect(response?.status()).to.equal(403);
    await page.getByRole('heading', { level: 1, name: 'You cannot do that' }).waitFor();
  });
});
