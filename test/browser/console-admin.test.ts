// Admin pages in a real Chromium: every page passes axe; an area uploaded as GeoJSON shows on the map; a key is
// shown once and works; a new person gets a sign-in link; the service preview asks the service's questions;
// staff who are not admins are refused. Editing: a new service with a required question is in GeoReport's
// services list and definition; a stale edit is refused; a routing rule and target edited route a new request;
// a response template made here closes a request; a webhook added here records deliveries and is switched off
// and on. Axe runs on every page and state (errors and conflicts included).
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import {
  type ConsoleServer,
  consoleServer,
  createPublicRequest,
  publicRequest,
  signIn,
  freshPagePerTest,
} from './console-support.js';
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
    expect(await page.locator('#area-geometry-error').textContent()).to.contain('GeoJSON');
    await expectNoAxeViolations(page, 'the areas page with an error');
    // A refused code is named beside the code, not under the GeoJSON; so is one already taken.
    const square = JSON.stringify({
      type: 'Polygon',
      coordinates: [
        [
          [-82.6, 39.7],
          [-82.59, 39.7],
          [-82.59, 39.71],
          [-82.6, 39.7],
        ],
      ],
    });
    await page.getByLabel('GeoJSON', { exact: true }).fill(square);
    await page.getByLabel('Code').fill('no spaces allowed');
    await page.getByRole('button', { name: 'Add the area' }).click();
    expect(await page.locator('#area-code-error').textContent()).to.contain('code must be');
    expect(await page.locator('#area-geometry-error').count()).to.equal(0);
    expect(await page.getByLabel('Code').getAttribute('aria-invalid')).to.equal('true');
    await expectNoAxeViolations(page, 'the areas page with a code error');
    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Add the area' }).click();
    expect(await page.locator('#area-code-error').textContent()).to.contain('already exists');

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
    // The failed loads are the refused area forms, answered 400 and 409 on purpose.
    expect(errors.filter((error) => !/status of (400|409)/.test(error))).to.deep.equal([]);
  });

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json', ...init.headers },
    });

  it('creates a service with a required question, previews it, and GeoReport lists it; a stale edit saves nothing', async () => {
    const errors = collectPageErrors(page);
    const code = `LITTER_${Date.now().toString(36).toUpperCase()}`;
    await signIn(page, server, 'admin');
    await page.goto(`${server.url}/staff/admin/services`);
    await page.getByRole('link', { name: 'New service', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'New service' }).waitFor();
    await expectNoAxeViolations(page, 'the new service form');

    // Missing name: the error is next to the field and everything typed stays.
    await page.getByLabel('Service code').fill(code);
    await page.getByLabel('Question (as residents read it)').fill('How much litter is there?');
    await page.getByRole('button', { name: 'Create the service' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.locator('#service-service_name-error').textContent()).to.contain('service_name');
    expect(await page.getByLabel('Service code').inputValue()).to.equal(code);
    expect(await page.getByLabel('Question (as residents read it)').inputValue()).to.equal('How much litter is there?');
    await expectNoAxeViolations(page, 'the new service form with an error');

    await page.getByLabel('Name', { exact: true }).fill('Litter in a park');
    await page.getByLabel('Group').fill('Parks');
    await page.getByLabel('Response-time target (hours)').fill('72');
    await page.locator('#q0-code').fill('AMOUNT');
    await page.locator('#q0-datatype').selectOption('singlevaluelist');
    await page.locator('#q0-values').fill('BAG = One bag or less\nPILE = A pile\nDUMP = Dumped furniture or appliances');
    await page.locator('#q0-required').check();
    await page.getByRole('button', { name: 'Preview the questions' }).click();
    const preview = page.getByRole('group', { name: 'Preview of the questions residents are asked' });
    expect(
      await preview
        .getByRole('group', { name: /How much litter is there\? \(required\)/ })
        .getByRole('radio')
        .count(),
    ).to.equal(3);
    await expectNoAxeViolations(page, 'the new service form with a preview');
    await page.getByRole('button', { name: 'Add another question' }).click();
    await page.locator('#q1-description').fill('Anything else we should know?');
    await page.locator('#q1-code').fill('NOTES');
    await page.locator('#q1-datatype').selectOption('text');
    await page.getByRole('button', { name: 'Create the service' }).click();
    await page.getByText(`Created the service Litter in a park (${code}).`).waitFor();

    const list = (await (await fetch(`${server.url}/open311/v2/services.json`)).json()) as Array<Record<string, unknown>>;
    expect(list.find((service) => service.service_code === code)).to.include({
      service_name: 'Litter in a park',
      group: 'Parks',
      metadata: true,
    });
    const definition = (await (await fetch(`${server.url}/open311/v2/services/${code}.json`)).json()) as {
      attributes: Array<Record<string, unknown>>;
    };
    expect(definition.attributes.map((attribute) => [attribute.code, attribute.required, attribute.datatype])).to.deep.equal([
      ['AMOUNT', true, 'singlevaluelist'],
      ['NOTES', false, 'text'],
    ]);
    expect(definition.attributes[0]!.values).to.deep.equal([
      { key: 'BAG', name: 'One bag or less' },
      { key: 'PILE', name: 'A pile' },
      { key: 'DUMP', name: 'Dumped furniture or appliances' },
    ]);
    // The required question is enforced on POST requests at once.
    const refused = await fetch(`${server.url}/open311/v2/requests.json`, {
      method: 'POST',
      body: new URLSearchParams({ api_key: server.clientKey, service_code: code, lat: '39.71', long: '-82.6' }),
    });
    expect(refused.status).to.equal(400);

    // Reorder: NOTES first. Meanwhile someone changes the service through the API: the save is refused.
    await page.locator('#q0-order').fill('5');
    await page.locator('#q1-order').fill('1');
    const elsewhere = await admin(`/api/v1/services/${code}`);
    const stored = (await elsewhere.json()) as Record<string, unknown>;
    const { availability: _a, routing: _r, ...body } = stored;
    expect(
      (await admin(`/api/v1/services/${code}`, { method: 'PUT', body: JSON.stringify({ ...body, service_name: 'Park litter' }) }))
        .status,
    ).to.equal(200);
    await page.getByRole('button', { name: 'Save the service' }).click();
    await page.getByText('Someone changed this service after you opened it').waitFor();
    expect(await page.locator('#q0-order').inputValue()).to.equal('5');
    expect(await page.getByText('Park litter').count()).to.be.at.least(1);
    await expectNoAxeViolations(page, 'the service form after a stale edit');
    await page.getByLabel('Name', { exact: true }).fill('Park litter');
    await page.getByRole('button', { name: 'Save the service' }).click();
    await page.getByText('Saved the service Park litter.').waitFor();
    const reordered = (await (await fetch(`${server.url}/open311/v2/services/${code}.json`)).json()) as {
      attributes: Array<{ code: string; order: number }>;
    };
    expect([...reordered.attributes].sort((a, b) => a.order - b.order).map((attribute) => attribute.code)).to.deep.equal([
      'NOTES',
      'AMOUNT',
    ]);

    await page.goto(`${server.url}/staff/admin/services`);
    await page.getByRole('button', { name: 'Retire Park litter' }).click();
    await page.getByText('Retired Park litter').waitFor();
    const after = (await (await fetch(`${server.url}/open311/v2/services.json`)).json()) as Array<{ service_code: string }>;
    expect(after.map((service) => service.service_code)).to.not.include(code);
    expect(errors.filter((error) => !/status of (400|409)/.test(error))).to.deep.equal([]);
  });

  it('edits a routing rule and the response-time target; a new request is routed by them', async () => {
    const errors = collectPageErrors(page);
    const stamp = Date.now().toString(36).toUpperCase();
    const code = `ROUTE_${stamp}`;
    expect(
      (
        await admin('/api/v1/agencies', {
          method: 'POST',
          body: JSON.stringify({ code: `PARKS_${stamp}`, name: `Parks crew ${stamp}` }),
        })
      ).status,
    ).to.equal(201);
    expect(
      (
        await admin('/api/v1/services', {
          method: 'POST',
          body: JSON.stringify({
            service_code: code,
            service_name: `Fallen branch ${stamp}`,
            agency_responsible: 'Street Department',
          }),
        })
      ).status,
    ).to.equal(201);
    await signIn(page, server, 'admin');
    await page.goto(`${server.url}/staff/admin/routing`);
    await page.getByRole('link', { name: `Edit the routing of Fallen branch ${stamp}` }).click();
    await page.getByRole('heading', { level: 1, name: `Routing of Fallen branch ${stamp}` }).waitFor();
    await expectNoAxeViolations(page, 'the routing form');
    await page.getByLabel('Response-time target (hours)').fill('soon');
    await page.locator('#rule0-agency').selectOption({ label: `Parks crew ${stamp}` });
    await page.getByRole('button', { name: 'Save the routing' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.locator('#routing-response_hours-error').textContent()).to.contain('response_hours');
    expect(await page.getByLabel('Response-time target (hours)').inputValue()).to.equal('soon');
    await expectNoAxeViolations(page, 'the routing form with an error');
    await page.getByLabel('Response-time target (hours)').fill('48');
    await page.getByRole('button', { name: 'Save the routing' }).click();
    await page.getByText(`Saved the routing of Fallen branch ${stamp}.`).waitFor();
    expect(
      await page.getByRole('row', { name: new RegExp(`Fallen branch ${stamp}.*anywhere → PARKS_${stamp}.*48`) }).count(),
    ).to.equal(1);
    const service = (await (await admin(`/api/v1/services/${code}`)).json()) as Record<string, unknown>;
    expect(service).to.deep.include({ response_hours: 48, routing: [{ agency: `PARKS_${stamp}`, area: null }] });
    const id = await createPublicRequest(server, { service_code: code, description: 'Branch across the path' });
    const created = (await (await admin(`/api/v1/requests/${id}`)).json()) as Record<string, string>;
    expect(created.agency_responsible).to.equal(`Parks crew ${stamp}`);
    const hours = (Date.parse(created.expected_datetime!) - Date.parse(created.requested_datetime!)) / 3_600_000;
    expect(hours).to.equal(48);
    expect(errors.filter((error) => !/status of 400/.test(error))).to.deep.equal([]);
  });

  it('creates a response template that closes a request from the request page', async () => {
    const errors = collectPageErrors(page);
    const name = `Litter picked up ${Date.now().toString(36)}`;
    await signIn(page, server, 'admin');
    await page.goto(`${server.url}/staff/admin/templates`);
    await page.getByRole('heading', { level: 1, name: 'Response templates' }).waitFor();
    await expectNoAxeViolations(page, 'the templates page');
    await page.getByLabel('Name').fill(name);
    await page.getByRole('button', { name: 'Create the template' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.locator('#template-text-error').textContent()).to.contain('text');
    expect(await page.getByLabel('Name').inputValue()).to.equal(name);
    await expectNoAxeViolations(page, 'the templates page with an error');
    await page.getByLabel('Public note').fill('The crew picked up the litter. Thank you!');
    await page.getByLabel('For the service').selectOption('GRAFFITI');
    await page.getByLabel('Sets the status').selectOption('closed');
    await page.getByRole('button', { name: 'Create the template' }).click();
    await page.getByText(`Created the template “${name}”.`).waitFor();
    // The same POST without the session's CSRF token (a forged form) changes nothing.
    const forged = await page.request.post(`${server.url}/staff/admin/templates`, {
      form: { name: `${name} forged`, text: 'Forged' },
      maxRedirects: 0,
    });
    expect(forged.status()).to.equal(403);
    await page.goto(`${server.url}/staff/admin/templates`);
    expect(await page.getByRole('row', { name: new RegExp(name) }).count()).to.equal(1);

    const id = await createPublicRequest(server, { service_code: 'GRAFFITI', description: 'Tag and litter by the bench' });
    await page.goto(`${server.url}/staff/requests/${id}`);
    await page.getByLabel('Status', { exact: true }).selectOption('closed');
    await page.getByLabel('Response template').selectOption({ label: name });
    await page.getByRole('button', { name: 'Save status and note' }).click();
    await page.getByText('Saved the status and public note.').waitFor();
    const answer = await publicRequest(server, id);
    expect(answer).to.include({ status: 'closed', status_notes: 'The crew picked up the litter. Thank you!' });
    expect(errors.filter((error) => !/status of 400/.test(error))).to.deep.equal([]);
  });

  it('adds a webhook (secret shown once), shows its deliveries, and switches it off and on', async () => {
    const errors = collectPageErrors(page);
    const url = `https://crm-${Date.now().toString(36)}.example.invalid/hooks/311`;
    await signIn(page, server, 'admin');
    await page.goto(`${server.url}/staff/admin/webhooks`);
    await page.getByLabel('Receiver URL').fill('ftp://files.example.invalid/drop');
    await page.getByRole('button', { name: 'Add the webhook' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.locator('#webhook-url-error').textContent()).to.contain('url must be an absolute http');
    expect(await page.getByLabel('Receiver URL').inputValue()).to.equal('ftp://files.example.invalid/drop');
    await expectNoAxeViolations(page, 'the webhooks page with an error');
    await page.getByLabel('Receiver URL').fill(url);
    await page.getByLabel(/A request changes/).uncheck();
    await page.getByRole('button', { name: 'Add the webhook' }).click();
    const secret = (await page.locator('[data-secret]').textContent())!.trim();
    expect(secret).to.match(/^whsec_/);
    await expectNoAxeViolations(page, 'the webhooks page with a new secret');
    const listed = (await (await admin('/api/v1/webhooks')).json()) as {
      webhooks: Array<{ id: string; url: string; events: string[] }>;
    };
    const hook = listed.webhooks.find((item) => item.url === url)!;
    expect(hook.events).to.deep.equal(['request.created']);
    expect(JSON.stringify(listed)).to.not.include(secret);

    await createPublicRequest(server, { service_code: 'GRAFFITI', description: 'Webhook delivery check' });
    await page.goto(`${server.url}/staff/admin/webhooks`);
    expect(await page.locator('[data-secret]').count()).to.equal(0);
    const section = page.getByRole('region', { name: url }).or(page.locator(`section[aria-labelledby="hook-${hook.id}"]`));
    expect(
      await section
        .getByRole('table', { name: `Recent deliveries to ${url}` })
        .getByRole('row', { name: /request\.created/ })
        .count(),
    ).to.equal(1);
    await section.getByRole('button', { name: `Deactivate ${url}` }).click();
    await page.getByText('Deactivated the webhook.').waitFor();
    expect(((await (await admin(`/api/v1/webhooks/${hook.id}`)).json()) as { active: boolean }).active).to.equal(false);
    await expectNoAxeViolations(page, 'the webhooks page with an inactive webhook');
    await page.getByRole('button', { name: `Activate again ${url}` }).click();
    await page.getByText('Activated the webhook again').waitFor();
    expect(((await (await admin(`/api/v1/webhooks/${hook.id}`)).json()) as { active: boolean }).active).to.equal(true);
    expect(errors.filter((error) => !/status of 400/.test(error))).to.deep.equal([]);
  });

  it('adds an agency on the routing page, which a routing rule can then name', async () => {
    const errors = collectPageErrors(page);
    const stamp = Date.now().toString(36).toUpperCase();
    await signIn(page, server, 'admin');
    await page.goto(`${server.url}/staff/admin/routing`);
    await page.getByLabel('Code', { exact: true }).fill(`TREES_${stamp}`);
    await page.getByRole('button', { name: 'Add the agency' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.locator('#agency-name-error').textContent()).to.contain('name must be');
    expect(await page.getByLabel('Code', { exact: true }).inputValue()).to.equal(`TREES_${stamp}`);
    await expectNoAxeViolations(page, 'the routing page with an agency error');
    await page.getByLabel('Name', { exact: true }).fill(`Tree crew ${stamp}`);
    await page.getByRole('button', { name: 'Add the agency' }).click();
    await page.getByText(`Added the agency Tree crew ${stamp} (TREES_${stamp}).`).waitFor();
    expect(
      await page
        .getByRole('listitem')
        .filter({ hasText: `Tree crew ${stamp} (TREES_${stamp})` })
        .count(),
    ).to.equal(1);
    const listed = (await (await admin('/api/v1/agencies')).json()) as { agencies: Array<{ code: string; name: string }> };
    expect(listed.agencies.find((agency) => agency.code === `TREES_${stamp}`)?.name).to.equal(`Tree crew ${stamp}`);
    // The same code again is refused beside the code.
    await page.getByLabel('Code', { exact: true }).fill(`TREES_${stamp}`);
    await page.getByLabel('Name', { exact: true }).fill('Another crew');
    await page.getByRole('button', { name: 'Add the agency' }).click();
    expect(await page.locator('#agency-code-error').textContent()).to.contain('already exists');
    await page.getByRole('link', { name: 'Edit the routing of Pothole' }).click();
    expect(await page.locator('#rule0-agency option').allTextContents()).to.include(`Tree crew ${stamp}`);
    expect(errors.filter((error) => !/status of 400/.test(error))).to.deep.equal([]);
  });

  it('sets where a service is offered on its routing page, and offers a retired service again', async () => {
    const errors = collectPageErrors(page);
    const stamp = Date.now().toString(36).toUpperCase();
    const area = `WARD_${stamp}`;
    const code = `BENCH_${stamp}`;
    const name = `Broken bench ${stamp}`;
    const square = [
      [-82.61, 39.7],
      [-82.59, 39.7],
      [-82.59, 39.72],
      [-82.61, 39.72],
      [-82.61, 39.7],
    ];
    expect(
      (
        await admin('/api/v1/areas', {
          method: 'POST',
          body: JSON.stringify({ code: area, name: `Ward ${stamp}`, geometry: { type: 'Polygon', coordinates: [square] } }),
        })
      ).status,
    ).to.equal(201);
    expect(
      (await admin('/api/v1/services', { method: 'POST', body: JSON.stringify({ service_code: code, service_name: name }) }))
        .status,
    ).to.equal(201);
    const listedAt = async (lat: string, long: string): Promise<boolean> => {
      const list = (await (await fetch(`${server.url}/open311/v2/services.json?lat=${lat}&long=${long}`)).json()) as Array<{
        service_code: string;
      }>;
      return list.some((service) => service.service_code === code);
    };
    const stored = async () =>
      (await (await admin(`/api/v1/services/${code}`)).json()) as { availability: string[]; active: boolean };
    expect(await listedAt('39.95', '-82.95')).to.equal(true);

    await signIn(page, server, 'admin');
    await page.goto(`${server.url}/staff/admin/routing`);
    await page.getByRole('link', { name: `Edit the routing of ${name}` }).click();
    const ward = page.getByRole('group', { name: 'Where residents can report it' }).getByLabel(new RegExp(`Ward ${stamp}`));
    // The label sits beside its box, not on a line of its own.
    const box = (await ward.boundingBox())!;
    const label = (await page.locator(`label[for="${await ward.getAttribute('id')}"]`).boundingBox())!;
    expect(label.x, 'label right of its checkbox').to.be.greaterThan(box.x + box.width - 1);
    expect(label.y, 'label on the checkbox line').to.be.below(box.y + box.height);
    await expectNoAxeViolations(page, 'the routing form with service areas');
    await ward.check();
    await page.getByRole('button', { name: 'Save the routing' }).click();
    await page.getByText(`Saved the routing of ${name}.`).waitFor();
    expect(await page.getByRole('row', { name: new RegExp(`${name}.*${area}`) }).count()).to.equal(1);
    expect((await stored()).availability).to.deep.equal([area]);
    expect(await listedAt('39.71', '-82.60')).to.equal(true);
    expect(await listedAt('39.95', '-82.95')).to.equal(false);

    // Untick: offered everywhere again.
    await page.getByRole('link', { name: `Edit the routing of ${name}` }).click();
    expect(await ward.isChecked()).to.equal(true);
    await ward.uncheck();
    await page.getByRole('button', { name: 'Save the routing' }).click();
    await page.getByText(`Saved the routing of ${name}.`).waitFor();
    expect((await stored()).availability).to.deep.equal([]);
    expect(await listedAt('39.95', '-82.95')).to.equal(true);

    // Retired, then offered again from the services page.
    await page.goto(`${server.url}/staff/admin/services`);
    await page.getByRole('button', { name: `Retire ${name}` }).click();
    await page.getByText(`Retired ${name}`).waitFor();
    expect(await listedAt('39.71', '-82.60')).to.equal(false);
    expect(await page.getByRole('button', { name: `Retire ${name}` }).count()).to.equal(0);
    await expectNoAxeViolations(page, 'the services page with a retired service');
    await page.getByRole('button', { name: `Offer again ${name}` }).click();
    await page.getByText(`${name} is offered again`).waitFor();
    expect((await stored()).active).to.equal(true);
    expect(await listedAt('39.71', '-82.60')).to.equal(true);
    expect(await page.getByRole('button', { name: `Retire ${name}` }).count()).to.equal(1);
    expect(errors).to.deep.equal([]);
  });

  it('refuses the admin pages to staff who are not admins', async () => {
    await signIn(page, server, 'staff');
    expect(await page.getByRole('link', { name: 'Admin' }).count()).to.equal(0);
    const response = await page.goto(`${server.url}/staff/admin/keys`);
    expect(response?.status()).to.equal(403);
    await page.getByRole('heading', { level: 1, name: 'You cannot do that' }).waitFor();
  });
});
